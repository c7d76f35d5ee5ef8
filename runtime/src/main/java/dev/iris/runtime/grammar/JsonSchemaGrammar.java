package dev.iris.runtime.grammar;

import com.fasterxml.jackson.databind.JsonNode;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.math.RoundingMode;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A JSON Schema as a {@link Grammar} whose texts are JSON values valid against it, for structured
 * outputs. Where JSON Schema allows more than a grammar can say, the grammar holds a subset, so
 * whatever is generated validates:
 * <ul>
 * <li>object properties come in the order the schema lists them (required ones it does not list
 *     next), any other properties after them, with keys written without escapes; without
 *     {@code additionalProperties}, an object with {@code properties} holds only the properties
 *     the schema names (as xgrammar does by default);</li>
 * <li>{@code oneOf} is read as {@code anyOf}: exclusivity is not enforced;</li>
 * <li>a {@code pattern} matches the whole string (JSON Schema only asks for a match inside it);</li>
 * <li>{@code enum}/{@code const} strings and numbers are written one way (as Jackson writes them);</li>
 * <li>integers carry no fraction or exponent; bounded numbers carry no exponent;</li>
 * <li>escapes in strings are one code point each (no lone surrogates).</li>
 * </ul>
 * Every keyword that is neither an annotation nor enforced is refused with a
 * {@link GrammarException} naming it and where it is, never ignored.
 */
public final class JsonSchemaGrammar {

    private static final Set<String> ANNOTATIONS = Set.of("title", "description", "default", "examples",
            "$schema", "$id", "$comment", "deprecated", "readOnly", "writeOnly",
            "discriminator", // OpenAPI's tag for a oneOf (Pydantic writes it): no constraint of its own
            "$defs", "definitions"); // read through $ref only
    private static final Set<String> OBJECT_KEYWORDS = Set.of("properties", "required", "additionalProperties",
            "minProperties", "maxProperties");
    private static final Set<String> ARRAY_KEYWORDS = Set.of("items", "prefixItems", "additionalItems", "minItems", "maxItems");
    private static final Set<String> STRING_KEYWORDS = Set.of("minLength", "maxLength", "pattern", "format");
    private static final Set<String> NUMBER_KEYWORDS = Set.of("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum");
    private static final List<String> COMBINATORS = List.of("$ref", "anyOf", "oneOf", "allOf", "enum", "const");
    private static final List<String> TYPES = List.of("object", "array", "string", "integer", "number", "boolean", "null");
    /** Matches nothing: the schema {@code false}, an empty {@code enum}. */
    private static final Expr NEVER = new Expr.CharSet(new int[0]);
    /** Counted lengths and item counts above this are refused: they unroll into automaton states. */
    private static final int MAX_COUNT = RegexGrammar.MAX_COUNT;

    private final JsonNode document;
    private final Expr whitespace;
    private final Map<String, Expr> rules = new LinkedHashMap<>();
    /** Equal sub-schemas share one rule. */
    private final Map<JsonNode, String> ruleOfSchema = new HashMap<>();
    private final Map<String, String> ruleOfRef = new HashMap<>();

    private JsonSchemaGrammar(JsonNode document, Expr whitespace) {
        this.document = document;
        this.whitespace = whitespace;
        rules.put("root", Expr.EMPTY); // first, filled in last
    }

    /**
     * JSON text valid against the schema, with {@code whitespace} allowed between tokens.
     *
     * @throws GrammarException naming the keyword and where it is, for a malformed or unsatisfiable
     *                          schema or one using what the grammar would not enforce
     */
    public static Grammar fromSchema(JsonNode schema, Expr whitespace) {
        JsonSchemaGrammar g = new JsonSchemaGrammar(schema, whitespace);
        g.ruleOfRef.put("#", "root");
        Expr root = g.schema(schema, "#");
        if (root.equals(NEVER)) {
            throw new GrammarException("the schema at # accepts no value");
        }
        g.rules.put("root", root);
        return new Grammar(g.rules, "root");
    }

    /** Any JSON object (response_format {@code json_object}). */
    public static Grammar anyJsonObject(Expr whitespace) {
        JsonSchemaGrammar g = new JsonSchemaGrammar(null, whitespace);
        g.rules.put("root", g.generic("object"));
        return new Grammar(g.rules, "root");
    }

    /**
     * Whitespace between tokens by default: at most 20 spaces, tabs or newlines, so a model cannot
     * spin in whitespace, yet enough for a newline and indentation nine levels deep.
     */
    public static Expr defaultWhitespace() {
        return new Expr.Repeat(Expr.anyOf(" \t\n"), 0, 20);
    }

    private static GrammarException error(String message) {
        return new GrammarException(message);
    }

    /** A rule shared by every schema that needs it: JSON's own syntax. */
    private Expr generic(String name) {
        if (!rules.containsKey(name)) {
            rules.put(name, Expr.EMPTY); // reserved first: value, object and array refer to each other
            rules.put(name, switch (name) {
                case "ws" -> whitespace;
                case "char" -> JsonStrings.CHAR;
                case "string" -> Expr.seq(Expr.literal("\""), Expr.star(JsonStrings.CHAR), Expr.literal("\""));
                case "integer" -> NumberRanges.INTEGER;
                case "number" -> NumberRanges.NUMBER;
                case "value" -> Expr.alt(generic("object"), generic("array"), generic("string"), generic("number"),
                        Expr.literal("true"), Expr.literal("false"), Expr.literal("null"));
                case "object" -> container("{", member(generic("string"), generic("value")), "}");
                case "array" -> container("[", generic("value"), "]");
                default -> throw new IllegalArgumentException(name);
            });
        }
        return Expr.ref(name);
    }

    private Expr ws() {
        return generic("ws");
    }

    private Expr separator() {
        return Expr.seq(ws(), Expr.literal(","), ws());
    }

    /** {@code open}, any number of items with separators, {@code close}. */
    private Expr container(String open, Expr item, String close) {
        Expr items = Expr.seq(item, Expr.star(Expr.seq(separator(), item)), ws());
        return Expr.seq(Expr.literal(open), ws(), Expr.optional(items), Expr.literal(close));
    }

    private Expr member(Expr key, Expr value) {
        return Expr.seq(key, ws(), Expr.literal(":"), ws(), value);
    }

    /** The schema where it is used (a property, an item, a branch): its rule, made once per distinct schema. */
    private Expr used(JsonNode schema, String at) {
        String name = ruleOfSchema.get(schema);
        if (name != null) {
            return Expr.ref(name);
        }
        Expr e = schema(schema, at);
        if (e instanceof Expr.Ref || e instanceof Expr.Literal || e.equals(NEVER)) {
            return e;
        }
        name = rule(at, e);
        ruleOfSchema.put(schema, name);
        return Expr.ref(name);
    }

    /** Adds a rule under a fresh name based on {@code base}; returns the name. */
    private String rule(String base, Expr e) {
        String name = base;
        for (int n = 2; rules.containsKey(name); n++) {
            name = base + "~" + n;
        }
        rules.put(name, e);
        return name;
    }

    private Expr schema(JsonNode node, String at) {
        if (node.isBoolean()) {
            return node.booleanValue() ? generic("value") : NEVER;
        }
        if (!node.isObject()) {
            throw error("the schema at " + at + " is not an object or a boolean");
        }
        List<String> combinators = new ArrayList<>();
        List<String> assertions = new ArrayList<>();
        for (var it = node.fieldNames(); it.hasNext(); ) {
            String key = it.next();
            if (COMBINATORS.contains(key)) {
                combinators.add(key);
            } else if (key.equals("type") || OBJECT_KEYWORDS.contains(key) || ARRAY_KEYWORDS.contains(key)
                    || STRING_KEYWORDS.contains(key) || NUMBER_KEYWORDS.contains(key)) {
                assertions.add(key);
            } else if (!ANNOTATIONS.contains(key)) {
                throw error("unsupported JSON Schema keyword '" + key + "' at " + at);
            }
        }
        if (node.has("enum") || node.has("const")) {
            // A list of values: only a type can narrow it (others would need validating each value).
            for (String other : combinators) {
                if (!other.equals("enum") && !other.equals("const")) {
                    throw combined(other, node.has("enum") ? "enum" : "const", at);
                }
            }
            for (String other : assertions) {
                if (!other.equals("type")) {
                    throw combined(node.has("enum") ? "enum" : "const", other, at);
                }
            }
            return values(node, at);
        }
        if (combinators.size() > 1) {
            throw combined(combinators.get(0), combinators.get(1), at);
        }
        if (combinators.isEmpty()) {
            return typed(node, at);
        }
        String combinator = combinators.getFirst();
        if (!assertions.isEmpty()) {
            throw combined(combinator, assertions.getFirst(), at);
        }
        return switch (combinator) {
            case "$ref" -> ref(node.get("$ref"), at);
            case "anyOf", "oneOf" -> anyOf(node.get(combinator), combinator, at);
            default -> allOf(node.get("allOf"), at);
        };
    }

    private static GrammarException combined(String a, String b, String at) {
        return error("'" + a + "' together with '" + b + "' at " + at + " is not supported");
    }

    private Expr anyOf(JsonNode branches, String keyword, String at) {
        if (!branches.isArray() || branches.isEmpty()) {
            throw error("'" + keyword + "' at " + at + " must be a non-empty array of schemas");
        }
        List<Expr> options = new ArrayList<>();
        for (int i = 0; i < branches.size(); i++) {
            Expr e = used(branches.get(i), at + "/" + keyword + "/" + i);
            if (!e.equals(NEVER)) {
                options.add(e);
            }
        }
        return options.isEmpty() ? NEVER : Expr.alt(options.toArray(Expr[]::new));
    }

    private Expr allOf(JsonNode members, String at) {
        if (!members.isArray() || members.size() != 1) {
            throw error("'allOf' at " + at + " is only supported with a single schema");
        }
        return schema(members.get(0), at + "/allOf/0");
    }

    private Expr ref(JsonNode refNode, String at) {
        if (!refNode.isTextual()) {
            throw error("'$ref' at " + at + " must be a string");
        }
        String ref = refNode.asText();
        String name = ruleOfRef.get(ref);
        if (name != null) {
            return Expr.ref(name);
        }
        if (!ref.startsWith("#/$defs/") && !ref.startsWith("#/definitions/")) {
            throw error("unsupported $ref '" + ref + "' at " + at + ": only '#', '#/$defs/...' and '#/definitions/...' are supported");
        }
        JsonNode target = document;
        for (String token : ref.substring(2).split("/", -1)) {
            String key = token.replace("~1", "/").replace("~0", "~");
            target = target.isArray() && key.matches("\\d+") ? target.get(Integer.parseInt(key)) : target.get(key);
            if (target == null) {
                throw error("$ref '" + ref + "' at " + at + " points to nothing");
            }
        }
        // The rule exists before its body is built, so a recursive schema refers to it.
        name = rule(ref, Expr.EMPTY);
        ruleOfRef.put(ref, name);
        rules.put(name, schema(target, ref));
        return Expr.ref(name);
    }

    private Expr values(JsonNode node, String at) {
        List<JsonNode> values = new ArrayList<>();
        if (node.has("enum")) {
            JsonNode e = node.get("enum");
            if (!e.isArray()) {
                throw error("'enum' at " + at + " must be an array");
            }
            e.forEach(values::add);
            if (node.has("const")) {
                values.removeIf(v -> !v.equals(node.get("const")));
            }
        } else {
            values.add(node.get("const"));
        }
        if (node.has("type")) {
            List<String> types = types(node.get("type"), at);
            values.removeIf(v -> types.stream().noneMatch(t -> isOfType(v, t)));
        }
        List<Expr> options = new ArrayList<>();
        for (JsonNode v : new LinkedHashSet<>(values)) {
            options.add(value(v));
        }
        return options.isEmpty() ? NEVER : Expr.alt(options.toArray(Expr[]::new));
    }

    /** Whether a number has a value: JSON text like {@code 1e400} reads as an infinite double. */
    private static boolean isFinite(JsonNode n) {
        return !(n.isDouble() || n.isFloat()) || Double.isFinite(n.doubleValue());
    }

    private static boolean isOfType(JsonNode v, String type) {
        return switch (type) {
            case "object" -> v.isObject();
            case "array" -> v.isArray();
            case "string" -> v.isTextual();
            case "integer" -> v.isIntegralNumber() || v.isNumber() && isFinite(v) && v.decimalValue().stripTrailingZeros().scale() <= 0;
            case "number" -> v.isNumber();
            case "boolean" -> v.isBoolean();
            default -> v.isNull();
        };
    }

    /** One JSON value: containers with whitespace between tokens, scalars as Jackson writes them. */
    private Expr value(JsonNode v) {
        if (v.isTextual()) {
            return Expr.literal(JsonStrings.quote(v.asText()));
        }
        if (v.isNumber() && !isFinite(v)) {
            throw error("the number " + v.asText() + " in an 'enum' or 'const' is out of range");
        }
        if (!v.isContainerNode()) {
            return Expr.literal(v.toString());
        }
        if (v.isEmpty()) {
            return Expr.seq(Expr.literal(v.isObject() ? "{" : "["), ws(), Expr.literal(v.isObject() ? "}" : "]"));
        }
        List<Expr> items = new ArrayList<>(List.of(Expr.literal(v.isObject() ? "{" : "["), ws()));
        var fields = v.isObject() ? v.properties().iterator() : null;
        for (int i = 0; i < v.size(); i++) {
            if (i > 0) {
                items.add(separator());
            }
            if (fields != null) {
                Map.Entry<String, JsonNode> f = fields.next();
                items.add(member(Expr.literal(JsonStrings.quote(f.getKey())), value(f.getValue())));
            } else {
                items.add(value(v.get(i)));
            }
        }
        items.add(ws());
        items.add(Expr.literal(v.isObject() ? "}" : "]"));
        return new Expr.Seq(items);
    }

    private static List<String> types(JsonNode type, String at) {
        List<String> out = new ArrayList<>();
        if (type.isTextual()) {
            out.add(type.asText());
        } else if (type.isArray() && !type.isEmpty()) {
            type.forEach(t -> out.add(t.isTextual() ? t.asText() : ""));
        } else {
            throw error("'type' at " + at + " must be a type name or a non-empty array of them");
        }
        for (String t : out) {
            if (!TYPES.contains(t)) {
                throw error("unknown type '" + t + "' at " + at + " (one of " + String.join(", ", TYPES) + ")");
            }
        }
        return out;
    }

    /**
     * A schema of types and their keywords. Without {@code type}, the types its keywords are about
     * (a value of another type would also be valid, but a schema with {@code properties} means an
     * object), or any value when it has none.
     */
    private Expr typed(JsonNode node, String at) {
        List<String> types;
        if (node.has("type")) {
            types = types(node.get("type"), at);
        } else {
            types = new ArrayList<>();
            addIfAny(node, OBJECT_KEYWORDS, "object", types);
            addIfAny(node, ARRAY_KEYWORDS, "array", types);
            addIfAny(node, STRING_KEYWORDS, "string", types);
            addIfAny(node, NUMBER_KEYWORDS, "number", types);
            if (types.isEmpty()) {
                return generic("value");
            }
        }
        List<Expr> options = new ArrayList<>();
        for (String type : new LinkedHashSet<>(types)) {
            Expr e = switch (type) {
                case "object" -> object(node, at);
                case "array" -> array(node, at);
                case "string" -> string(node, at);
                case "integer" -> integer(node, at);
                case "number" -> number(node, at);
                case "boolean" -> Expr.alt(Expr.literal("true"), Expr.literal("false"));
                default -> Expr.literal("null");
            };
            if (!e.equals(NEVER)) {
                options.add(e);
            }
        }
        return options.isEmpty() ? NEVER : Expr.alt(options.toArray(Expr[]::new));
    }

    private static void addIfAny(JsonNode node, Set<String> keywords, String type, List<String> types) {
        if (keywords.stream().anyMatch(node::has)) {
            types.add(type);
        }
    }

    /** A non-negative integer keyword, or {@code absent}. */
    private static int count(JsonNode node, String key, String at, int absent) {
        JsonNode n = node.get(key);
        if (n == null) {
            return absent;
        }
        if (!n.isNumber() || !isFinite(n) || n.decimalValue().signum() < 0 || n.decimalValue().stripTrailingZeros().scale() > 0) {
            throw error("'" + key + "' at " + at + " must be a non-negative integer");
        }
        if (n.decimalValue().compareTo(BigDecimal.valueOf(MAX_COUNT)) > 0) {
            throw error("'" + key + "' " + n + " at " + at + " exceeds the supported limit of " + MAX_COUNT);
        }
        return n.intValue();
    }

    private Expr object(JsonNode node, String at) {
        JsonNode props = node.get("properties");
        if (props != null && !props.isObject()) {
            throw error("'properties' at " + at + " must be an object");
        }
        Set<String> required = new LinkedHashSet<>();
        JsonNode req = node.get("required");
        if (req != null) {
            if (!req.isArray()) {
                throw error("'required' at " + at + " must be an array of property names");
            }
            for (JsonNode r : req) {
                if (!r.isTextual()) {
                    throw error("'required' at " + at + " must be an array of property names");
                }
                required.add(r.asText());
            }
        }
        int minProperties = count(node, "minProperties", at, 0);
        int maxProperties = count(node, "maxProperties", at, -1);
        JsonNode additional = node.get("additionalProperties");
        if (props == null && required.isEmpty() && minProperties == 0 && maxProperties < 0
                && (additional == null || additional.isBoolean() && additional.booleanValue())) {
            return generic("object");
        }
        // Without additionalProperties: only the listed properties when there are some (xgrammar's default).
        Expr extra = additional == null ? (props == null ? generic("value") : null)
                : used(additional, at + "/additionalProperties");
        if (extra != null && extra.equals(NEVER)) {
            extra = null;
        }
        List<String> names = new ArrayList<>();
        List<Expr> members = new ArrayList<>();
        List<Boolean> isRequired = new ArrayList<>();
        if (props != null) {
            for (var it = props.properties().iterator(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> p = it.next();
                String name = p.getKey();
                Expr value = used(p.getValue(), at + "/properties/" + name.replace("~", "~0").replace("/", "~1"));
                if (value.equals(NEVER)) {
                    if (required.contains(name)) {
                        throw error("required property '" + name + "' at " + at + " accepts no value");
                    }
                } else {
                    members.add(member(Expr.literal(JsonStrings.quote(name)), value));
                    isRequired.add(required.contains(name));
                }
                names.add(name);
            }
        }
        for (String name : required) {
            if (props == null || !props.has(name)) {
                // Named by the schema, so generated even where other unlisted properties are not.
                Expr value = additional == null ? generic("value") : extra;
                if (value == null) {
                    throw error("required property '" + name + "' at " + at
                            + " is not in 'properties' and 'additionalProperties' allows no other");
                }
                members.add(member(Expr.literal(JsonStrings.quote(name)), value));
                isRequired.add(true);
                names.add(name);
            }
        }
        if (maxProperties >= 0 && (maxProperties < required.size() || maxProperties < minProperties)) {
            throw error("no object at " + at + " satisfies its 'required', 'minProperties' and 'maxProperties'");
        }
        // Counting members is only done where it is free: a minimum the required ones meet, or 1; a
        // maximum the listed ones cannot exceed, or 0.
        boolean nonEmpty = minProperties > required.size();
        if (nonEmpty && minProperties > 1) {
            throw error("'minProperties' " + minProperties + " at " + at
                    + " is only supported up to the number of required properties, or 1");
        }
        if (maxProperties >= 0 && (extra != null || maxProperties < members.size())) {
            if (maxProperties > 0) {
                throw error("'maxProperties' " + maxProperties + " at " + at
                        + " is only supported when the listed properties cannot exceed it, or 0");
            }
            return Expr.seq(Expr.literal("{"), ws(), Expr.literal("}"));
        }
        if (nonEmpty && members.isEmpty() && extra == null) {
            throw error("no object at " + at + " satisfies its 'minProperties' with the properties it allows");
        }
        Expr extraMember = extra == null ? null : member(JsonStrings.keyOtherThan(names), extra);
        return Expr.seq(Expr.literal("{"), ws(), members(at, members, isRequired, extraMember, nonEmpty), Expr.literal("}"));
    }

    /**
     * The members of an object and the whitespace after them: the listed ones in order, each
     * optional one skippable, then any extra ones. {@code tails[i]} is what may follow once some
     * member is written, from member i on; the first member written is any of those up to the
     * first required one. Tails that two places continue with are rules, so the size stays linear.
     */
    private Expr members(String at, List<Expr> members, List<Boolean> isRequired, Expr extraMember, boolean nonEmpty) {
        int n = members.size();
        int firstRequired = isRequired.indexOf(true);
        int k = firstRequired < 0 ? n : firstRequired;
        Expr[] tails = new Expr[n + 1];
        tails[n] = extraMember == null ? Expr.EMPTY : Expr.star(Expr.seq(separator(), extraMember));
        for (int i = n - 1; i >= 1; i--) {
            Expr part = Expr.seq(separator(), members.get(i));
            Expr tail = Expr.seq(isRequired.get(i) ? part : Expr.optional(part), tails[i + 1]);
            tails[i] = i >= 2 && i <= k + 1 ? Expr.ref(rule(at + ":rest" + i, tail)) : tail;
        }
        List<Expr> firsts = new ArrayList<>();
        for (int i = 0; i < Math.min(k + 1, n); i++) {
            firsts.add(Expr.seq(members.get(i), tails[i + 1]));
        }
        if (k == n && extraMember != null) {
            firsts.add(Expr.seq(extraMember, tails[n]));
        }
        if (firsts.isEmpty()) {
            return Expr.EMPTY;
        }
        Expr written = Expr.seq(Expr.alt(firsts.toArray(Expr[]::new)), ws());
        return k == n && !nonEmpty ? Expr.optional(written) : written;
    }

    private Expr array(JsonNode node, String at) {
        JsonNode items = node.get("items");
        JsonNode prefix = node.get("prefixItems");
        List<Expr> tuple = new ArrayList<>();
        Expr rest;
        if (items != null && items.isArray()) { // the tuple form of drafts before 2020-12
            if (prefix != null) {
                throw error("'prefixItems' together with an array 'items' at " + at + " is not supported");
            }
            prefix = items;
            JsonNode additional = node.get("additionalItems");
            rest = additional == null ? generic("value") : used(additional, at + "/additionalItems");
        } else {
            rest = items == null ? generic("value") : used(items, at + "/items");
        }
        if (prefix != null) {
            if (!prefix.isArray()) {
                throw error("'prefixItems' at " + at + " must be an array of schemas");
            }
            String where = at + (prefix == items ? "/items/" : "/prefixItems/");
            for (int i = 0; i < prefix.size(); i++) {
                Expr e = used(prefix.get(i), where + i);
                if (e.equals(NEVER)) {
                    rest = NEVER; // no array reaches this position
                    break;
                }
                tuple.add(e);
            }
        }
        int min = count(node, "minItems", at, 0);
        int max = count(node, "maxItems", at, -1);
        if (rest.equals(NEVER)) {
            rest = null;
            max = max < 0 ? tuple.size() : Math.min(max, tuple.size());
        }
        if (max >= 0 && min > max) {
            throw error("no array at " + at + " satisfies its 'minItems', 'maxItems' and item schemas");
        }
        if (tuple.isEmpty() && min == 0 && max < 0 && rest.equals(Expr.ref("value"))) {
            return generic("array");
        }
        if (max == 0) {
            return Expr.seq(Expr.literal("["), ws(), Expr.literal("]"));
        }
        Expr written = Expr.seq(tuple.isEmpty() ? rest : tuple.getFirst(), after(1, tuple, rest, min, max), ws());
        return Expr.seq(Expr.literal("["), ws(), min == 0 ? Expr.optional(written) : written, Expr.literal("]"));
    }

    /** The items after the first {@code written} of an array (tuple items first, then {@code rest}). */
    private Expr after(int written, List<Expr> tuple, Expr rest, int min, int max) {
        if (max >= 0 && written >= max) {
            return Expr.EMPTY;
        }
        if (written < tuple.size()) {
            Expr more = Expr.seq(separator(), tuple.get(written), after(written + 1, tuple, rest, min, max));
            return written < min ? more : Expr.optional(more);
        }
        if (rest == null) {
            return Expr.EMPTY;
        }
        return new Expr.Repeat(Expr.seq(separator(), rest), Math.max(min - written, 0),
                max < 0 ? Expr.UNBOUNDED : max - written);
    }

    private Expr string(JsonNode node, String at) {
        List<String> present = STRING_KEYWORDS.stream().filter(node::has).sorted().toList();
        if (present.isEmpty()) {
            return generic("string");
        }
        Expr quote = Expr.literal("\"");
        if (node.has("pattern") || node.has("format")) {
            String keyword = node.has("pattern") ? "pattern" : "format";
            if (present.size() > 1) {
                throw combined(keyword, present.stream().filter(k -> !k.equals(keyword)).findFirst().orElseThrow(), at);
            }
            JsonNode text = node.get(keyword);
            if (!text.isTextual()) {
                throw error("'" + keyword + "' at " + at + " must be a string");
            }
            if (keyword.equals("format")) {
                String regex = StringFormats.regex(text.asText());
                if (regex == null) {
                    throw error("unsupported string format '" + text.asText() + "' at " + at);
                }
                return Expr.seq(quote, JsonStrings.content(RegexGrammar.parse(regex)), quote);
            }
            return Expr.seq(quote, pattern(text.asText(), at), quote);
        }
        int min = count(node, "minLength", at, 0);
        int max = count(node, "maxLength", at, -1);
        if (max >= 0 && min > max) {
            throw error("'minLength' " + min + " exceeds 'maxLength' " + max + " at " + at);
        }
        return Expr.seq(quote, new Expr.Repeat(generic("char"), min, max < 0 ? Expr.UNBOUNDED : max), quote);
    }

    /**
     * String content a {@code pattern} matches as a whole, as outlines and xgrammar read it: JSON
     * Schema only asks that the string contain a match, so this is a subset, and it generates what
     * the pattern describes rather than anything around it (a search would also blow up automata
     * for patterns like {@code a.{20}}).
     */
    private static Expr pattern(String regex, String at) {
        try {
            return JsonStrings.content(RegexGrammar.parse(regex));
        } catch (GrammarException e) {
            throw error("'pattern' at " + at + ": " + e.getMessage());
        }
    }

    /** A bound's value, or null; {@code exclusiveMinimum: true} (draft 4) is read with {@code minimum}. */
    private static BigDecimal bound(JsonNode node, String key, String at) {
        JsonNode n = node.get(key);
        if (n == null || n.isBoolean() && key.startsWith("exclusive")) {
            return null;
        }
        if (!n.isNumber() || !isFinite(n)) {
            throw error("'" + key + "' at " + at + " must be a finite number");
        }
        return n.decimalValue();
    }

    private static boolean draft4Exclusive(JsonNode node, String key) {
        JsonNode n = node.get(key);
        return n != null && n.isBoolean() && n.booleanValue();
    }

    private Expr integer(JsonNode node, String at) {
        if (NUMBER_KEYWORDS.stream().noneMatch(node::has)) {
            return generic("integer");
        }
        BigInteger lo = null;
        BigInteger hi = null;
        BigDecimal minimum = bound(node, "minimum", at);
        if (minimum != null) {
            lo = draft4Exclusive(node, "exclusiveMinimum") ? floor(minimum).add(BigInteger.ONE)
                    : minimum.setScale(0, RoundingMode.CEILING).toBigInteger();
        }
        BigDecimal exclusiveMinimum = bound(node, "exclusiveMinimum", at);
        if (exclusiveMinimum != null) {
            BigInteger v = floor(exclusiveMinimum).add(BigInteger.ONE);
            lo = lo == null ? v : lo.max(v);
        }
        BigDecimal maximum = bound(node, "maximum", at);
        if (maximum != null) {
            hi = draft4Exclusive(node, "exclusiveMaximum") ? maximum.setScale(0, RoundingMode.CEILING).toBigInteger().subtract(BigInteger.ONE)
                    : floor(maximum);
        }
        BigDecimal exclusiveMaximum = bound(node, "exclusiveMaximum", at);
        if (exclusiveMaximum != null) {
            BigInteger v = exclusiveMaximum.setScale(0, RoundingMode.CEILING).toBigInteger().subtract(BigInteger.ONE);
            hi = hi == null ? v : hi.min(v);
        }
        Expr e = NumberRanges.integers(lo, hi);
        if (e == null) {
            throw error("no integer at " + at + " satisfies its bounds");
        }
        return e;
    }

    private static BigInteger floor(BigDecimal v) {
        return v.setScale(0, RoundingMode.FLOOR).toBigInteger();
    }

    private Expr number(JsonNode node, String at) {
        if (NUMBER_KEYWORDS.stream().noneMatch(node::has)) {
            return generic("number");
        }
        BigDecimal lo = bound(node, "minimum", at);
        boolean loEx = lo != null && draft4Exclusive(node, "exclusiveMinimum");
        BigDecimal exLo = bound(node, "exclusiveMinimum", at);
        if (exLo != null && (lo == null || exLo.compareTo(lo) >= 0)) {
            lo = exLo;
            loEx = true;
        }
        BigDecimal hi = bound(node, "maximum", at);
        boolean hiEx = hi != null && draft4Exclusive(node, "exclusiveMaximum");
        BigDecimal exHi = bound(node, "exclusiveMaximum", at);
        if (exHi != null && (hi == null || exHi.compareTo(hi) <= 0)) {
            hi = exHi;
            hiEx = true;
        }
        Expr e = NumberRanges.decimals(lo, loEx, hi, hiEx);
        if (e == null) {
            throw error("no number at " + at + " satisfies its bounds");
        }
        return e;
    }
}
