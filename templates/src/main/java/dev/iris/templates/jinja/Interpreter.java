package dev.iris.templates.jinja;

import dev.iris.templates.jinja.Node.Expr;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * Runs a parsed template over Python-like values ({@link Values}). Scopes follow jinja2: a
 * {@code for} body has its own (what it sets stays inside, hence {@code namespace()}), an
 * {@code if} body shares its parent's.
 */
final class Interpreter {

    /** A template-callable function: positional and keyword arguments. */
    interface Function2 {
        Object call(List<Object> args, Map<String, Object> kwargs);
    }

    /** {@code namespace(...)}: a map whose attributes {@code set} may change from inside loops. */
    static final class Namespace extends LinkedHashMap<String, Object> {
    }

    private static final class Scope {
        final Map<String, Object> vars = new HashMap<>();
        final Scope parent;

        Scope(Scope parent) {
            this.parent = parent;
        }

        Object get(String name) {
            for (Scope s = this; s != null; s = s.parent) {
                if (s.vars.containsKey(name)) {
                    return s.vars.get(name);
                }
            }
            return Values.UNDEFINED;
        }
    }

    private static final class BreakSignal extends RuntimeException {
        BreakSignal() {
            super(null, null, false, false);
        }
    }

    private static final class ContinueSignal extends RuntimeException {
        ContinueSignal() {
            super(null, null, false, false);
        }
    }

    private final StringBuilder out = new StringBuilder();

    static String render(List<Node> nodes, Map<String, Object> globals) {
        Interpreter i = new Interpreter();
        Scope root = new Scope(null);
        root.vars.putAll(builtins());
        root.vars.putAll(globals);
        i.run(nodes, new Scope(root));
        return i.out.toString();
    }

    private void run(List<Node> nodes, Scope scope) {
        for (Node n : nodes) {
            switch (n) {
                case Node.Text t -> out.append(t.text());
                case Node.Print p -> out.append(Values.str(eval(p.value(), scope)));
                case Node.If f -> {
                    boolean done = false;
                    for (int i = 0; i < f.conditions().size() && !done; i++) {
                        if (Values.truthy(eval(f.conditions().get(i), scope))) {
                            run(f.bodies().get(i), scope);
                            done = true;
                        }
                    }
                    if (!done) {
                        run(f.otherwise(), scope);
                    }
                }
                case Node.For f -> loop(f, scope);
                case Node.Set s -> assign(s, scope);
                case Node.Block b -> run(b.body(), scope);
                case Node.Break b -> throw new BreakSignal();
                case Node.Continue c -> throw new ContinueSignal();
            }
        }
    }

    private void loop(Node.For f, Scope scope) {
        List<Object> items = new ArrayList<>();
        for (Object item : iterate(eval(f.items(), scope))) {
            if (f.filter() == null) {
                items.add(item);
            } else {
                Scope probe = new Scope(scope);
                bind(f.targets(), item, probe);
                if (Values.truthy(eval(f.filter(), probe))) {
                    items.add(item);
                }
            }
        }
        if (items.isEmpty()) {
            run(f.otherwise(), scope);
            return;
        }
        for (int i = 0; i < items.size(); i++) {
            Scope inner = new Scope(scope);
            bind(f.targets(), items.get(i), inner);
            Map<String, Object> loop = new HashMap<>();
            loop.put("index", (long) i + 1);
            loop.put("index0", (long) i);
            loop.put("revindex", (long) (items.size() - i));
            loop.put("revindex0", (long) (items.size() - i - 1));
            loop.put("first", i == 0);
            loop.put("last", i == items.size() - 1);
            loop.put("length", (long) items.size());
            loop.put("previtem", i > 0 ? items.get(i - 1) : Values.UNDEFINED);
            loop.put("nextitem", i + 1 < items.size() ? items.get(i + 1) : Values.UNDEFINED);
            inner.vars.put("loop", loop);
            try {
                run(f.body(), inner);
            } catch (BreakSignal b) {
                break;
            } catch (ContinueSignal c) {
                // next item
            }
        }
    }

    private void bind(List<String> targets, Object item, Scope scope) {
        if (targets.size() == 1) {
            scope.vars.put(targets.getFirst(), item);
            return;
        }
        List<Object> parts = iterate(item);
        for (int i = 0; i < targets.size(); i++) {
            scope.vars.put(targets.get(i), i < parts.size() ? parts.get(i) : Values.UNDEFINED);
        }
    }

    @SuppressWarnings("unchecked")
    private void assign(Node.Set s, Scope scope) {
        Object value = eval(s.value(), scope);
        if (s.target() instanceof Node.Name n) {
            scope.vars.put(n.name(), value);
        } else if (s.target() instanceof Node.Attr a && eval(a.target(), scope) instanceof Namespace ns) {
            ns.put(a.name(), value);
        } else {
            throw new TemplateException("cannot assign to " + s.target());
        }
    }

    // ---- expressions -------------------------------------------------------------------------

    private Object eval(Expr e, Scope scope) {
        return switch (e) {
            case Node.Literal l -> l.value();
            case Node.Name n -> scope.get(n.name());
            case Node.Attr a -> attribute(eval(a.target(), scope), a.name());
            case Node.Item i -> item(eval(i.target(), scope), eval(i.key(), scope));
            case Node.Slice s -> slice(eval(s.target(), scope), eval(s.start(), scope, null), eval(s.stop(), scope, null),
                    eval(s.step(), scope, null));
            case Node.Call c -> call(c, scope);
            case Node.Filter f -> Builtins.filter(f.name(), eval(f.value(), scope), values(f.args(), scope),
                    values(f.kwargs(), scope));
            case Node.Test t -> t.negated() != Builtins.test(t.name(), eval(t.value(), scope), values(t.args(), scope));
            case Node.Unary u -> u.op().equals("not") ? !Values.truthy(eval(u.operand(), scope))
                    : negate(eval(u.operand(), scope));
            case Node.Binary b -> binary(b, scope);
            case Node.Conditional c -> Values.truthy(eval(c.condition(), scope)) ? eval(c.then(), scope)
                    : eval(c.otherwise(), scope);
            case Node.ListLiteral l -> values(l.items(), scope);
            case Node.DictLiteral d -> {
                Map<String, Object> m = new LinkedHashMap<>();
                for (int i = 0; i < d.keys().size(); i++) {
                    m.put(Values.str(eval(d.keys().get(i), scope)), eval(d.values().get(i), scope));
                }
                yield m;
            }
        };
    }

    private Object eval(Expr e, Scope scope, Object absent) {
        return e == null ? absent : eval(e, scope);
    }

    private List<Object> values(List<Expr> exprs, Scope scope) {
        List<Object> out = new ArrayList<>();
        for (Expr e : exprs) {
            out.add(eval(e, scope));
        }
        return out;
    }

    private Map<String, Object> values(Map<String, Expr> exprs, Scope scope) {
        Map<String, Object> out = new LinkedHashMap<>();
        exprs.forEach((k, v) -> out.put(k, eval(v, scope)));
        return out;
    }

    private Object binary(Node.Binary b, Scope scope) {
        switch (b.op()) {
            case "and" -> {
                Object l = eval(b.left(), scope);
                return Values.truthy(l) ? eval(b.right(), scope) : l;
            }
            case "or" -> {
                Object l = eval(b.left(), scope);
                return Values.truthy(l) ? l : eval(b.right(), scope);
            }
            default -> {
            }
        }
        Object l = eval(b.left(), scope);
        Object r = eval(b.right(), scope);
        return switch (b.op()) {
            case "==" -> Values.equal(l, r);
            case "!=" -> !Values.equal(l, r);
            case "<", ">", "<=", ">=" -> {
                int c = compare(l, r);
                yield switch (b.op()) {
                    case "<" -> c < 0;
                    case ">" -> c > 0;
                    case "<=" -> c <= 0;
                    default -> c >= 0;
                };
            }
            case "in" -> contains(r, l);
            case "not in" -> !contains(r, l);
            case "~" -> Values.str(l) + Values.str(r);
            case "+" -> plus(l, r);
            case "-", "*", "/", "//", "%" -> arithmetic(b.op(), l, r);
            default -> throw new TemplateException("unknown operator " + b.op());
        };
    }

    private static Object plus(Object l, Object r) {
        if (l instanceof String a && r instanceof String c) {
            return a + c;
        }
        if (l instanceof List<?> a && r instanceof List<?> c) {
            List<Object> out = new ArrayList<>(a);
            out.addAll(c);
            return out;
        }
        if (l instanceof Number && r instanceof Number) {
            return arithmetic("+", l, r);
        }
        throw new TemplateException("can only add strings to strings, lists to lists, numbers to numbers; got "
                + Values.repr(l) + " + " + Values.repr(r));
    }

    private static Object arithmetic(String op, Object l, Object r) {
        if (op.equals("*") && l instanceof String s && r instanceof Number n) {
            return s.repeat(Math.max(0, n.intValue()));
        }
        if (!(l instanceof Number a) || !(r instanceof Number c)) {
            throw new TemplateException("unsupported operand types for " + op);
        }
        boolean ints = !(a instanceof Double) && !(c instanceof Double);
        return switch (op) {
            case "+" -> ints ? (Object) (a.longValue() + c.longValue()) : (Object) (a.doubleValue() + c.doubleValue());
            case "-" -> ints ? (Object) (a.longValue() - c.longValue()) : (Object) (a.doubleValue() - c.doubleValue());
            case "*" -> ints ? (Object) (a.longValue() * c.longValue()) : (Object) (a.doubleValue() * c.doubleValue());
            case "/" -> a.doubleValue() / c.doubleValue();
            case "//" -> ints ? (Object) Math.floorDiv(a.longValue(), c.longValue())
                    : (Object) Math.floor(a.doubleValue() / c.doubleValue());
            default -> ints ? (Object) Math.floorMod(a.longValue(), c.longValue())
                    : (Object) (a.doubleValue() - Math.floor(a.doubleValue() / c.doubleValue()) * c.doubleValue());
        };
    }

    private static Object negate(Object v) {
        if (v instanceof Double d) {
            return -d;
        }
        if (v instanceof Number n) {
            return -n.longValue();
        }
        throw new TemplateException("bad operand for unary -: " + Values.repr(v));
    }

    private static int compare(Object l, Object r) {
        if (l instanceof Number a && r instanceof Number b) {
            return Double.compare(a.doubleValue(), b.doubleValue());
        }
        if (l instanceof String a && r instanceof String b) {
            return a.compareTo(b);
        }
        throw new TemplateException("cannot compare " + Values.repr(l) + " and " + Values.repr(r));
    }

    static boolean contains(Object container, Object item) {
        if (container instanceof String s) {
            return item instanceof String i && s.contains(i);
        }
        if (container instanceof Map<?, ?> m) {
            return m.containsKey(Values.str(item));
        }
        if (container instanceof List<?> l) {
            return l.stream().anyMatch(x -> Values.equal(x, item));
        }
        return false;
    }

    static List<Object> iterate(Object v) {
        if (v == null || v == Values.UNDEFINED) {
            return List.of();
        }
        if (v instanceof List<?> l) {
            return new ArrayList<>(l);
        }
        if (v instanceof Map<?, ?> m) {
            return new ArrayList<>(m.keySet());
        }
        if (v instanceof String s) {
            List<Object> out = new ArrayList<>();
            s.codePoints().forEach(c -> out.add(new String(Character.toChars(c))));
            return out;
        }
        throw new TemplateException("'" + Values.repr(v) + "' is not iterable");
    }

    static Object attribute(Object target, String name) {
        if (target instanceof Map<?, ?> m) {
            return m.containsKey(name) ? m.get(name) : Values.UNDEFINED;
        }
        return Values.UNDEFINED;
    }

    private static Object item(Object target, Object key) {
        if (target instanceof Map<?, ?> m) {
            Object k = key instanceof String ? key : Values.str(key);
            return m.containsKey(k) ? m.get(k) : Values.UNDEFINED;
        }
        if ((target instanceof List<?> || target instanceof String) && key instanceof Number n) {
            List<Object> items = iterate(target);
            int i = n.intValue() < 0 ? items.size() + n.intValue() : n.intValue();
            return i >= 0 && i < items.size() ? items.get(i) : Values.UNDEFINED;
        }
        return Values.UNDEFINED;
    }

    private static Object slice(Object target, Object start, Object stop, Object step) {
        List<Object> items = iterate(target);
        int n = items.size();
        int st = step instanceof Number s ? s.intValue() : 1;
        int a = start instanceof Number s ? clamp(s.intValue(), n) : (st > 0 ? 0 : n - 1);
        int b = stop instanceof Number s ? clamp(s.intValue(), n) : (st > 0 ? n : -1);
        List<Object> out = new ArrayList<>();
        for (int i = a; st > 0 ? i < b : i > b; i += st) {
            if (i >= 0 && i < n) {
                out.add(items.get(i));
            }
        }
        if (target instanceof String) {
            StringBuilder s = new StringBuilder();
            out.forEach(s::append);
            return s.toString();
        }
        return out;
    }

    private static int clamp(int i, int n) {
        return i < 0 ? Math.max(0, n + i) : Math.min(i, n);
    }

    private Object call(Node.Call c, Scope scope) {
        List<Object> args = values(c.args(), scope);
        Map<String, Object> kwargs = values(c.kwargs(), scope);
        if (c.function() instanceof Node.Attr a) {
            Object target = eval(a.target(), scope);
            Object member = attribute(target, a.name());
            if (member instanceof Function2 f) {
                return f.call(args, kwargs);
            }
            return Builtins.method(target, a.name(), args);
        }
        Object f = eval(c.function(), scope);
        if (f instanceof Function2 fn) {
            return fn.call(args, kwargs);
        }
        throw new TemplateException("'" + Values.repr(f) + "' is not callable");
    }

    private static Map<String, Object> builtins() {
        Map<String, Object> b = new HashMap<>();
        b.put("namespace", (Function2) (args, kwargs) -> {
            Namespace ns = new Namespace();
            ns.putAll(kwargs);
            return ns;
        });
        b.put("raise_exception", (Function2) (args, kwargs) -> {
            throw new TemplateException(args.isEmpty() ? "raise_exception" : Values.str(args.getFirst()));
        });
        b.put("range", (Function2) (args, kwargs) -> {
            long from = args.size() > 1 ? ((Number) args.get(0)).longValue() : 0;
            long to = ((Number) args.get(args.size() > 1 ? 1 : 0)).longValue();
            long step = args.size() > 2 ? ((Number) args.get(2)).longValue() : 1;
            List<Object> out = new ArrayList<>();
            for (long i = from; step > 0 ? i < to : i > to; i += step) {
                out.add(i);
            }
            return out;
        });
        b.put("dict", (Function2) (args, kwargs) -> new LinkedHashMap<>(kwargs));
        return b;
    }

    /** A template function of positional arguments only (for globals such as {@code strftime_now}). */
    static Function2 function(Function<List<Object>, Object> f) {
        return (args, kwargs) -> f.apply(args);
    }
}
