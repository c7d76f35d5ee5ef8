package dev.iris.http;

import com.fasterxml.jackson.databind.JsonNode;
import dev.iris.runtime.engine.EngineOptions;
import org.junit.jupiter.api.Test;

import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Auth, CORS, the native API, health, metrics, client disconnects and overload. */
class ServerBehaviourTest {

    @Test
    void withAnApiKeyOnlyTheExactBearerPassesAndHealthStaysOpen() throws Exception {
        try (TestServer s = new TestServer(ServerOptions.DEFAULTS.withApiKey("sk-test"), new EngineOptions(4, 512, 0, true, 4, 64))) {
            HttpResponse<String> none = s.get("/v1/models");
            assertEquals(401, none.statusCode());
            assertEquals("{\"error\":\"Unauthorized\"}", none.body());
            assertEquals(401, s.get("/v1/models", "Authorization", "Bearer sk-tesT").statusCode());
            assertEquals(401, s.post("/generate", "{\"text\":\"hi\"}", "Authorization", "Bearer wrong").statusCode());
            assertEquals(200, s.get("/v1/models", "Authorization", "Bearer sk-test").statusCode());
            assertEquals(200, s.get("/health").statusCode());
            assertEquals(200, s.get("/health_generate").statusCode());
            HttpResponse<String> preflight = s.client.send(HttpRequest.newBuilder(s.uri("/v1/chat/completions"))
                    .method("OPTIONS", HttpRequest.BodyPublishers.noBody())
                    .header("Origin", "http://example.com")
                    .header("Access-Control-Request-Method", "POST").build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(200, preflight.statusCode());
            assertEquals("http://example.com", preflight.headers().firstValue("access-control-allow-origin").orElse(""));
        }
    }

    @Test
    void generateReturnsTheReferenceIdsAndStreamsTheCumulativeText() throws Exception {
        try (TestServer s = new TestServer()) {
            String ids = s.golden.get("input_ids").toString();
            JsonNode out = TestServer.json(s.post("/generate", "{\"input_ids\":" + ids
                    + ",\"sampling_params\":{\"temperature\":0,\"max_new_tokens\":8,\"ignore_eos\":true}}"));
            int[] got = new int[out.get("output_ids").size()];
            for (int i = 0; i < got.length; i++) {
                got[i] = out.get("output_ids").get(i).asInt();
            }
            assertArrayEquals(s.goldenTokens(), got);
            JsonNode meta = out.get("meta_info");
            assertEquals("length", meta.get("finish_reason").get("type").asText());
            assertEquals(71, meta.get("prompt_tokens").asInt());
            assertEquals(8, meta.get("completion_tokens").asInt());

            HttpResponse<String> streamed = s.post("/generate", "{\"input_ids\":" + ids + ",\"stream\":true,"
                    + "\"sampling_params\":{\"temperature\":0,\"max_new_tokens\":8,\"ignore_eos\":true}}");
            String[] frames = streamed.body().split("\n\n");
            assertEquals("data: [DONE]", frames[frames.length - 1]);
            String previous = "";
            for (int i = 0; i < frames.length - 1; i++) {
                String text = TestServer.JSON.readTree(frames[i].substring(6)).get("text").asText();
                assertTrue(text.startsWith(previous), "cumulative text");
                previous = text;
            }
            assertEquals(out.get("text").asText(), previous);
        }
    }

    /** {@code --stream-interval 3}: a choice's tokens come three to an event, the rest before its end. */
    @Test
    void aStreamIntervalSendsThatManyTokensPerEvent() throws Exception {
        try (TestServer s = new TestServer(ServerOptions.DEFAULTS.withStreamInterval(3),
                new EngineOptions(4, 2048, 0, true, 16, 64))) {
            String ids = s.golden.get("input_ids").toString();
            String[] frames = s.post("/generate", "{\"input_ids\":" + ids + ",\"stream\":true,\"return_logprob\":true,"
                    + "\"sampling_params\":{\"temperature\":0,\"max_new_tokens\":8,\"ignore_eos\":true}}").body().split("\n\n");
            List<Integer> counts = new ArrayList<>();
            for (int i = 0; i < frames.length - 1; i++) {
                counts.add(TestServer.JSON.readTree(frames[i].substring(6)).get("meta_info").get("completion_tokens").asInt());
            }
            assertEquals(List.of(3, 6, 8, 8), counts, "tokens so far, event by event (the last one ends it)");
            String chat = s.post("/v1/chat/completions", "{\"model\":\"m\",\"stream\":true,\"logprobs\":true,"
                    + "\"max_tokens\":8,\"temperature\":0,\"ignore_eos\":true,\"messages\":" + s.goldenMessages() + "}").body();
            List<Integer> perChunk = new ArrayList<>();
            for (String frame : chat.split("\n\n")) {
                JsonNode c = frame.equals("data: [DONE]") ? null : TestServer.JSON.readTree(frame.substring(6));
                if (c != null && c.get("choices").get(0).path("logprobs").isObject()) {
                    perChunk.add(c.get("choices").get(0).get("logprobs").get("content").size());
                }
            }
            assertEquals(List.of(3, 3, 2), perChunk);
        }
    }

    /** SGLang's {@code logprob_start_len}: prompt tokens scored from there, in its triple form. */
    @Test
    void generateScoresThePromptFromLogprobStartLen() throws Exception {
        try (TestServer s = new TestServer()) {
            String ids = s.golden.get("input_ids").toString();
            JsonNode meta = TestServer.json(s.post("/generate", "{\"input_ids\":" + ids + ",\"return_logprob\":true,"
                    + "\"logprob_start_len\":0,\"top_logprobs_num\":2,\"return_text_in_logprobs\":true,"
                    + "\"sampling_params\":{\"temperature\":0,\"max_new_tokens\":2}}")).get("meta_info");
            JsonNode input = meta.get("input_token_logprobs");
            assertEquals(meta.get("prompt_tokens").asInt(), input.size());
            assertTrue(input.get(0).get(0).isNull(), input.get(0).toString());
            assertEquals(s.golden.get("input_ids").get(0).asInt(), input.get(0).get(1).asInt());
            for (int i = 1; i < input.size(); i++) {
                assertTrue(input.get(i).get(0).asDouble() <= 0, input.get(i).toString());
                assertEquals(s.golden.get("input_ids").get(i).asInt(), input.get(i).get(1).asInt());
                assertTrue(input.get(i).get(2).isTextual(), input.get(i).toString());
            }
            JsonNode tops = meta.get("input_top_logprobs");
            assertTrue(tops.get(0).isNull());
            assertEquals(2, tops.get(1).size());
            assertEquals(2, meta.get("output_token_logprobs").size());

            JsonNode outputOnly = TestServer.json(s.post("/generate", "{\"input_ids\":" + ids + ",\"return_logprob\":true,"
                    + "\"sampling_params\":{\"max_new_tokens\":1}}")).get("meta_info");
            assertEquals(0, outputOnly.get("input_token_logprobs").size());
            assertEquals(400, s.post("/generate", "{\"input_ids\":" + ids + ",\"return_logprob\":true,"
                    + "\"logprob_start_len\":-2}").statusCode());
        }
    }

    @Test
    void aClientThatLeavesMidStreamHoldsNoRequestAndNoPagesASecondLater() throws Exception {
        try (TestServer s = new TestServer()) {
            HttpRequest req = HttpRequest.newBuilder(s.uri("/v1/chat/completions")).POST(HttpRequest.BodyPublishers.ofString(
                    "{\"messages\":[{\"role\":\"user\",\"content\":\"go on\"}],\"stream\":true,\"max_tokens\":1500,"
                            + "\"ignore_eos\":true,\"temperature\":0}")).build();
            HttpResponse<InputStream> r = s.client.send(req, HttpResponse.BodyHandlers.ofInputStream());
            BufferedReader lines = new BufferedReader(new InputStreamReader(r.body(), StandardCharsets.UTF_8));
            int chunks = 0;
            for (String line; chunks < 3 && (line = lines.readLine()) != null; ) {
                if (line.startsWith("data: ")) {
                    chunks++;
                }
            }
            assertEquals(3, chunks);
            r.body().close();
            long deadline = System.nanoTime() + 1_000_000_000L;
            JsonNode info;
            do {
                Thread.sleep(20);
                info = TestServer.json(s.get("/get_server_info"));
            } while ((info.get("num_running_reqs").asInt() > 0 || s.engine.pages().usedPages() > s.engine.cachedPages())
                    && System.nanoTime() < deadline);
            assertEquals(0, info.get("num_running_reqs").asInt());
            assertEquals(s.engine.cachedPages(), s.engine.pages().usedPages()); // only the prefix cache holds pages
            assertEquals(0, s.engine.metrics().requestsTotal()); // aborted, not run to its 1500 tokens
        }
    }

    @Test
    void aNonStreamingClientThatLeavesIsAbortedWithinFiveSeconds() throws Exception {
        try (TestServer s = new TestServer(ServerOptions.DEFAULTS, new EngineOptions(4, 40000, 0, true, 4, 64))) {
            String body = "{\"prompt\":[1,2,3],\"max_tokens\":30000,\"ignore_eos\":true}";
            try (java.net.Socket socket = new java.net.Socket("127.0.0.1", s.server.port())) {
                socket.getOutputStream().write(("POST /v1/completions HTTP/1.1\r\nHost: x\r\nContent-Length: " + body.length()
                        + "\r\n\r\n" + body).getBytes(StandardCharsets.US_ASCII));
                long deadline = System.nanoTime() + 5_000_000_000L;
                while (s.engine.metrics().runningRequests() == 0 && System.nanoTime() < deadline) {
                    Thread.sleep(10);
                }
                assertEquals(1, s.engine.metrics().runningRequests());
            } // the client leaves without an answer
            long left = System.nanoTime();
            while (s.engine.metrics().runningRequests() > 0 && System.nanoTime() - left < 5_000_000_000L) {
                Thread.sleep(20);
            }
            assertEquals(0, s.engine.metrics().runningRequests(), "still generating 5 s after the client left");
            assertEquals(0, s.engine.metrics().requestsTotal()); // aborted, not run to its 30000 tokens
        }
    }

    @Test
    void aLongNonStreamedAnswerArrivesWholeAfterItsKeepAliveSpaces() throws Exception {
        try (TestServer s = new TestServer(ServerOptions.DEFAULTS, new EngineOptions(4, 40000, 0, true, 4, 64))) {
            long start = System.nanoTime();
            HttpResponse<String> r = s.post("/v1/completions", "{\"prompt\":[1,2,3],\"max_tokens\":8000,\"ignore_eos\":true}");
            double seconds = (System.nanoTime() - start) / 1e9;
            assertEquals(200, r.statusCode());
            assertEquals(8000, TestServer.json(r).get("usage").get("completion_tokens").asInt());
            if (seconds > 2 * WholeAnswer.HEARTBEAT_MILLIS / 1000.0) {
                assertTrue(r.body().startsWith(" "), "took " + seconds + " s without a keep-alive space");
            }
        }
    }

    @Test
    void pastTheQueueLimitRequestsGet503WithRetryAfter() throws Exception {
        ServerOptions options = ServerOptions.DEFAULTS.withMaxQueuedRequests(1);
        try (TestServer s = new TestServer(options, new EngineOptions(4, 40000, 0, true, 1, 64))) {
            // One stream runs (the only slot) and one waits; the next request finds the queue full.
            String longStream = "{\"prompt\":[1,2,3],\"max_tokens\":30000,\"ignore_eos\":true,\"stream\":true}";
            List<java.util.concurrent.CompletableFuture<HttpResponse<InputStream>>> held = new ArrayList<>();
            for (int i = 0; i < 2; i++) {
                held.add(s.client.sendAsync(HttpRequest.newBuilder(s.uri("/v1/completions"))
                        .POST(HttpRequest.BodyPublishers.ofString(longStream)).build(), HttpResponse.BodyHandlers.ofInputStream()));
            }
            long deadline = System.nanoTime() + 10_000_000_000L;
            while ((s.engine.metrics().queuedRequests() < 1 || s.engine.metrics().runningRequests() < 1)
                    && System.nanoTime() < deadline) {
                Thread.sleep(10);
            }
            HttpResponse<String> refused = s.post("/v1/completions", "{\"prompt\":[1,2,3],\"max_tokens\":1}");
            assertEquals(503, refused.statusCode(), refused.body());
            assertEquals("1", refused.headers().firstValue("retry-after").orElse(""));
            assertEquals("ServiceUnavailableError", TestServer.json(refused).get("error").get("type").asText());
            // Whichever was admitted answers first; when it leaves, the queued one starts and answers.
            for (int left = 2; left > 0; left--) {
                java.util.concurrent.CompletableFuture.anyOf(held.stream().filter(f -> !f.isCancelled())
                        .toArray(java.util.concurrent.CompletableFuture[]::new)).get(30, java.util.concurrent.TimeUnit.SECONDS);
                var first = held.stream().filter(f -> f.isDone() && !f.isCancelled()).findFirst().orElseThrow();
                HttpResponse<InputStream> stream = first.get();
                assertEquals(200, stream.statusCode());
                stream.body().close(); // it leaves, aborted at its next token
                held.remove(first);
            }
        }
    }

    /**
     * On shutdown new generation requests get 503 at once, while one in flight finishes normally
     * within the grace period, and the server stops as soon as it has (not at the period's end).
     */
    @Test
    void aShutdownLetsRequestsInFlightFinishWithinTheGracePeriodAndRefusesNewOnes() throws Exception {
        try (TestServer s = new TestServer()) {
            HttpRequest req = HttpRequest.newBuilder(s.uri("/v1/chat/completions")).POST(HttpRequest.BodyPublishers.ofString(
                    "{\"messages\":[{\"role\":\"user\",\"content\":\"go on\"}],\"stream\":true,\"max_tokens\":300,"
                            + "\"ignore_eos\":true}")).build();
            HttpResponse<InputStream> r = s.client.send(req, HttpResponse.BodyHandlers.ofInputStream());
            BufferedReader lines = new BufferedReader(new InputStreamReader(r.body(), StandardCharsets.UTF_8));
            List<String> events = new ArrayList<>();
            for (String line; events.size() < 2 && (line = lines.readLine()) != null; ) {
                if (line.startsWith("data: ")) {
                    events.add(line);
                }
            }
            long start = System.nanoTime();
            Thread closer = Thread.ofVirtual().start(s.server::close);
            long deadline = System.nanoTime() + 5_000_000_000L;
            HttpResponse<String> late;
            do {
                late = s.post("/v1/chat/completions", "{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"max_tokens\":1}");
            } while (late.statusCode() == 200 && System.nanoTime() < deadline);
            assertEquals(503, late.statusCode(), late.body());
            assertEquals("The server is shutting down.", TestServer.json(late).get("message").asText());
            for (String line; (line = lines.readLine()) != null; ) {
                if (line.startsWith("data: ")) {
                    events.add(line);
                }
            }
            closer.join();
            assertEquals("data: [DONE]", events.getLast());
            JsonNode last = TestServer.JSON.readTree(events.get(events.size() - 2).substring(6));
            assertEquals("length", last.get("choices").get(0).get("finish_reason").asText(), "it ran to its end");
            assertTrue(System.nanoTime() - start < 25_000_000_000L, "closed when the request was done, not after 30 s");
        }
    }

    @Test
    void healthSaysWarmingUpUntilTheWarmUpIsDoneAndHealthGenerateWaitsForIt() throws Exception {
        try (TestServer s = new TestServer()) {
            Readiness readiness = Readiness.warmingUp();
            try (IrisServer warming = IrisServer.start(s.model, ServerOptions.DEFAULTS.withPort(0), readiness)) {
                java.net.URI base = java.net.URI.create("http://127.0.0.1:" + warming.port());
                HttpResponse<String> health = s.client.send(HttpRequest.newBuilder(base.resolve("/health")).build(),
                        HttpResponse.BodyHandlers.ofString());
                assertEquals(503, health.statusCode());
                assertEquals("warming up", TestServer.json(health).get("status").asText());
                var probe = s.client.sendAsync(HttpRequest.newBuilder(base.resolve("/health_generate")).build(),
                        HttpResponse.BodyHandlers.ofString());
                Thread.sleep(300);
                assertFalse(probe.isDone(), "/health_generate waits for the warm-up");
                readiness.warmedUp();
                assertEquals(200, probe.get(30, java.util.concurrent.TimeUnit.SECONDS).statusCode());
                assertEquals(200, s.client.send(HttpRequest.newBuilder(base.resolve("/health")).build(),
                        HttpResponse.BodyHandlers.ofString()).statusCode());
            }
        }
    }

    @Test
    void aShutdownPastItsGracePeriodEndsRunningStreamsWithAnErrorEventThenDone() throws Exception {
        ServerOptions noGrace = ServerOptions.DEFAULTS.withConnections(
                ConnectionLimits.DEFAULTS.withShutdownGrace(java.time.Duration.ZERO));
        try (TestServer s = new TestServer(noGrace, new EngineOptions(4, 2048, 0, true, 16, 64))) {
            HttpRequest req = HttpRequest.newBuilder(s.uri("/v1/chat/completions")).POST(HttpRequest.BodyPublishers.ofString(
                    "{\"messages\":[{\"role\":\"user\",\"content\":\"go on\"}],\"stream\":true,\"max_tokens\":3000,"
                            + "\"ignore_eos\":true}")).build();
            HttpResponse<InputStream> r = s.client.send(req, HttpResponse.BodyHandlers.ofInputStream());
            BufferedReader lines = new BufferedReader(new InputStreamReader(r.body(), StandardCharsets.UTF_8));
            List<String> events = new ArrayList<>();
            for (String line; events.size() < 2 && (line = lines.readLine()) != null; ) {
                if (line.startsWith("data: ")) {
                    events.add(line);
                }
            }
            Thread closer = Thread.ofVirtual().start(s.server::close);
            for (String line; (line = lines.readLine()) != null; ) {
                if (line.startsWith("data: ")) {
                    events.add(line);
                }
            }
            closer.join();
            assertEquals("data: [DONE]", events.getLast());
            JsonNode error = TestServer.JSON.readTree(events.get(events.size() - 2).substring(6)).get("error");
            assertEquals("The server is shutting down.", error.get("message").asText());
            assertEquals(503, error.get("code").asInt());
            long deadline = System.nanoTime() + 1_000_000_000L; // aborted requests give their pages back at the next step
            while (s.engine.pages().usedPages() > s.engine.cachedPages() && System.nanoTime() < deadline) {
                Thread.sleep(10);
            }
            assertEquals(s.engine.cachedPages(), s.engine.pages().usedPages());
        }
    }

    @Test
    void everyAnsweredRequestLeavesAnAccessLogLine() throws Exception {
        List<String> lines;
        try (LogCapture access = new LogCapture("dev.iris.http.access"); TestServer s = new TestServer()) {
            lines = access.lines;
            s.get("/v1/models");
            s.get("/nowhere");
        }
        assertTrue(lines.stream().anyMatch(l -> l.matches("127\\.0\\.0\\.1 - \"GET /v1/models\" 200 \\d+\\.\\d{3}s")), lines.toString());
        assertTrue(lines.stream().anyMatch(l -> l.matches("127\\.0\\.0\\.1 - \"GET /nowhere\" 404 \\d+\\.\\d{3}s")), lines.toString());
    }

    @Test
    void logRequestsLogsEachGenerationReceivedAndFinishedWithLongStringsCut() throws Exception {
        List<String> lines;
        try (LogCapture requests = new LogCapture("dev.iris.http.requests");
             TestServer s = new TestServer(ServerOptions.DEFAULTS.withLogRequests(true), new EngineOptions(4, 512, 0, true, 4, 64))) {
            lines = requests.lines;
            s.post("/v1/completions", "{\"prompt\":\"" + "long ".repeat(100) + "\",\"max_tokens\":2,\"ignore_eos\":true}");
        }
        assertEquals(2, lines.size(), lines.toString());
        assertTrue(lines.get(0).startsWith("Receive: id=") && lines.get(0).contains("/v1/completions")
                && lines.get(0).contains("…(500 chars)"), lines.get(0));
        assertTrue(lines.get(1).startsWith("Finish: id=") && lines.get(1).contains("completion_tokens=2"), lines.get(1));
    }

    @Test
    void flushCacheEmptiesThePrefixCacheWhenNothingRuns() throws Exception {
        try (TestServer s = new TestServer()) {
            s.post("/v1/completions", "{\"prompt\":" + s.golden.get("input_ids") + ",\"max_tokens\":2}");
            assertTrue(s.engine.cachedPages() > 0);
            HttpResponse<String> r = s.post("/flush_cache", "");
            assertEquals(200, r.statusCode());
            assertTrue(r.body().startsWith("Cache flushed.\n"));
            assertEquals(0, s.engine.cachedPages());
            assertEquals(0, s.engine.pages().usedPages());
        }
    }

    @Test
    void metricsUseSglangsNamesAndCountFinishedRequests() throws Exception {
        try (TestServer s = new TestServer(ServerOptions.DEFAULTS.withMetrics(true), new EngineOptions(4, 512, 0, true, 4, 64))) {
            s.post("/v1/completions", "{\"prompt\":[1,2,3],\"max_tokens\":5,\"ignore_eos\":true}");
            String text = s.get("/metrics").body();
            assertTrue(text.contains("# TYPE sglang:num_requests_total counter"), text);
            assertTrue(text.contains("sglang:num_requests_total{model_name=\"tiny-qwen2-vl\"} 1"), text);
            assertTrue(text.contains("sglang:generation_tokens_total{model_name=\"tiny-qwen2-vl\"} 5"), text);
            assertTrue(text.contains("sglang:prompt_tokens_total{model_name=\"tiny-qwen2-vl\"} 3"), text);
            assertTrue(text.contains("# TYPE sglang:time_to_first_token_seconds histogram"), text);
            assertTrue(text.contains("sglang:e2e_request_latency_seconds_count{model_name=\"tiny-qwen2-vl\"} 1"), text);
            assertTrue(text.contains("sglang:e2e_request_latency_seconds_bucket{model_name=\"tiny-qwen2-vl\",le=\"+Inf\"} 1"), text);
            assertTrue(text.contains("sglang:time_per_output_token_seconds_count{model_name=\"tiny-qwen2-vl\"} 1"), text);
        }
        try (TestServer off = new TestServer()) {
            assertEquals(404, off.get("/metrics").statusCode());
        }
    }
}
