package dev.iris.api.chat;

import java.util.List;

/**
 * A conversation rendered to prompt text.
 *
 * @param text        the prompt, with one image placeholder string per image, in order
 * @param images      the images whose placeholders appear in {@code text}, in the same order
 * @param stopStrings stop strings the template implies (e.g. {@code <|im_end|>}), in addition to
 *                    the request's own
 */
public record RenderedPrompt(String text, List<ContentPart.Image> images, List<String> stopStrings) {

    public RenderedPrompt {
        images = List.copyOf(images);
        stopStrings = List.copyOf(stopStrings);
    }
}
