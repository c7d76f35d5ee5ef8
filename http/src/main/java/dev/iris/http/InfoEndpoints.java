package dev.iris.http;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.iris.api.sampling.SamplingParams;
import dev.iris.runtime.engine.EngineMetrics;
import dev.iris.runtime.engine.GenerationRequest;
import dev.iris.runtime.stop.StopConditions;
import io.helidon.http.HeaderNames;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/** The small endpoints: model list and info, server info, health checks (contract §3, §6.2–6.4). */
final class InfoEndpoints {

    private final ServedModel model;
    private final ServerOptions options;
    private final Readiness readiness;
    private final Map<String, Object> serverArgs;
    private final long healthTimeoutSeconds;

    InfoEndpoints(ServedModel model, ServerOptions options, Readiness readiness, Map<String, Object> serverArgs) {
        this.model = model;
        this.options = options;
        this.readiness = readiness;
        this.serverArgs = Collections.unmodifiableMap(new LinkedHashMap<>(serverArgs));
        this.healthTimeoutSeconds = Long.parseLong(System.getenv().getOrDefault("SGLANG_HEALTH_CHECK_TIMEOUT", "20"));
    }

    /** 200 with an empty body once warmed up; 503 {@code {"status":"warming up"}} before. */
    void health(ServerRequest req, ServerResponse res) {
        if (readiness.isReady()) {
            res.send();
        } else {
            res.status(503);
            json(res, Json.newObject().put("status", "warming up"));
        }
    }

    void models(ServerRequest req, ServerResponse res) {
        ObjectNode body = Json.newObject();
        body.put("object", "list");
        ObjectNode m = body.putArray("data").addObject();
        m.put("id", model.servedName());
        m.put("object", "model");
        m.put("created", System.currentTimeMillis() / 1000);
        m.put("owned_by", "sglang");
        m.put("root", model.servedName());
        m.put("max_model_len", model.contextLength());
        json(res, body);
    }

    void modelInfo(ServerRequest req, ServerResponse res) {
        ObjectNode body = Json.newObject();
        body.put("model_path", model.modelPath());
        body.put("tokenizer_path", model.tokenizerPath());
        body.put("is_generation", true);
        body.put("weight_format", model.weightFormat());
        json(res, body);
    }

    /** Every server argument (contract §6.4), then the live figures. */
    void serverInfo(ServerRequest req, ServerResponse res) {
        EngineMetrics m = model.engine().metrics();
        ObjectNode body = Json.MAPPER.valueToTree(serverArgs);
        body.put("model_path", model.modelPath());
        body.put("tokenizer_path", model.tokenizerPath());
        body.put("served_model_name", model.servedName());
        body.put("weight_format", model.weightFormat());
        body.put("host", options.host());
        body.put("port", options.port());
        body.put("context_length", model.contextLength());
        body.put("enable_metrics", options.enableMetrics());
        body.put("enable_cache_report", options.enableCacheReport());
        body.put("status", readiness.isReady() ? "ready" : "warming up");
        body.put("max_total_num_tokens", model.engine().pages().tokenCapacity());
        body.put("max_req_input_len", Math.min(model.contextLength(), model.engine().pages().tokenCapacity()) - 1);
        body.putPOJO("chat_templates", model.templates().names()); // Iris: what a request's chat_template may name
        body.put("attention_backend", "cpu");
        body.put("sampling_backend", "default");
        body.put("last_gen_throughput", m.genThroughput());
        body.put("num_running_reqs", m.runningRequests());
        body.put("num_queue_reqs", m.queuedRequests());
        body.put("num_used_tokens", m.usedTokens());
        body.put("version", InfoEndpoints.class.getModule().getDescriptor() == null ? "dev"
                : InfoEndpoints.class.getModule().getDescriptor().rawVersion().orElse("dev"));
        json(res, body);
    }

    /**
     * 200 when one greedy token comes out of the engine within the timeout (counted from the end of
     * the warm-up, which it waits for); 503 otherwise.
     */
    void healthGenerate(ServerRequest req, ServerResponse res) throws InterruptedException {
        if (!readiness.await(healthTimeoutSeconds)) {
            res.status(503).send();
            return;
        }
        // SGLang's probe: its warm-up text, or a few ids when there is no tokenizer.
        int[] prompt = model.tokenizer() == null ? new int[]{10, 11, 12} : model.encode("The capital city of France is");
        GenerationRequest probe = new GenerationRequest(prompt.length == 0 ? new int[]{0} : prompt, List.of(),
                SamplingParams.GREEDY, new StopConditions(List.of(), Set.of(), Set.of(), true, false, 1, 0,
                Integer.MAX_VALUE));
        var future = model.engine().generateAsync(probe);
        try {
            future.get(healthTimeoutSeconds, TimeUnit.SECONDS);
            res.send();
        } catch (ExecutionException | TimeoutException e) {
            future.cancel(true);
            res.status(503).send();
        }
    }

    /** Empties the prefix cache when nothing runs; SGLang's text answer either way. */
    void flushCache(ServerRequest req, ServerResponse res) throws Exception {
        model.engine().flushCache().get(10, TimeUnit.SECONDS);
        res.header(HeaderNames.CONTENT_TYPE, "text/plain; charset=utf-8");
        res.send(("Cache flushed.\nPlease check backend logs for more details. (When there are running or waiting"
                + " requests, the operation will not be performed.)\n").getBytes(java.nio.charset.StandardCharsets.UTF_8));
    }

    private static void json(ServerResponse res, ObjectNode body) {
        res.header(HeaderNames.CONTENT_TYPE, "application/json");
        res.send(Json.bytes(body));
    }
}
