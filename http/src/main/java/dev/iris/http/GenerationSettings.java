package dev.iris.http;

import com.fasterxml.jackson.databind.JsonNode;
import dev.iris.api.model.ProcessedImage;
import dev.iris.api.sampling.SamplingParams;
import dev.iris.runtime.engine.Engine;
import dev.iris.runtime.engine.GenerationRequest;
import dev.iris.runtime.stop.StopConditions;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * What a request asks of generation — sampling, stops, length, choices, logprobs — read from the
 * fields of one endpoint family with that family's defaults (chat, completions and the native
 * {@code sampling_params} differ), and checked with SGLang's messages.
 *
 * @param maxNewTokens {@link Engine#UNLIMITED} when the request set none
 */
record GenerationSettings(SamplingParams sampling, List<String> stop, Set<Integer> stopTokenIds, boolean ignoreEos,
                          boolean noStopTrim, int maxNewTokens, int minNewTokens, int n, boolean logprobs,
                          boolean skipSpecialTokens) {

    /** {@code n} above this is refused (OpenAI's own cap). */
    static final int MAX_N = 128;
    /** Alternatives per token at most on the OpenAI endpoints (OpenAI's and vLLM's cap). */
    static final int MAX_TOP_LOGPROBS = 20;

    /** {@code /v1/chat/completions}: temperature 0.7, no length limit, {@code logprobs} a boolean. */
    static GenerationSettings chat(JsonNode body, int vocab) {
        Integer max = Json.integer(body, "max_tokens", null);
        Integer maxCompletion = Json.integer(body, "max_completion_tokens", null);
        String maxField = maxCompletion != null ? "max_completion_tokens" : "max_tokens";
        boolean logprobs = Json.bool(body, "logprobs", false);
        if (!logprobs && !Json.absent(body, "top_logprobs")) {
            throw ApiError.badRequest("top_logprobs requires logprobs to be true.", "top_logprobs");
        }
        int top = logprobs ? Json.integer(body, "top_logprobs", 0) : 0;
        if (top > MAX_TOP_LOGPROBS) {
            throw ApiError.badRequest("top_logprobs must be at most " + MAX_TOP_LOGPROBS + ", got " + top + ".",
                    "top_logprobs");
        }
        return read(body, 0.7f, maxCompletion != null ? maxCompletion : max, maxField, "min_tokens", logprobs, top,
                vocab);
    }

    /** {@code /v1/completions}: temperature 1, 16 new tokens, {@code logprobs} the number of alternatives. */
    static GenerationSettings completions(JsonNode body, int vocab) {
        Integer max = Json.absent(body, "max_tokens") ? null : Json.integer(body, "max_tokens", null);
        Integer top = Json.integer(body, "logprobs", null);
        if (top != null && top > MAX_TOP_LOGPROBS) {
            throw ApiError.badRequest("logprobs must be at most " + MAX_TOP_LOGPROBS + ", got " + top + ".", "logprobs");
        }
        return read(body, 1f, body.has("max_tokens") ? max : Integer.valueOf(16), "max_tokens", "min_tokens",
                top != null, top == null ? 0 : top, vocab);
    }

    /** The native {@code sampling_params}: temperature 1, 128 new tokens. */
    static GenerationSettings nativeParams(JsonNode params, boolean logprobs, int topLogprobs, int vocab) {
        if (topLogprobs > vocab) {
            throw ApiError.badRequest("top_logprobs_num must be at most the vocabulary size (" + vocab + "), got "
                    + topLogprobs + ".", "top_logprobs_num");
        }
        Integer max = params.has("max_new_tokens") ? Json.integer(params, "max_new_tokens", null) : Integer.valueOf(128);
        return read(params, 1f, max, "max_new_tokens", "min_new_tokens", logprobs, topLogprobs, vocab);
    }

    private static GenerationSettings read(JsonNode o, float defaultTemperature, Integer max, String maxField,
                                           String minField, boolean logprobs, int topLogprobs, int vocab) {
        if (max != null && max < 0) {
            throw ApiError.badRequest("max_new_tokens must be at least 0, got " + max + ".", maxField);
        }
        int n = Json.integer(o, "n", 1);
        if (n < 1 || n > MAX_N) {
            throw ApiError.badRequest("n must be in [1, " + MAX_N + "], got " + n + ".", "n");
        }
        int min = Json.integer(o, minField, 0);
        if (min < 0 || (max != null && min > max)) {
            throw ApiError.badRequest("min_new_tokens must be in (0, max_new_tokens(" + max + ")], got " + min + ".",
                    minField);
        }
        if (topLogprobs < 0) {
            throw ApiError.badRequest("top_logprobs must be at least 0, got " + topLogprobs + ".", "top_logprobs");
        }
        SamplingParams sampling;
        try {
            sampling = new SamplingParams(Json.number(o, "temperature", defaultTemperature), Json.number(o, "top_p", 1f),
                    Json.integer(o, "top_k", -1), Json.number(o, "min_p", 0f), Json.number(o, "repetition_penalty", 1f),
                    Json.number(o, "frequency_penalty", 0f), Json.number(o, "presence_penalty", 0f),
                    Json.longInteger(o, "seed"), topLogprobs, logitBias(o, vocab), logprobs || topLogprobs > 0);
        } catch (IllegalArgumentException e) {
            String message = e.getMessage();
            throw ApiError.badRequest(message, message.substring(0, Math.max(0, message.indexOf(' '))));
        }
        return new GenerationSettings(sampling, Json.strings(o, "stop"), new HashSet<>(Json.integers(o, "stop_token_ids")),
                Json.bool(o, "ignore_eos", false), Json.bool(o, "no_stop_trim", false),
                max == null ? Engine.UNLIMITED : max, min, n, logprobs, Json.bool(o, "skip_special_tokens", true));
    }

    /** OpenAI's {@code logit_bias}: ids of the model's vocabulary (as strings) to a bias in [-100, 100]. */
    private static Map<Integer, Float> logitBias(JsonNode o, int vocab) {
        JsonNode bias = o.get("logit_bias");
        if (bias == null || bias.isNull()) {
            return Map.of();
        }
        if (!bias.isObject()) {
            throw Json.wrongType("logit_bias", "an object of token ids to numbers");
        }
        Map<Integer, Float> out = new HashMap<>();
        for (Map.Entry<String, JsonNode> e : bias.properties()) {
            int id;
            try {
                id = Integer.parseInt(e.getKey().trim());
            } catch (NumberFormatException x) {
                throw ApiError.badRequest("logit_bias keys must be token ids, got '" + e.getKey() + "'.", "logit_bias");
            }
            if (id < 0 || id >= vocab) {
                throw ApiError.badRequest("logit_bias names token " + id + ", outside the vocabulary of " + vocab
                        + " tokens.", "logit_bias");
            }
            out.put(id, Json.number(bias, e.getKey(), 0f));
        }
        return out;
    }

    /**
     * Sampling for choice {@code i}: choice 0 uses the request's seed, the others seeds derived
     * from (seed, i), so {@code n} seeded choices are reproducible and differ from one another.
     */
    SamplingParams forChoice(int i) {
        SamplingParams p = sampling;
        if (i == 0 || p.seed() == null) {
            return p;
        }
        long seed = p.seed() ^ (0x9E3779B97F4A7C15L * i);
        return new SamplingParams(p.temperature(), p.topP(), p.topK(), p.minP(), p.repetitionPenalty(),
                p.frequencyPenalty(), p.presencePenalty(), seed, p.topLogprobs(), p.logitBias(), p.logprobs());
    }

    /** The engine request for choice {@code i} of a prompt. */
    GenerationRequest request(int[] ids, List<ProcessedImage> images, int i,
                                                       Set<Integer> eos, List<String> templateStops) {
        return new GenerationRequest(ids, images, forChoice(i), stopConditions(eos, templateStops),
                skipSpecialTokens);
    }

    /** Stop conditions with the model's EOS ids and the template's stop strings added to the request's. */
    StopConditions stopConditions(Set<Integer> eos, List<String> templateStops) {
        List<String> strings = new ArrayList<>(templateStops);
        strings.addAll(stop);
        return new StopConditions(strings, stopTokenIds, eos, ignoreEos, noStopTrim, maxNewTokens, minNewTokens,
                Integer.MAX_VALUE);
    }
}
