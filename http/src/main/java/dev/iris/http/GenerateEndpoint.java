package dev.iris.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.iris.api.model.ProcessedImage;
import dev.iris.api.sampling.SampledToken;
import dev.iris.runtime.engine.GenerationRequest;
import dev.iris.runtime.grammar.GrammarConstraint;
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

    private final Endpoints endpoints;
    private final ServedModel model;
    private final ServerOptions options;
    private final InFlight inFlight;
    private final Images images;
    private final RequestLog log;

    GenerateEndpoint(Endpoints e) {
        this.endpoints = e;
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
        String rid = Json.absent(body, "rid") || !body.get("rid").isTextual() ? Responses.newId() : body.get("rid").asText();
        req.context().register(RequestLog.ID, rid);
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
        int logprobStart = returnLogprob ? Json.integer(body, "logprob_start_len", -1) : -1;
        if (logprobStart < -1) {
            throw ApiError.badRequest("logprob_start_len must be -1 or more, got " + logprobStart + ".", "logprob_start_len");
        }
        boolean tokenTexts = Json.bool(body, "return_text_in_logprobs", false);
        ObjectNode params = Json.objectField(body, "sampling_params");
        GenerationSettings settings = GenerationSettings.nativeParams(params == null ? Json.newObject() : params,
                returnLogprob, topLogprobs, model.vocabSize());
        GrammarConstraint constraint = OutputConstraint.read(params == null ? Json.newObject() : params,
                endpoints.constraints());
        boolean stream = Json.bool(body, "stream", false);
        List<GenerationRequest> requests = new ArrayList<>();
        for (int[] ids : prompts) {
            for (int i = 0; i < settings.n(); i++) {
                requests.add(settings.request(ids, images, i, model.eosTokenIds(), List.of())
                        .withLogprobStartLen(logprobStart).withConstraint(constraint));
            }
        }
        boolean many = batch || settings.n() > 1;
        log.received(rid, "/generate", body);
        long start = System.nanoTime();
        try (Generations generations = Generations.start(inFlight, model.engine(), requests, options.maxQueuedRequests(),
                options.streamInterval(), endpoints.backpressure(req, rid, stream))) {
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
                    all.add(output(g.text(), g.tokens(), g, g.promptTokens(), ids(rid, i, many), settings, tokenTexts, start));
                }
                answer.send(Json.bytes(many ? all : all.get(0)));
                return;
            }
            stream(res, generations, requests.size(), rid, many, settings, tokenTexts, start);
        }
    }

    private void stream(ServerResponse res, Generations generations, int count, String rid, boolean many,
                        GenerationSettings settings, boolean tokenTexts, long start) throws InterruptedException {
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
                        out = output(g.text(), g.tokens(), g, g.promptTokens(), ids(rid, i, many), settings, tokenTexts, start);
                    } else {
                        texts.get(i).append(e.text());
                        tokens.get(i).addAll(e.tokens());
                        out = output(texts.get(i).toString(), tokens.get(i), null, -1, ids(rid, i, many), settings, tokenTexts, start);
                    }
                    if (many) {
                        out.put("index", i);
                    }
                    events.send(out);
                }
                log.finished(rid, results);
                events.done();
            } catch (ClientGone gone) {
                generations.close(); // nothing more can be written: abort at once
                throw gone;
            }
        }
    }

    private static String ids(String rid, int i, boolean many) {
        return many ? rid + "-" + i : rid;
    }

    /** One output object; {@code result} null while unfinished. */
    private ObjectNode output(String text, List<SampledToken> tokens, GenerationResult result, int promptTokens,
                              String id, GenerationSettings settings, boolean tokenTexts, long start) {
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
            boolean top = settings.sampling().topLogprobs() > 0;
            if (result != null) {
                logprobs(meta, "input", result.promptLogprobs(), top, tokenTexts);
            }
            logprobs(meta, "output", tokens, top, tokenTexts);
        }
        return o;
    }

    /**
     * {@code <kind>_token_logprobs}: {@code [logprob, id, text or null]} per token ({@code [null, id,
     * …]} for a prompt's first token), and with top logprobs {@code <kind>_top_logprobs}: per token
     * its alternatives as such triples, or null.
     */
    private void logprobs(ObjectNode meta, String kind, List<SampledToken> tokens, boolean top, boolean tokenTexts) {
        ArrayNode lps = meta.putArray(kind + "_token_logprobs");
        ArrayNode tops = top ? meta.putArray(kind + "_top_logprobs") : null;
        for (int i = 0; i < tokens.size(); i++) {
            SampledToken t = tokens.get(i);
            if (Float.isNaN(t.logprob())) { // the prompt's first token: nothing before it to score it
                lps.add(triple(null, t.tokenId(), tokenTexts));
                if (tops != null) {
                    tops.addNull();
                }
                continue;
            }
            lps.add(triple(t.logprob(), t.tokenId(), tokenTexts));
            if (tops != null) {
                ArrayNode alts = tops.addArray();
                t.topLogprobs().forEach(a -> alts.add(triple(a.logprob(), a.tokenId(), tokenTexts)));
            }
        }
    }

    private ArrayNode triple(Float logprob, int id, boolean tokenTexts) {
        ArrayNode a = Json.newArray();
        if (logprob == null) {
            a.addNull();
        } else {
            a.add(logprob);
        }
        a.add(id);
        if (tokenTexts && model.tokenizer() != null) {
            a.add(model.tokenText(id));
        } else {
            a.addNull();
        }
        return a;
    }
}
