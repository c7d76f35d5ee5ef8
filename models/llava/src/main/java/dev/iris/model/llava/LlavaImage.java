package dev.iris.model.llava;

import dev.iris.api.model.ProcessedImage;
import dev.iris.api.tensor.Shape;

/**
 * One image after {@link LlavaImageProcessor}: the crops the vision tower takes (one for
 * LLaVA-1.5) and how many prompt positions its features fill.
 *
 * @param pixelValues  {@code [crops, 3, size, size]} normalised values
 * @param crops        crops of the image
 * @param size         crop side in pixels
 * @param promptTokens feature rows, one per {@code <image>} position after expansion
 * @param layout       the anyres canvas of a multi-crop image (base crop first, then its tiles), or null
 */
public record LlavaImage(float[] pixelValues, int crops, int size, int promptTokens, AnyresLayout layout)
        implements ProcessedImage {

    @Override
    public Shape pixelShape() {
        return Shape.of(crops, 3, size, size);
    }

    /** Crop {@code i}'s values. */
    float[] crop(int i) {
        int n = 3 * size * size;
        return java.util.Arrays.copyOfRange(pixelValues, i * n, (i + 1) * n);
    }
}
