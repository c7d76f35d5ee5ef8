package dev.iris.http;

import com.fasterxml.jackson.databind.JsonNode;
import dev.iris.runtime.engine.EngineOptions;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.OutputStream;
import java.lang.management.ManagementFactory;
import java.net.Socket;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What one request can cost the server is bounded: preparing a hostile prompt is linear and
 * capped, a client that leaves stops costing CPU, and a client that stops reading its stream
 * costs neither compute nor memory for long. The time limits asserted are the (#16),
 * taken after a warm-up request so they measure the work, not the JIT.
 */
class RequestCostTest {

    private TestServer server;
    private final List<String> log = Collections.synchronizedList(new ArrayList<>());
    private final Logger requests = Logger.getLogger("dev.iris.http.requests");
    private final Handler capture = new Handler() {
        @Override
        public void publish(LogRecord record) {
            log.add(record.getLevel() + " " + record.getMessage());
        }

        @Override
        public void flush() {
        }

        @Override
        public void close() {
        }
    };

    @BeforeEach
    void start() throws Exception {
        requests.addHandler(capture);
        ConnectionLimits limits = ConnectionLimits.DEFAULTS.withStreamStall(Duration.ofSeconds(1), 16);
        server = new TestServer(ServerOptions.DEFAULTS.withConnections(limits), new EngineOptions(4, 65536, 0, true, 16, 64));
        assertEquals(200, server.post("/v1/chat/completions", chat("\"hello\"", 2)).statusCode()); // warm-up
    }

    @AfterEach
    void stop() throws IOException {
        requests.removeHandler(capture);
        server.close();
    }

    private static String chat(String messages, int maxTokens) {
        return "{\"messages\":[{\"role\":\"user\",\"content\":" + messages + "}],\"max_tokens\":" + maxTokens + "}";
    }

    private static long millisSince(long start) {
        return (System.nanoTime() - start) / 1_000_000;
    }

    @Test
    void sixtyFourThousandMessagesAreRefusedWithinASecond() throws Exception {
        StringBuilder body = new StringBuilder("{\"max_tokens\":1,\"messages\":[");
        for (int i = 0; i < 65_536; i++) {
            body.append(i == 0 ? "" : ",").append("{\"role\":\"user\",\"content\":\"hi ").append(i).append("\"}");
        }
        String json = body.append("]}").toString();
        long start = System.nanoTime();
        HttpResponse<String> r = server.post("/v1/chat/completions", json);
        long took = millisSince(start);
        assertEquals(400, r.statusCode(), r.body());
        assertTrue(TestServer.json(r).get("message").asText().contains("at most 4096 messages"), r.body());
        assertTrue(took < 1000, "answered in " + took + " ms");
    }

    @Test
    void aSpecialTokenRepeatedAHundredThousandTimesIsPreparedWithinASecond() throws Exception {
        String repeated = "<|im_end|>".repeat(100_000);
        long start = System.nanoTime();
        HttpResponse<String> r = server.post("/v1/chat/completions", chat("\"" + repeated + "\"", 1));
        long took = millisSince(start);
        // 100k special tokens do not fit the 32k context: refused after tokenizing, in our words.
        assertEquals(400, r.statusCode(), r.body());
        assertTrue(TestServer.json(r).get("message").asText().startsWith("The input (1000"), r.body());
        assertTrue(took < 1000, "answered in " + took + " ms");
    }

    @Test
    void aClientThatLeavesWhileItsPromptIsTokenizedStopsCostingCpu() throws Exception {
        // Twelve prompts of 1 MB: each fits the context, together several seconds of tokenizing.
        String prompt = "many small words to tokenize, ".repeat(34_000);
        StringBuilder batch = new StringBuilder("{\"rid\":\"leaver-1\",\"sampling_params\":{\"max_new_tokens\":1},\"text\":[");
        for (int i = 0; i < 12; i++) {
            batch.append(i == 0 ? "" : ",").append('"').append(prompt).append('"');
        }
        byte[] body = batch.append("]}").toString().getBytes(StandardCharsets.UTF_8);
        try (Socket s = new Socket("127.0.0.1", server.server.port())) {
            OutputStream out = s.getOutputStream();
            out.write(("POST /generate HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: "
                    + body.length + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            out.write(body);
            out.flush();
            long busy = cpuMillisOver(600);
            assertTrue(busy > 300, "the server was preparing the request: " + busy + " ms of CPU in 600 ms");
        }
        Thread.sleep(300); // the client is gone: its handler is interrupted within one watch period
        long after = cpuMillisOver(1000);
        assertTrue(after < 350, "CPU after the client left: " + after + " ms in 1000 ms");
        assertTrue(log.stream().anyMatch(l -> l.startsWith("INFO Abort: id=leaver-1 /generate: the client disconnected")),
                log::toString);
    }

    @Test
    void aClientThatLeavesMidStreamHasItsRequestAbortedAndTheAbortLogged() throws Exception {
        String body = "{\"messages\":[{\"role\":\"user\",\"content\":\"go on\"}],\"stream\":true,\"max_tokens\":5000,"
                + "\"ignore_eos\":true}";
        int open = server.server.openConnections();
        try (Socket s = new Socket("127.0.0.1", server.server.port())) {
            s.getOutputStream().write(("POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                    + "Content-Length: " + body.length() + "\r\n\r\n" + body).getBytes(StandardCharsets.US_ASCII));
            s.getInputStream().readNBytes(600); // the headers and the first chunks
        }
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (System.nanoTime() < deadline && (server.engine.metrics().runningRequests() > 0
                || server.server.openConnections() > open
                || log.stream().noneMatch(l -> l.contains("the client disconnected")))) {
            Thread.sleep(20);
        }
        assertEquals(0, server.engine.metrics().runningRequests());
        assertEquals(open, server.server.openConnections(), "the connection is forgotten once closed");
        assertTrue(log.stream().anyMatch(l -> l.matches("INFO Abort: id=\\w+ /v1/chat/completions: the client disconnected"
                + " before the answer was complete")), log::toString);
    }

    @Test
    void aStreamNobodyReadsPausesThenIsAbortedAndItsSlotFreed() throws Exception {
        String body = "{\"messages\":[{\"role\":\"user\",\"content\":\"go on\"}],\"stream\":true,\"max_tokens\":20000,"
                + "\"ignore_eos\":true,\"n\":8,\"logprobs\":true,\"top_logprobs\":5}";
        try (Socket s = new Socket()) {
            s.setReceiveBufferSize(2048); // a client that reads nothing: the server's writes block soon
            s.connect(new java.net.InetSocketAddress("127.0.0.1", server.server.port()));
            s.getOutputStream().write(("POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                    + "Content-Length: " + body.length() + "\r\n\r\n" + body).getBytes(StandardCharsets.US_ASCII));
            long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
            while (System.nanoTime() < deadline && (server.engine.metrics().runningRequests() > 0
                    || log.stream().noneMatch(l -> l.contains("its stream went unread")))) {
                Thread.sleep(50);
            }
            assertEquals(0, server.engine.metrics().runningRequests(), "the slots are free again");
            long generated = server.engine.metrics().generationTokensTotal();
            assertTrue(generated < 8 * 20_000 / 4, "paused while unread: " + generated + " tokens generated");
            assertTrue(log.stream().anyMatch(l -> l.matches("INFO Abort: id=\\w+ /v1/chat/completions: its stream went"
                    + " unread for 1.0 s \\(--stream-stall-timeout\\)")), log::toString);
            s.setSoTimeout(5000);
            s.getInputStream().transferTo(OutputStream.nullOutputStream()); // the server closed its end
        }
        long pages = server.engine.pages().usedPages() - server.engine.cachedPages();
        assertEquals(0, pages, "no request holds K/V pages");
        JsonNode health = TestServer.json(server.post("/v1/chat/completions", chat("\"still there?\"", 2)));
        assertEquals("chat.completion", health.get("object").asText(), "the server serves the next client");
    }

    /** CPU the whole process used over the next {@code millis} ms. */
    private static long cpuMillisOver(long millis) throws InterruptedException {
        var os = (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
        long before = os.getProcessCpuTime();
        Thread.sleep(millis);
        return (os.getProcessCpuTime() - before) / 1_000_000;
    }
}
