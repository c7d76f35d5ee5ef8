package dev.iris.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.TextNode;
import dev.iris.runtime.grammar.Constraints;
import dev.iris.runtime.grammar.Expr;
import dev.iris.runtime.grammar.Grammar;
import dev.iris.runtime.grammar.GrammarConstraint;
import dev.iris.runtime.grammar.GrammarException;
import dev.iris.runtime.grammar.JsonSchemaGrammar;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Forced tool calls ({@code tool_choice: "required"} or a named function): a grammar of calls in
 * the format of the {@link ToolCallParser} that will read them back, whose {@code arguments} are
 * JSON valid against each function's {@code parameters} schema. "required" allows one or more
 * calls to any offered function; a named function exactly one call to it.
 */
final class ToolCallGrammar {

    private ToolCallGrammar() {
    }

    /** A function on offer: its name and its parameters' schema. */
    record Function(String name, JsonNode parameters) {
    }

    /** The constraint for calls to {@code functions} ({@code many}: one or more calls, else exactly one). */
    static GrammarConstraint of(ToolCallParser format, List<Function> functions, boolean many, Constraints constraints) {
        String key = format + (many ? ":required:" : ":named:") + functions;
        try {
            return constraints.grammar(key, () -> grammar(format, functions, many, constraints.jsonWhitespace()));
        } catch (GrammarException e) {
            throw ApiError.badRequest("Invalid tool parameters schema: " + e.getMessage(), "tools");
        }
    }

    private static Grammar grammar(ToolCallParser format, List<Function> functions, boolean many, Expr ws) {
        Map<String, Expr> rules = new LinkedHashMap<>();
        List<Expr> calls = new ArrayList<>();
        String argumentsKey = format == ToolCallParser.LLAMA3 ? "parameters" : "arguments";
        for (int i = 0; i < functions.size(); i++) {
            Function f = functions.get(i);
            JsonNode schema = f.parameters() == null || f.parameters().isNull()
                    ? Json.newObject().put("type", "object") : f.parameters();
            Grammar arguments = JsonSchemaGrammar.fromSchema(schema, ws).renamed("f" + i + "_");
            rules.putAll(arguments.rules());
            calls.add(Expr.seq(Expr.literal("{\"name\": " + new TextNode(f.name()) + ", \"" + argumentsKey + "\": "),
                    Expr.ref(arguments.root()), Expr.literal("}")));
        }
        rules.put("call", Expr.alt(calls.toArray(Expr[]::new)));
        Expr call = Expr.ref("call");
        Expr root = switch (format) {
            case QWEN25 -> {
                Expr one = Expr.seq(Expr.literal("<tool_call>\n"), call, Expr.literal("\n</tool_call>"));
                yield many ? Expr.seq(one, Expr.star(Expr.seq(Expr.literal("\n"), one))) : one;
            }
            case MISTRAL -> Expr.seq(Expr.literal("[TOOL_CALLS] ["), call,
                    many ? Expr.star(Expr.seq(Expr.literal(", "), call)) : Expr.EMPTY, Expr.literal("]"));
            case LLAMA3 -> many ? Expr.seq(call, Expr.star(Expr.seq(Expr.literal("; "), call))) : call;
        };
        Map<String, Expr> all = new LinkedHashMap<>();
        all.put("root", root);
        all.putAll(rules);
        return new Grammar(all, "root");
    }
}
