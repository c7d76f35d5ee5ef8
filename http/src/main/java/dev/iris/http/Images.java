package dev.iris.http;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.iris.api.chat.ContentPart;
import dev.iris.api.config.ConfigView;
import dev.iris.api.model.ImageProcessor;
import dev.iris.api.model.ProcessedImage;
import dev.iris.api.model.RgbaImage;
import dev.iris.runtime.config.JsonConfigView;
import dev.iris.runtime.media.MediaException;
import dev.iris.runtime.media.MediaLoader;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A request's images, from references to what the model takes: refused at once when the model
 * takes none, then loaded ({@link MediaLoader}: count limit, fetch or read, decode) and put through
 * the family's processor. Every failure is a 400 that names the image.
 */
final class Images {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final ConfigView NO_OVERRIDES = JsonConfigView.empty("request");

    private final ServedModel model;
    private final MediaLoader loader;
    private final RequestMetrics metrics;

    Images(ServedModel model, MediaLoader loader, RequestMetrics metrics) {
        this.model = model;
        this.loader = loader;
        this.metrics = metrics;
    }

    /** The processed images of the references, in order, with the server's preprocessing settings. */
    List<ProcessedImage> prepare(List<String> references, String param) {
        return prepare(references, references.stream().map(r -> Map.<String, Long>of()).toList(), param);
    }

    /** The images of chat parts, each with the preprocessing settings its part asked for. */
    List<ProcessedImage> prepareParts(List<ContentPart.Image> parts, String param) {
        return prepare(parts.stream().map(ContentPart.Image::url).toList(),
                parts.stream().map(ContentPart.Image::pixels).toList(), param);
    }

    private List<ProcessedImage> prepare(List<String> references, List<Map<String, Long>> settings, String param) {
        if (references.isEmpty()) {
            return List.of();
        }
        if (model.images() == null) {
            throw ApiError.badRequest("The served model takes no images.", param);
        }
        int limit = model.images().maxImagesPerPrompt();
        if (references.size() > limit) {
            throw ApiError.badRequest("The served model takes at most " + limit + " image(s) per request, got "
                    + references.size() + ".", param);
        }
        long start = System.nanoTime();
        List<RgbaImage> decoded;
        try {
            decoded = loader.load(references);
        } catch (MediaException e) {
            throw ApiError.badRequest(e.getMessage(), param);
        }
        List<ProcessedImage> out = new ArrayList<>();
        ImageProcessor processor = model.images().forRequest(decoded.size());
        for (int i = 0; i < decoded.size(); i++) {
            if (Thread.currentThread().isInterrupted()) {
                throw new java.util.concurrent.CancellationException("image preparation was cancelled");
            }
            try {
                out.add(processor.process(decoded.get(i), overrides(settings.get(i))));
            } catch (IllegalArgumentException e) {
                throw ApiError.badRequest("Failed to load image " + i + ": " + e.getMessage(), param);
            }
        }
        metrics.imagesPrepared(out.size(), (System.nanoTime() - start) / 1e9);
        return out;
    }

    private static ConfigView overrides(Map<String, Long> settings) {
        if (settings.isEmpty()) {
            return NO_OVERRIDES;
        }
        try {
            return JsonConfigView.parse("request", JSON.writeValueAsString(settings));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
