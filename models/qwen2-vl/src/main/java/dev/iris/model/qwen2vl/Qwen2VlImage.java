package dev.iris.model.qwen2vl;

import dev.iris.api.model.ProcessedImage;
import dev.iris.api.tensor.Shape;

/**
 * One image after {@link Qwen2VlImageProcessor}: its patches in merge-window order and its grid.
 *
 * @param pixelValues {@code [gridT·gridH·gridW, 3·2·14·14]} normalised values
 * @param gridT       temporal patches (1 for an image)
 * @param gridH       patch rows (H' / 14)
 * @param gridW       patch columns (W' / 14)
 */
public record Qwen2VlImage(float[] pixelValues, int gridT, int gridH, int gridW) implements ProcessedImage {

    @Override
    public Shape pixelShape() {
        int patches = gridT * gridH * gridW;
        return Shape.of(patches, pixelValues.length / patches);
    }

    /** One {@code <|image_pad|>} per 2×2 merged patch window. */
    @Override
    public int promptTokens() {
        return gridT * gridH * gridW / 4;
    }
}
