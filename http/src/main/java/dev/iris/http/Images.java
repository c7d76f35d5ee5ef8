package dev.iris.http;

import dev.iris.api.chat.ContentPart;
import dev.iris.api.config.ConfigView;
import dev.iris.api.model.ProcessedImage;
import dev.iris.api.model.RgbaImage;
import dev.iris.runtime.config.JsonConfigView;
import dev.iris.runtime.media.MediaException;
import dev.iris.runtime.media.MediaLoader;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;

/**
 * A request's images, from references to what the model takes: refused at once when the model
 * takes none, then loaded ({@link MediaLoader}: count limit, fetch or read, decode) and put through
 * the family's processor. Every failure is a 400 that names the image.
 */
final class Images {

    private static final ConfigView NO_OVERRIDES;

    static {
        try {
            NO_OVERRIDES = JsonConfigView.parse("request", "{}");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private final ServedModel model;
    private final MediaLoader loader;
    private final RequestMetrics metrics;

    Images(ServedModel model, MediaLoader loader, RequestMetrics metrics) {
        this.model = model;
        this.loader = loader;
        this.metrics = metrics;
    }

    /** The processed images of the references, in order. */
    List<ProcessedImage> prepare(List<String> references, String param) {
        if (references.isEmpty()) {
            return List.of();
        }
        if (model.images() == null) {
            throw ApiError.badRequest("The served model takes no images.", param);
        }
        long start = System.nanoTime();
        List<RgbaImage> decoded;
        try {
            decoded = loader.load(references);
        } catch (MediaException e) {
            throw ApiError.badRequest(e.getMessage(), param);
        }
        List<ProcessedImage> out = new ArrayList<>();
        for (int i = 0; i < decoded.size(); i++) {
            try {
                out.add(model.images().process(decoded.get(i), NO_OVERRIDES));
            } catch (IllegalArgumentException e) {
                throw ApiError.badRequest("Failed to load image " + i + ": " + e.getMessage(), param);
            }
        }
        metrics.imagesPrepared(out.size(), (System.nanoTime() - start) / 1e9);
        return out;
    }

    /** The references of chat image parts. */
    static List<String> urls(List<ContentPart.Image> parts) {
        return parts.stream().map(ContentPart.Image::url).toList();
    }
}
