package dev.iris.templates.jinja;

import java.util.List;
import java.util.Map;

/**
 * A Jinja template as Hugging Face renders chat templates (jinja2 with {@code trim_blocks},
 * {@code lstrip_blocks} and loop controls; Python's values, string methods and {@code tojson}):
 * the subset chat templates use, interpreted directly.
 */
public final class JinjaTemplate {

    private final List<Node> nodes;

    private JinjaTemplate(List<Node> nodes) {
        this.nodes = nodes;
    }

    /** @throws TemplateException naming the line of a syntax error */
    public static JinjaTemplate compile(String source) {
        return new JinjaTemplate(Parser.parse(source));
    }

    /**
     * Renders with these variables (strings, numbers, booleans, null, lists and maps of them, and
     * {@link #function} values).
     *
     * @throws TemplateException when the template fails ({@code raise_exception} included)
     */
    public String render(Map<String, Object> variables) {
        return Interpreter.render(nodes, variables);
    }

    /** A value the template can call, e.g. {@code strftime_now}. */
    public static Object function(java.util.function.Function<List<Object>, Object> f) {
        return Interpreter.function(f);
    }
}
