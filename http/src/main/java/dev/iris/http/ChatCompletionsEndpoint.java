package dev.iris.http;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.iris.api.chat.ChatMessage;
import dev.iris.api.chat.RenderedPrompt;
import dev.iris.api.model.ProcessedImage;
import dev.iris.runtime.engine.GenerationRequest;
import dev.iris.runtime.engine.GenerationResult;
import io.helidon.webserver.http.Handler;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;

import java.util.ArrayList;
import java.util.List;

/**
 * {@code POST /v1/chat/completions} (contract §4): messages rendered by the chat template and
 * tokenized, {@code n} choices generated together, answered as one object or as SSE chunks.
 * Every error that can be found before generation is a 4xx before the first byte.
 */
final class ChatCompletionsEndpoint implements Handler {

    private final ServedModel model;
    private final ServerOptions options;
    private final InFlight inFlight;
    private final Images images;
    private final RequestLog log;

    ChatCompletionsEndpoint(Endpoints e) {
        this.model = e.model();
        this.options = e.options();
        this.inFlight = e.inFlight();
        this.images = e.images();
        this.log = e.log();
    }

    @Override
    public void handle(ServerRequest req, ServerResponse res) throws Exception {
        ObjectNode body = Json.object(Json.body(req, options.maxRequestBytes()));
        String modelName = Json.string(body, "model", model.servedName());
        List<ChatMessage> messages = ChatMessages.parse(body);
        GenerationSettings settings = GenerationSettings.chat(body);
        boolean stream = Json.bool(body, "stream", false);
        ObjectNode streamOptions = Json.objectField(body, "stream_options");
        boolean includeUsage = stream && streamOptions != null && Json.bool(streamOptions, "include_usage", false);
        if (model.chatTemplate() == null) {
            throw ApiError.badRequest("This server has no chat template: start it with --chat-template.", null);
        }
        RenderedPrompt prompt;
        try {
            prompt = model.chatTemplate().render(messages, true);
        } catch (IllegalArgumentException e) {
            throw ApiError.badRequest(e.getMessage(), "messages");
        }
        List<ProcessedImage> images = this.images.prepareParts(prompt.images(), "messages");
        int[] ids = model.encode(prompt.text());
        List<GenerationRequest> requests = new ArrayList<>();
        for (int i = 0; i < settings.n(); i++) {
            requests.add(settings.request(ids, images, i, model.eosTokenIds(), prompt.stopStrings()));
        }
        String id = Responses.newId();
        long created = System.currentTimeMillis() / 1000;
        log.received(id, "/v1/chat/completions", body);
        try (Generations generations = Generations.start(inFlight, model.engine(), requests, options.maxQueuedRequests(),
                options.streamInterval())) {
            if (stream) {
                stream(res, generations, settings, id, created, modelName, includeUsage);
            } else {
                WholeAnswer answer = new WholeAnswer(res, true);
                List<GenerationResult> results = answer.await(generations);
                if (results != null) {
                    log.finished(id, results);
                    answer.send(Json.bytes(response(results, settings, id, created, modelName)));
                }
            }
        }
    }

    private ObjectNode response(List<GenerationResult> results, GenerationSettings settings, String id, long created,
                                String modelName) {
        ObjectNode r = Json.newObject();
        r.put("id", id);
        r.put("object", "chat.completion");
        r.put("created", created);
        r.put("model", modelName);
        ArrayNode choices = r.putArray("choices");
        for (int i = 0; i < results.size(); i++) {
            GenerationResult g = results.get(i);
            ObjectNode c = choices.addObject();
            c.put("index", i);
            ObjectNode message = c.putObject("message");
            message.put("role", "assistant");
            message.put("content", g.text());
            message.putNull("reasoning_content");
            message.putNull("tool_calls");
            if (settings.logprobs()) {
                ArrayNode content = c.putObject("logprobs").putArray("content");
                g.tokens().forEach(t -> content.add(Responses.chatLogprob(model.tokenizer(), t)));
            } else {
                c.putNull("logprobs");
            }
            c.put("finish_reason", Responses.finishReason(g));
            c.set("matched_stop", Responses.matchedStop(g.matchedStop()));
        }
        r.set("usage", Responses.usage(results.getFirst().promptTokens(), results, options.enableCacheReport()));
        return r;
    }

    private void stream(ServerResponse res, Generations generations, GenerationSettings settings, String id,
                        long created, String modelName, boolean includeUsage) throws InterruptedException {
        try (EventStream events = new EventStream(res)) {
            try {
                // Role chunks for every choice, in index order, before any content (the clients' stream helpers need it).
                for (int i = 0; i < settings.n(); i++) {
                    ObjectNode root = chunk(id, created, modelName);
                    ObjectNode c = choice(root, i);
                    ObjectNode delta = c.putObject("delta");
                    delta.put("role", "assistant");
                    delta.put("content", "");
                    delta.putNull("reasoning_content");
                    delta.putNull("tool_calls");
                    c.putNull("logprobs");
                    c.putNull("finish_reason");
                    c.putNull("matched_stop");
                    events.send(root);
                }
                List<GenerationResult> results = new ArrayList<>();
                for (int i = 0; i < settings.n(); i++) {
                    results.add(null);
                }
                for (Generations.Event e; (e = generations.next()) != null; ) {
                    if (e.error() != null) {
                        events.send(Errors.openAiStreamEvent(e.error()));
                        events.done();
                        return;
                    }
                    ObjectNode root = chunk(id, created, modelName);
                    ObjectNode c = choice(root, e.choice());
                    if (e.finished()) {
                        results.set(e.choice(), e.result());
                        delta(c, "");
                        c.putNull("logprobs");
                        c.put("finish_reason", Responses.finishReason(e.result()));
                        c.set("matched_stop", Responses.matchedStop(e.result().matchedStop()));
                    } else if (!e.text().isEmpty() || settings.logprobs()) {
                        delta(c, e.text());
                        if (settings.logprobs()) {
                            var content = c.putObject("logprobs").putArray("content");
                            e.tokens().forEach(t -> content.add(Responses.chatLogprob(model.tokenizer(), t)));
                        } else {
                            c.putNull("logprobs");
                        }
                        c.putNull("finish_reason");
                        c.putNull("matched_stop");
                    } else {
                        continue; // text held back (a stop string may be forming): nothing to send yet
                    }
                    events.send(root);
                }
                log.finished(id, results);
                if (includeUsage) {
                    ObjectNode root = chunk(id, created, modelName);
                    root.set("usage", Responses.usage(results.getFirst().promptTokens(), results,
                            options.enableCacheReport()));
                    events.send(root);
                }
                events.done();
            } catch (EventStream.ClientGone gone) {
                generations.close(); // nothing more can be written: abort at once
            }
        }
    }

    /** A chunk with no choice yet and no usage. */
    private static ObjectNode chunk(String id, long created, String modelName) {
        ObjectNode root = Json.newObject();
        root.put("id", id);
        root.put("object", "chat.completion.chunk");
        root.put("created", created);
        root.put("model", modelName);
        root.putArray("choices");
        root.putNull("usage");
        return root;
    }

    private static ObjectNode choice(ObjectNode chunk, int index) {
        ObjectNode c = ((ArrayNode) chunk.get("choices")).addObject();
        c.put("index", index);
        return c;
    }

    private static void delta(ObjectNode choice, String text) {
        ObjectNode delta = choice.putObject("delta");
        delta.putNull("role");
        delta.put("content", text);
    }
}
