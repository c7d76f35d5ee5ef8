package dev.iris.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.iris.api.sampling.SampledToken;
import dev.iris.runtime.engine.GenerationResult;
import dev.iris.runtime.stop.StopMatcher;
import dev.iris.runtime.tokenizer.Tokenizer;

import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import java.util.List;
import java.util.UUID;

/** Pieces shared by the OpenAI responses: ids, finish reasons, usage, logprob entries. */
final class Responses {

    private Responses() {
    }

    /** A request id as SGLang makes them: 32 lowercase hex digits. */
    static String newId() {
        UUID u = UUID.randomUUID();
        return HexFormat.of().toHexDigits(u.getMostSignificantBits()) + HexFormat.of().toHexDigits(u.getLeastSignificantBits());
    }

    static String finishReason(GenerationResult r) {
        return r.finishReason() == StopMatcher.FinishReason.STOP ? "stop" : "length";
    }

    /** The token id (int) or the string that stopped it, or null. */
    static JsonNode matchedStop(Object matched) {
        if (matched instanceof Integer id) {
            return JsonNodeFactory.instance.numberNode(id);
        }
        if (matched instanceof String s) {
            return JsonNodeFactory.instance.textNode(s);
        }
        return JsonNodeFactory.instance.nullNode();
    }

    /** Usage with the prompt counted once and completions summed over choices. */
    static ObjectNode usage(int promptTokens, List<GenerationResult> results, boolean cacheReport) {
        int completion = results.stream().mapToInt(r -> r.tokens().size()).sum();
        ObjectNode u = Json.newObject();
        u.put("prompt_tokens", promptTokens);
        u.put("total_tokens", promptTokens + completion);
        u.put("completion_tokens", completion);
        if (cacheReport) {
            u.putObject("prompt_tokens_details").put("cached_tokens",
                    results.stream().mapToInt(GenerationResult::cachedTokens).sum());
        } else {
            u.putNull("prompt_tokens_details");
        }
        return u;
    }

    /** One chat logprob entry: the token's text and bytes, its logprob, and the alternatives. */
    static ObjectNode chatLogprob(Tokenizer tokenizer, SampledToken t) {
        ObjectNode e = tokenEntry(tokenizer, t.tokenId(), t.logprob());
        ArrayNode top = e.putArray("top_logprobs");
        for (SampledToken.TokenLogprob alt : t.topLogprobs()) {
            top.add(tokenEntry(tokenizer, alt.tokenId(), alt.logprob()));
        }
        return e;
    }

    private static ObjectNode tokenEntry(Tokenizer tokenizer, int id, float logprob) {
        String text = tokenizer.decode(new int[]{id}, false);
        ObjectNode e = Json.newObject();
        e.put("token", text);
        ArrayNode bytes = e.putArray("bytes");
        for (byte b : tokenizer.tokenBytes(id)) {
            bytes.add(b & 0xff);
        }
        e.put("logprob", logprob);
        return e;
    }
}
