package dev.iris.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.iris.api.model.ProcessedImage;
import dev.iris.api.sampling.SampledToken;
import dev.iris.runtime.engine.GenerationRequest;
import dev.iris.runtime.engine.GenerationResult;
import dev.iris.runtime.stop.StopMatcher;
import io.helidon.http.HeaderNames;
import io.helidon.webserver.http.Handler;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;

import java.util.ArrayList;
import java.util.List;

/**
 * SGLang's native {@code POST /generate} (contract §6.1): {@code text} or {@code input_ids},
 * {@code sampling_params} with the native defaults, one object for one prompt and one sample,
 * an array otherwise; streams carry the cumulative text.
 */
final class GenerateEndpoint implements Handler {

    private final ServedModel model;
    private final ServerOptions options;
    private final InFlight inFlight;
    private final Images images;
    private final RequestLog log;

    GenerateEndpoint(Endpoints e) {
        this.model = e.model();
        this.options = e.options();
        this.inFlight = e.inFlight();
        this.images = e.images();
        this.log = e.log();
    }

    /** {@code image_data}: one reference or a list of them (for the one prompt). */
    private static List<String> imageReferences(JsonNode body) {
        if (Json.absent(body, "image_data")) {
            return List.of();
        }
        JsonNode data = body.get("image_data");
        if (data.isTextual()) {
            return List.of(data.asText());
        }
        return Json.strings(body, "image_data");
    }

    @Override
    public void handle(ServerRequest req, ServerResponse res) throws Exception {
        ObjectNode body = Json.object(Json.body(req, options.maxRequestBytes()));
        JsonNode input = !Json.absent(body, "text") ? body.get("text") : body.get("input_ids");
        if (input == null || input.isNull()) {
            throw ApiError.badRequest("Either text, input_ids or input_embeds should be provided.", null);
        }
        boolean batch = input.isArray() && !input.isEmpty() && !input.get(0).isIntegralNumber();
        List<int[]> prompts = Prompts.read(input, Json.absent(body, "text") ? "input_ids" : "text", model);
        if (batch && !Json.absent(body, "image_data")) {
            throw ApiError.badRequest("image_data with a batch of prompts is not supported; send one request per prompt.",
                    "image_data");
        }
        List<ProcessedImage> images = this.images.prepare(imageReferences(body), "image_data");
        boolean returnLogprob = Json.bool(body, "return_logprob", false);
        int topLogprobs = Json.integer(body, "top_logprobs_num", 0);
        ObjectNode params = Json.objectField(body, "sampling_params");
        GenerationSettings settings = GenerationSettings.nativeParams(params == null ? Json.newObject() : params,
                returnLogprob, topLogprobs);
        boolean stream = Json.bool(body, "stream", false);
        String rid = Json.absent(body, "rid") || !body.get("rid").isTextual() ? Responses.newId() : body.get("rid").asText();
        List<GenerationRequest> requests = new ArrayList<>();
        for (int[] ids : prompts) {
            for (int i = 0; i < settings.n(); i++) {
                requests.add(settings.request(ids, images, i, model.eosTokenIds(), List.of()));
            }
        }
        boolean many = batch || settings.n() > 1;
        log.received(rid, "/generate", body);
        long start = System.nanoTime();
        try (Generations generations = Generations.start(inFlight, model.engine(), requests, options.maxQueuedRequests())) {
            if (!stream) {
                WholeAnswer answer = new WholeAnswer(res, false);
                List<GenerationResult> results = answer.await(generations);
                if (results == null) {
                    return;
                }
                log.finished(rid, results);
                ArrayNode all = Json.newArray();
                for (int i = 0; i < results.size(); i++) {
                    GenerationResult g = results.get(i);
                    all.add(output(g.text(), g.tokens(), g, g.promptTokens(), ids(rid, i, many), settings, start));
                }
                answer.send(Json.bytes(many ? all : all.get(0)));
                return;
            }
            stream(res, generations, requests.size(), rid, many, settings, start);
        }
    }

    private void stream(ServerResponse res, Generations generations, int count, String rid, boolean many,
                        GenerationSettings settings, long start) throws InterruptedException {
        List<StringBuilder> texts = new ArrayList<>();
        List<List<SampledToken>> tokens = new ArrayList<>();
        List<GenerationResult> results = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            texts.add(new StringBuilder());
            tokens.add(new ArrayList<>());
            results.add(null);
        }
        try (EventStream events = new EventStream(res)) {
            try {
                for (Generations.Event e; (e = generations.next()) != null; ) {
                    if (e.error() != null) {
                        events.send(Errors.nativeBody(Generations.failure(e.error())));
                        events.done();
                        return;
                    }
                    int i = e.choice();
                    ObjectNode out;
                    if (e.finished()) {
                        GenerationResult g = e.result();
                        results.set(i, g);
                        out = output(g.text(), g.tokens(), g, g.promptTokens(), ids(rid, i, many), settings, start);
                    } else {
                        texts.get(i).append(e.token().text());
                        tokens.get(i).add(e.token().token());
                        out = output(texts.get(i).toString(), tokens.get(i), null, -1, ids(rid, i, many), settings, start);
                    }
                    if (many) {
                        out.put("index", i);
                    }
                    events.send(out);
                }
                log.finished(rid, results);
                events.done();
            } catch (EventStream.ClientGone gone) {
                generations.close();
            }
        }
    }

    private static String ids(String rid, int i, boolean many) {
        return many ? rid + "-" + i : rid;
    }

    /** One output object; {@code result} null while unfinished. */
    private ObjectNode output(String text, List<SampledToken> tokens, GenerationResult result, int promptTokens,
                              String id, GenerationSettings settings, long start) {
        ObjectNode o = Json.newObject();
        o.put("text", text);
        ArrayNode outputIds = o.putArray("output_ids");
        tokens.forEach(t -> outputIds.add(t.tokenId()));
        ObjectNode meta = o.putObject("meta_info");
        meta.put("id", id);
        if (result == null) {
            meta.putNull("finish_reason");
        } else {
            ObjectNode finish = meta.putObject("finish_reason");
            if (result.finishReason() == StopMatcher.FinishReason.STOP) {
                finish.put("type", "stop");
                finish.set("matched", Responses.matchedStop(result.matchedStop()));
            } else {
                finish.put("type", "length");
                finish.put("length", result.tokens().size());
            }
            meta.put("prompt_tokens", promptTokens);
            meta.put("cached_tokens", result.cachedTokens());
            meta.put("e2e_latency", (System.nanoTime() - start) / 1e9);
        }
        meta.put("completion_tokens", tokens.size());
        if (settings.logprobs()) {
            ArrayNode lps = meta.putArray("output_token_logprobs");
            ArrayNode tops = settings.sampling().topLogprobs() > 0 ? meta.putArray("output_top_logprobs") : null;
            for (SampledToken t : tokens) {
                lps.addArray().add(t.logprob()).add(t.tokenId()).addNull();
                if (tops != null) {
                    ArrayNode alts = tops.addArray();
                    t.topLogprobs().forEach(a -> alts.addArray().add(a.logprob()).add(a.tokenId()).addNull());
                }
            }
        }
        return o;
    }
}
