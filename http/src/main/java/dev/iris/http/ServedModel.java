package dev.iris.http;

import dev.iris.api.chat.ChatTemplate;
import dev.iris.api.model.ImageProcessor;
import dev.iris.runtime.engine.Engine;
import dev.iris.runtime.tokenizer.Tokenizer;

import java.util.Set;

/**
 * The model the server answers for: its engine, tokenizer and chat template, and the names and
 * limits the info endpoints report.
 *
 * @param servedName    {@code --served-model-name}: the id {@code /v1/models} lists
 * @param modelPath     {@code --model-path}
 * @param tokenizerPath {@code --tokenizer-path}
 * @param tokenizer     the model's tokenizer; null with {@code --skip-tokenizer-init} (then only token ids
 *                      are taken and answers carry ids, no text)
 * @param chatTemplate  renders chat messages; null when the server has none (chat then answers 400 unless
 *                      the request names a template)
 * @param templates     the templates a request may name instead ({@code chat_template})
 * @param images        the family's image preprocessing; null for a model that takes no images
 * @param eosTokenIds   ids that end generation unless {@code ignore_eos}
 * @param contextLength the context length prompts and outputs must fit
 * @param weightFormat  how the weights are stored (and quantized at load), as {@code /get_model_info} reports it
 */
public record ServedModel(String servedName, String modelPath, String tokenizerPath, Engine engine,
                          Tokenizer tokenizer, ChatTemplate chatTemplate, TemplateLookup templates, ImageProcessor images,
                          Set<Integer> eosTokenIds, int contextLength, String weightFormat) {

    public ServedModel {
        eosTokenIds = Set.copyOf(eosTokenIds);
    }

    /** A model whose requests can name only its own template. */
    public ServedModel(String servedName, String modelPath, String tokenizerPath, Engine engine, Tokenizer tokenizer,
                       ChatTemplate chatTemplate, ImageProcessor images, Set<Integer> eosTokenIds, int contextLength,
                       String weightFormat) {
        this(servedName, modelPath, tokenizerPath, engine, tokenizer, chatTemplate, TemplateLookup.only(chatTemplate),
                images, eosTokenIds, contextLength, weightFormat);
    }

    /** The OpenAI endpoints speak text: without a tokenizer they answer 400. */
    void requireTokenizer() {
        if (tokenizer == null) {
            throw ApiError.badRequest("The OpenAI endpoints need the tokenizer, which --skip-tokenizer-init leaves out;"
                    + " use /generate with input_ids.", null);
        }
    }

    /** Tokens the model's logits cover: the ids {@code logit_bias} may name. */
    int vocabSize() {
        return engine.vocabSize();
    }

    /** A token's text for logprob listings; null without a tokenizer. */
    String tokenText(int id) {
        return tokenizer == null ? null : tokenizer.decode(new int[]{id}, false);
    }

    /** Token ids of a prompt text ({@link Tokenizer#encodePrompt}). */
    int[] encode(String text) {
        if (tokenizer == null) {
            throw ApiError.badRequest("The tokenizer is not initialized (--skip-tokenizer-init): send token ids"
                    + " (input_ids to /generate).", null);
        }
        long fewest = tokenizer.fewestTokens(text);
        if (fewest >= contextLength) {
            // Refused before tokenizing: no token is shorter than the longest one, so it cannot fit.
            throw ApiError.badRequest("The input (at least " + fewest + " tokens) is longer than the model's context"
                    + " length (" + contextLength + " tokens).", null);
        }
        return tokenizer.encodePrompt(text);
    }
}
