package dev.iris.http;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.iris.api.sampling.SampledToken;
import dev.iris.runtime.engine.GenerationRequest;
import dev.iris.runtime.grammar.GrammarConstraint;
import dev.iris.runtime.engine.GenerationResult;
import io.helidon.http.HeaderNames;
import io.helidon.webserver.http.Handler;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;

import java.util.ArrayList;
import java.util.List;

/**
 * {@code POST /v1/completions} (contract §5): prompts as given (no template, no images), choices
 * ordered prompt-major ({@code index = prompt · n + sample}).
 */
final class CompletionsEndpoint implements Handler {

    private final Endpoints endpoints;
    private final ServedModel model;
    private final ServerOptions options;
    private final InFlight inFlight;
    private final RequestLog log;

    CompletionsEndpoint(Endpoints e) {
        this.endpoints = e;
        this.model = e.model();
        this.options = e.options();
        this.inFlight = e.inFlight();
        this.log = e.log();
    }

    @Override
    public void handle(ServerRequest req, ServerResponse res) throws Exception {
        String id = Responses.newId();
        req.context().register(RequestLog.ID, id);
        ObjectNode body = Json.object(Json.body(req, options.maxRequestBytes()));
        model.requireTokenizer();
        String modelName = Json.modelName(body, model.servedName());
        List<int[]> prompts = Prompts.read(body.get("prompt"), "prompt", model);
        GenerationSettings settings = GenerationSettings.completions(body, model.vocabSize());
        boolean stream = Json.bool(body, "stream", false);
        boolean echo = Json.bool(body, "echo", false);
        ObjectNode streamOptions = Json.objectField(body, "stream_options");
        boolean includeUsage = stream && streamOptions != null && Json.bool(streamOptions, "include_usage", false);
        GrammarConstraint constraint = OutputConstraint.read(body, endpoints.constraints());
        List<GenerationRequest> requests = new ArrayList<>();
        for (int[] ids : prompts) {
            for (int i = 0; i < settings.n(); i++) {
                requests.add(settings.request(ids, List.of(), i, model.eosTokenIds(), List.of()).withConstraint(constraint));
            }
        }
        long created = System.currentTimeMillis() / 1000;
        log.received(id, "/v1/completions", body);
        try (Generations generations = Generations.start(inFlight, model.engine(), requests, options.maxQueuedRequests(),
                options.streamInterval(), endpoints.backpressure(req, id, stream))) {
            if (!stream) {
                WholeAnswer answer = new WholeAnswer(res, true);
                List<GenerationResult> results = answer.await(generations);
                if (results == null) {
                    return;
                }
                log.finished(id, results);
                ObjectNode r = head(id, created, modelName);
                ArrayNode choices = r.putArray("choices");
                for (int i = 0; i < results.size(); i++) {
                    GenerationResult g = results.get(i);
                    ObjectNode c = choices.addObject();
                    c.put("index", i);
                    String prefix = echo ? model.tokenizer().decode(prompts.get(i / settings.n()), true) : "";
                    c.put("text", prefix + g.text());
                    logprobs(c, settings, g.tokens());
                    c.put("finish_reason", Responses.finishReason(g));
                    c.set("matched_stop", Responses.matchedStop(g.matchedStop()));
                }
                r.set("usage", usage(prompts, settings, results));
                answer.send(Json.bytes(r));
                return;
            }
            stream(res, generations, settings, prompts, id, created, modelName, echo, includeUsage,
                    new StreamUsage(streamOptions, includeUsage, requests.size()));
        }
    }

    private void stream(ServerResponse res, Generations generations, GenerationSettings settings, List<int[]> prompts,
                        String id, long created, String modelName, boolean echo, boolean includeUsage,
                        StreamUsage usage)
            throws InterruptedException {
        try (EventStream events = new EventStream(res)) {
            try {
                List<GenerationResult> results = new ArrayList<>();
                boolean[] started = new boolean[prompts.size() * settings.n()];
                for (int i = 0; i < started.length; i++) {
                    results.add(null);
                }
                for (Generations.Event e; (e = generations.next()) != null; ) {
                    if (e.error() != null) {
                        events.send(Errors.openAiStreamEvent(e.error()));
                        events.done();
                        return;
                    }
                    usage.count(e);
                    String text = e.finished() ? "" : e.text();
                    if (echo && !started[e.choice()]) {
                        text = model.tokenizer().decode(prompts.get(e.choice() / settings.n()), true) + text;
                    }
                    started[e.choice()] = true;
                    if (!e.finished() && text.isEmpty() && !settings.logprobs()) {
                        continue; // held back: a stop string may be forming
                    }
                    ObjectNode chunk = head(id, created, modelName);
                    ObjectNode c = chunk.putArray("choices").addObject();
                    c.put("index", e.choice());
                    c.put("text", text);
                    if (e.finished()) {
                        results.set(e.choice(), e.result());
                        c.putNull("logprobs");
                        c.put("finish_reason", Responses.finishReason(e.result()));
                        c.set("matched_stop", Responses.matchedStop(e.result().matchedStop()));
                    } else {
                        logprobs(c, settings, e.tokens());
                        c.putNull("finish_reason");
                        c.putNull("matched_stop");
                    }
                    chunk.putNull("usage");
                    usage.attach(chunk, e);
                    events.send(chunk);
                }
                log.finished(id, results);
                if (includeUsage) {
                    ObjectNode chunk = head(id, created, modelName);
                    chunk.putArray("choices");
                    chunk.set("usage", usage(prompts, settings, results));
                    events.send(chunk);
                }
                events.done();
            } catch (ClientGone gone) {
                generations.close(); // nothing more can be written: abort at once
                throw gone;
            }
        }
    }

    private static ObjectNode head(String id, long created, String modelName) {
        ObjectNode r = Json.newObject();
        r.put("id", id);
        r.put("object", "text_completion");
        r.put("created", created);
        r.put("model", modelName);
        return r;
    }

    /** The legacy logprobs object, or null when not asked for. */
    private void logprobs(ObjectNode choice, GenerationSettings settings, List<SampledToken> tokens) {
        if (!settings.logprobs()) {
            choice.putNull("logprobs");
            return;
        }
        ObjectNode lp = choice.putObject("logprobs");
        ArrayNode offsets = lp.putArray("text_offset");
        ArrayNode logprobs = lp.putArray("token_logprobs");
        ArrayNode texts = lp.putArray("tokens");
        ArrayNode top = lp.putArray("top_logprobs");
        for (SampledToken t : tokens) {
            offsets.add(-1);
            logprobs.add(t.logprob());
            texts.add(model.tokenText(t.tokenId()));
            ObjectNode alts = top.addObject();
            for (SampledToken.TokenLogprob alt : t.topLogprobs()) {
                alts.put(model.tokenText(alt.tokenId()), alt.logprob());
            }
        }
    }

    /** Each prompt counted once, completions summed over every choice. */
    private ObjectNode usage(List<int[]> prompts, GenerationSettings settings, List<GenerationResult> results) {
        int prompt = 0;
        for (int p = 0; p < prompts.size(); p++) {
            prompt += results.get(p * settings.n()).promptTokens();
        }
        return Responses.usage(prompt, results, options.enableCacheReport());
    }
}
