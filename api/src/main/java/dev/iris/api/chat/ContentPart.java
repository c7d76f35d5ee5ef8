package dev.iris.api.chat;

import java.util.Map;

/** One part of a message's content, as in the OpenAI chat API. */
public sealed interface ContentPart {

    /** A run of text. */
    record Text(String text) implements ContentPart {
        public Text {
            if (text == null) {
                throw new IllegalArgumentException("text part without text");
            }
        }
    }

    /**
     * An image reference ({@code image_url} part): an http(s) URL, a {@code data:} URL or a local
     * path. Templates render a placeholder for it; the runtime loads it.
     *
     * @param url      the reference as the client sent it
     * @param detail   the OpenAI {@code detail} hint ({@code auto}, {@code low}, {@code high}), or null
     * @param modality SGLang's {@code modalities} value ({@code image}, {@code multi-images},
     *                 {@code video}), or null for the default
     * @param pixels   preprocessing settings the client asked for this image (Qwen2-VL's
     *                 {@code min_pixels}, {@code max_pixels}); empty when none
     */
    record Image(String url, String detail, String modality, Map<String, Long> pixels) implements ContentPart {
        public Image {
            if (url == null || url.isEmpty()) {
                throw new IllegalArgumentException("image part without url");
            }
            pixels = Map.copyOf(pixels);
        }

        /** An image part with no preprocessing settings of its own. */
        public Image(String url, String detail, String modality) {
            this(url, detail, modality, Map.of());
        }
    }
}
