package dev.iris.runtime.stop;

import java.util.List;
import java.util.Set;

/**
 * When a request's generation ends.
 *
 * @param stopStrings   texts that end generation; the match is not returned unless {@code keepStopString}
 * @param stopTokenIds  the request's {@code stop_token_ids}
 * @param eosTokenIds   the model's end-of-sequence ids (generation_config / tokenizer)
 * @param ignoreEos     do not stop on EOS or stop token ids (stop strings still apply)
 * @param keepStopString SGLang's {@code no_stop_trim}: keep the matched stop string in the text
 * @param maxNewTokens  tokens to generate at most
 * @param minNewTokens  EOS, stop ids and stop strings are not honoured before this many tokens
 * @param contextRoom   tokens left in the context after the prompt: generation stops ("length") when used up
 */
public record StopConditions(List<String> stopStrings, Set<Integer> stopTokenIds, Set<Integer> eosTokenIds,
                             boolean ignoreEos, boolean keepStopString, int maxNewTokens, int minNewTokens,
                             int contextRoom) {

    public StopConditions {
        stopStrings = stopStrings.stream().filter(s -> !s.isEmpty()).toList();
        stopTokenIds = Set.copyOf(stopTokenIds);
        eosTokenIds = Set.copyOf(eosTokenIds);
        if (maxNewTokens < 0) {
            throw new IllegalArgumentException("max_new_tokens must be at least 0, got " + maxNewTokens + ".");
        }
        if (minNewTokens < 0 || (minNewTokens > maxNewTokens && maxNewTokens > 0)) {
            throw new IllegalArgumentException("min_new_tokens must be in (0, max_new_tokens(" + maxNewTokens
                    + ")], got " + minNewTokens + ".");
        }
    }
}
