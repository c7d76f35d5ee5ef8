package dev.iris.cli;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code iris serve}'s command line against SGLang's (contract §8). */
class ServerArgsTest {

    /** The seed's launch line, with {@code python3 -m sglang.launch_server} replaced by {@code iris serve}. */
    private static final List<String> SEED = List.of("--model-path", "meta-llama/Llama-3.2-11B-Vision-Instruct",
            "--chat-template=llama_3_vision");

    @Test
    void theSeedsLaunchLineParsesToTheSeedsSettings() {
        ServerArgs a = ServerArgs.parse(SEED);
        assertEquals("meta-llama/Llama-3.2-11B-Vision-Instruct", a.string("model-path"));
        assertEquals("llama_3_vision", a.string("chat-template"));
        assertEquals("127.0.0.1", a.string("host"));
        assertEquals(30000, a.integer("port", -1));
        assertEquals(8192, a.integer("chunked-prefill-size", -1));
        assertEquals(16384, a.integer("max-prefill-tokens", -1));
        assertEquals("fcfs", a.string("schedule-policy"));
        assertEquals(1, a.integer("page-size", -1));
        assertEquals(1, a.integer("stream-interval", -1));
        assertEquals(40, a.integer("decode-log-interval", -1));
        assertEquals("info", a.string("log-level"));
        assertEquals("cpu", a.string("device"));
        assertTrue(a.ignored().isEmpty(), a.ignored().toString());
    }

    @Test
    void theServerArgsLineListsEveryFlagInSglangsOrderPythonStyle() {
        ServerArgs a = ServerArgs.parse(List.of("--model", "/m", "--port=8000", "--enable-metrics", "--tp", "1"));
        String line = a.describe(Map.of("tokenizer-path", "/m", "random-seed", 42L));
        assertTrue(line.startsWith("server_args=ServerArgs(model_path='/m', tokenizer_path='/m', tokenizer_mode='auto', "
                + "skip_tokenizer_init=False, load_format='auto', trust_remote_code=False, dtype='auto', "), line);
        assertTrue(line.contains(", host='127.0.0.1', port=8000, mem_fraction_static=None, "), line);
        assertTrue(line.contains(", random_seed=42, "), line);
        assertTrue(line.contains(", enable_metrics=True, "), line);
        assertTrue(line.contains(", lora_paths=None, "), line);
        List<String> order = new ArrayList<>();
        for (Flag f : ServerFlags.ALL) {
            if (!f.name().equals("help")) {
                order.add(f.field() + "=");
            }
        }
        int at = 0;
        for (String field : order) {
            int next = line.indexOf(", " + field, at);
            assertTrue(next >= at || line.startsWith("server_args=ServerArgs(" + field), field + " out of order");
            at = Math.max(at, next);
        }
    }

    @Test
    void flagsWithoutEffectAreAcceptedAndNamedInAWarning() {
        ServerArgs a = ServerArgs.parse(List.of("--disable-cuda-graph", "--cuda-graph-bs", "1", "2", "4",
                "--trust-remote-code", "--watchdog-timeout", "300"));
        assertEquals(List.of(
                "--trust-remote-code is accepted for compatibility with SGLang and has no effect in Iris.",
                "--disable-cuda-graph is accepted for compatibility with SGLang and has no effect in Iris.",
                "--cuda-graph-bs is accepted for compatibility with SGLang and has no effect in Iris."), a.ignored());
    }

    @Test
    void valuesIrisCannotHonourAreRefusedAtStart() {
        assertEquals("--tp-size 2 is not supported by Iris (tensor parallelism: 1 only)", assertThrows(
                UsageException.class, () -> ServerArgs.parse(List.of("--tensor-parallel-size", "2"))).getMessage());
        assertEquals("--quantization fp8 is not supported by Iris (q8_0|q4_0: the language model's linear weights"
                + " quantized at load to llama.cpp's block format, on the cpu device)", assertThrows(
                UsageException.class, () -> ServerArgs.parse(List.of("--quantization", "fp8"))).getMessage());
        assertEquals("--is-embedding is not supported by Iris (embedding models are not supported)", assertThrows(
                UsageException.class, () -> ServerArgs.parse(List.of("--is-embedding"))).getMessage());
        ServerArgs.parse(List.of("--load-format", "safetensors", "--kv-cache-dtype", "auto", "--dp", "1",
                "--quantization", "Q8_0"));
    }

    @Test
    void aBadServeCommandLineExitsWithTwoAndAUsageMessage() {
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int rc = Main.run(List.of("serve", "--port", "http"), System.out, new PrintStream(err));
        assertEquals(2, rc);
        assertTrue(err.toString().contains("argument --port: invalid int value: 'http'"), err.toString());
        err.reset();
        assertEquals(2, Main.run(List.of("serve", "--no-such-flag"), System.out, new PrintStream(err)));
        assertTrue(err.toString().contains("unrecognized arguments: --no-such-flag"), err.toString());
    }

    @Test
    void helpNamesTheImplementedFlagsAndTheAcceptedOnes() {
        String help = ServerArgs.helpText();
        assertTrue(help.contains("--model-path STRING"), help);
        assertTrue(help.contains("--chunked-prefill-size INT"), help);
        assertTrue(help.contains("Accepted for compatibility, no effect: --tokenizer-mode"), help);
    }
}
