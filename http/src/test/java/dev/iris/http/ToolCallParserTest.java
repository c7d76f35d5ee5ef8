package dev.iris.http;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ToolCallParserTest {

    @Test
    void qwen25CallsAreTaggedJsonAfterAnyText() {
        ToolCallParser.Parsed p = ToolCallParser.QWEN25.parse("Let me look.\n<tool_call>\n{\"name\": \"get_weather\", "
                + "\"arguments\": {\"city\": \"Paris\"}}\n</tool_call>\n<tool_call>\n{\"name\": \"get_time\", "
                + "\"arguments\": {}}\n</tool_call>").orElseThrow();
        assertEquals("Let me look.\n", p.content());
        assertEquals(List.of("get_weather", "get_time"), p.calls().stream().map(ToolCallParser.ToolCall::name).toList());
        assertEquals("{\"city\":\"Paris\"}", p.calls().getFirst().arguments());
        assertTrue(p.calls().getFirst().id().matches("call_[0-9a-f]{24}"), p.calls().getFirst().id());
    }

    @Test
    void mistralCallsAreAListAfterTheirMarker() {
        ToolCallParser.Parsed p = ToolCallParser.MISTRAL.parse("[TOOL_CALLS] [{\"name\": \"add\", \"arguments\": "
                + "{\"a\": 1, \"b\": 2}}]").orElseThrow();
        assertEquals("", p.content());
        assertEquals("add", p.calls().getFirst().name());
        assertEquals("{\"a\":1,\"b\":2}", p.calls().getFirst().arguments());
    }

    @Test
    void llama3CallsAreTheWholeAnswerAsJsonWithParameters() {
        ToolCallParser.Parsed p = ToolCallParser.LLAMA3.parse(" {\"name\": \"search\", \"parameters\": {\"q\": \"iris\"}};"
                + "{\"name\": \"open\", \"parameters\": {\"id\": 3}}").orElseThrow();
        assertEquals(List.of("search", "open"), p.calls().stream().map(ToolCallParser.ToolCall::name).toList());
        assertEquals("{\"q\":\"iris\"}", p.calls().getFirst().arguments());
        assertTrue(ToolCallParser.LLAMA3.parse("<|python_tag|>{\"name\": \"f\", \"parameters\": {}}").isPresent());
    }

    @Test
    void textWithoutAParsableCallIsNoCall() {
        assertTrue(ToolCallParser.QWEN25.parse("The weather is fine.").isEmpty());
        assertTrue(ToolCallParser.QWEN25.parse("I would write <tool_call> here, but no.").isEmpty());
        assertTrue(ToolCallParser.LLAMA3.parse("{not json").isEmpty());
        assertTrue(ToolCallParser.MISTRAL.parse("[TOOL_CALLS] {\"name\": \"f\"}").isEmpty());
    }

    @Test
    void aStreamHoldsBackFromWhereACallMayBeginEvenAcrossTokens() {
        ToolCallParser.Gate gate = ToolCallParser.QWEN25.new Gate();
        assertEquals("Sure", gate.accept("Sure"));
        assertEquals(". ", gate.accept(". <tool"));
        assertEquals("", gate.accept("_call>{\"name\""));
        assertEquals("<tool_call>{\"name\"", gate.unsent());
        ToolCallParser.Gate plain = ToolCallParser.QWEN25.new Gate();
        assertEquals("a ", plain.accept("a <"), "'<' may start the marker");
        assertEquals("<b>", plain.accept("b>"));
        ToolCallParser.Gate json = ToolCallParser.LLAMA3.new Gate();
        assertEquals("", json.accept("  "));
        assertEquals("", json.accept("{\"name\""));
        assertEquals("Hello", ToolCallParser.LLAMA3.new Gate().accept("Hello"));
    }

    @Test
    void anUnknownParserNameIsRefused() {
        assertEquals("unknown tool-call parser 'hermes' (expected qwen25, mistral or llama3)",
                assertThrows(IllegalArgumentException.class, () -> ToolCallParser.named("hermes")).getMessage());
    }
}
