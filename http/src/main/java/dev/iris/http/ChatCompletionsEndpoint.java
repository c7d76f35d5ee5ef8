package dev.iris.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.iris.api.chat.ChatMessage;
import dev.iris.api.chat.ChatTemplate;
import dev.iris.api.chat.RenderedPrompt;
import dev.iris.api.model.ProcessedImage;
import dev.iris.runtime.engine.GenerationRequest;
import dev.iris.runtime.grammar.GrammarConstraint;
import dev.iris.runtime.engine.GenerationResult;
import io.helidon.webserver.http.Handler;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * {@code POST /v1/chat/completions} (contract §4): messages rendered by the chat template and
 * tokenized, {@code n} choices generated together, answered as one object or as SSE chunks.
 * Every error that can be found before generation is a 4xx before the first byte. With
 * {@code --tool-call-parser} and {@code tools} in the request, calls the model writes come back as
 * {@code tool_calls} (§4.17).
 */
final class ChatCompletionsEndpoint implements Handler {

    private final Endpoints endpoints;
    private final ServedModel model;
    private final ServerOptions options;
    private final InFlight inFlight;
    private final Images images;
    private final RequestLog log;

    ChatCompletionsEndpoint(Endpoints e) {
        this.endpoints = e;
        this.model = e.model();
        this.options = e.options();
        this.inFlight = e.inFlight();
        this.images = e.images();
        this.log = e.log();
    }

    @Override
    public void handle(ServerRequest req, ServerResponse res) throws Exception {
        String id = Responses.newId();
        req.context().register(RequestLog.ID, id);
        ObjectNode body = Json.object(Json.body(req, options.maxRequestBytes()));
        model.requireTokenizer();
        String modelName = Json.modelName(body, model.servedName());
        List<ChatMessage> messages = ChatMessages.parse(body, options.messages());
        GenerationSettings settings = GenerationSettings.chat(body, model.vocabSize());
        boolean stream = Json.bool(body, "stream", false);
        ObjectNode streamOptions = Json.objectField(body, "stream_options");
        boolean includeUsage = stream && streamOptions != null && Json.bool(streamOptions, "include_usage", false);
        GrammarConstraint constraint = OutputConstraint.read(body, endpoints.constraints());
        ToolChoice choice = ToolChoice.read(body);
        ToolCallParser tools = choice.looksForCalls() ? options.parser() : null;
        if (choice.forced()) {
            if (constraint != null) {
                throw ApiError.badRequest("tool_choice '" + choice.describe() + "' cannot be combined with"
                        + " response_format, regex, json_schema or ebnf.", "tool_choice");
            }
            // Without --tool-call-parser, forced calls are written as llama3's bare JSON object, read back here.
            tools = tools == null ? ToolCallParser.LLAMA3 : tools;
            constraint = ToolCallGrammar.of(tools, choice.functions(), choice.many(), endpoints.constraints());
        }
        ChatTemplate template = template(body);
        Map<String, Object> variables = templateVariables(body);
        RenderedPrompt prompt;
        try {
            prompt = template.render(messages, true, variables);
        } catch (IllegalArgumentException e) {
            throw ApiError.badRequest(e.getMessage(), "messages");
        }
        List<ProcessedImage> images = this.images.prepareParts(prompt.images(), "messages");
        int[] ids = model.encode(prompt.text());
        List<GenerationRequest> requests = new ArrayList<>();
        for (int i = 0; i < settings.n(); i++) {
            requests.add(settings.request(ids, images, i, model.eosTokenIds(), prompt.stopStrings())
                    .withConstraint(constraint));
        }
        long created = System.currentTimeMillis() / 1000;
        log.received(id, "/v1/chat/completions", body);
        try (Generations generations = Generations.start(inFlight, model.engine(), requests, options.maxQueuedRequests(),
                options.streamInterval(), endpoints.backpressure(req, id, stream))) {
            if (stream) {
                stream(res, generations, settings, id, created, modelName, includeUsage,
                        new StreamUsage(streamOptions, includeUsage, settings.n()), tools);
            } else {
                WholeAnswer answer = new WholeAnswer(res, true);
                List<GenerationResult> results = answer.await(generations);
                if (results != null) {
                    log.finished(id, results);
                    answer.send(Json.bytes(response(results, settings, id, created, modelName, tools)));
                }
            }
        }
    }

    /**
     * The server's template, or the one the request names in {@code chat_template} (an Iris
     * extension: a template name as {@code --chat-template} takes, looked up at request time so a
     * template plugin deployed while serving is usable at once).
     */
    private ChatTemplate template(ObjectNode body) {
        String name = Json.string(body, "chat_template", null);
        if (name == null) {
            if (model.chatTemplate() == null) {
                throw ApiError.badRequest("This server has no chat template: start it with --chat-template.", null);
            }
            return model.chatTemplate();
        }
        if (name.contains("{%") || name.contains("{{")) {
            throw ApiError.badRequest("chat_template names a template installed on the server; inline Jinja"
                    + " templates are not accepted.", "chat_template");
        }
        return model.templates().find(name).orElseThrow(() -> ApiError.badRequest("Chat template '" + name
                + "' is not available on this server (no built-in template or template plugin has that name).",
                "chat_template"));
    }

    /** {@code chat_template_kwargs}: extra variables for a Jinja template, as JSON-like Java values. */
    private static Map<String, Object> templateVariables(ObjectNode body) {
        ObjectNode kwargs = Json.objectField(body, "chat_template_kwargs");
        if (kwargs == null) {
            return Map.of();
        }
        Map<String, Object> out = new LinkedHashMap<>();
        kwargs.properties().forEach(e -> out.put(e.getKey(), Json.plain(e.getValue())));
        return out;
    }

    private ObjectNode response(List<GenerationResult> results, GenerationSettings settings, String id, long created,
                                String modelName, ToolCallParser tools) {
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
            Optional<ToolCallParser.Parsed> calls = tools == null ? Optional.empty() : tools.parse(g.text());
            if (calls.isPresent()) {
                message.putNull("content");
            } else {
                message.put("content", g.text());
            }
            message.putNull("reasoning_content");
            if (calls.isPresent()) {
                message.set("tool_calls", toolCalls(calls.get().calls(), false));
            } else {
                message.putNull("tool_calls");
            }
            if (settings.logprobs()) {
                ArrayNode content = c.putObject("logprobs").putArray("content");
                g.tokens().forEach(t -> content.add(Responses.chatLogprob(model.tokenizer(), t)));
            } else {
                c.putNull("logprobs");
            }
            c.put("finish_reason", calls.isPresent() ? "tool_calls" : Responses.finishReason(g));
            c.set("matched_stop", Responses.matchedStop(g.matchedStop()));
        }
        r.set("usage", Responses.usage(results.getFirst().promptTokens(), results, options.enableCacheReport()));
        return r;
    }

    /** OpenAI's {@code tool_calls}; in a stream's delta each call carries its {@code index}. */
    private static ArrayNode toolCalls(List<ToolCallParser.ToolCall> calls, boolean indexed) {
        ArrayNode out = Json.newArray();
        for (int i = 0; i < calls.size(); i++) {
            ToolCallParser.ToolCall call = calls.get(i);
            ObjectNode o = out.addObject();
            if (indexed) {
                o.put("index", i);
            }
            o.put("id", call.id());
            o.put("type", "function");
            ObjectNode f = o.putObject("function");
            f.put("name", call.name());
            f.put("arguments", call.arguments());
        }
        return out;
    }

    private void stream(ServerResponse res, Generations generations, GenerationSettings settings, String id,
                        long created, String modelName, boolean includeUsage, StreamUsage usage, ToolCallParser tools)
            throws InterruptedException {
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
                List<ToolCallParser.Gate> gates = new ArrayList<>();
                for (int i = 0; i < settings.n(); i++) {
                    results.add(null);
                    gates.add(tools == null ? null : tools.new Gate());
                }
                for (Generations.Event e; (e = generations.next()) != null; ) {
                    if (e.error() != null) {
                        events.send(Errors.openAiStreamEvent(e.error()));
                        events.done();
                        return;
                    }
                    usage.count(e);
                    ObjectNode root = chunk(id, created, modelName);
                    ObjectNode c = choice(root, e.choice());
                    ToolCallParser.Gate gate = gates.get(e.choice());
                    String text = e.finished() || gate == null ? e.text() : gate.accept(e.text());
                    if (e.finished()) {
                        results.set(e.choice(), e.result());
                        Optional<ToolCallParser.Parsed> calls = gate == null ? Optional.empty()
                                : tools.parse(e.result().text());
                        if (calls.isPresent()) {
                            sendToolCalls(events, id, created, modelName, e.choice(), calls.get().calls());
                        } else if (gate != null && !gate.unsent().isEmpty()) {
                            ObjectNode held = chunk(id, created, modelName);
                            ObjectNode hc = choice(held, e.choice());
                            delta(hc, gate.unsent()); // it was no call after all
                            hc.putNull("logprobs");
                            hc.putNull("finish_reason");
                            hc.putNull("matched_stop");
                            events.send(held);
                        }
                        delta(c, "");
                        c.putNull("logprobs");
                        c.put("finish_reason", calls.isPresent() ? "tool_calls" : Responses.finishReason(e.result()));
                        c.set("matched_stop", Responses.matchedStop(e.result().matchedStop()));
                    } else if (!text.isEmpty() || settings.logprobs()) {
                        delta(c, text);
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
                    usage.attach(root, e);
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
            } catch (ClientGone gone) {
                generations.close(); // nothing more can be written: abort at once
                throw gone;
            }
        }
    }

    private static void sendToolCalls(EventStream events, String id, long created, String modelName, int index,
                                      List<ToolCallParser.ToolCall> calls) {
        ObjectNode root = chunk(id, created, modelName);
        ObjectNode c = choice(root, index);
        ObjectNode delta = c.putObject("delta");
        delta.putNull("role");
        delta.putNull("content");
        delta.set("tool_calls", toolCalls(calls, true));
        c.putNull("logprobs");
        c.putNull("finish_reason");
        c.putNull("matched_stop");
        events.send(root);
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
