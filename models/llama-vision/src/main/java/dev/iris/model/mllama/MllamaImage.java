package dev.iris.model.mllama;

import dev.iris.api.model.ProcessedImage;
import dev.iris.api.tensor.Shape;

/**
 * One image after {@link MllamaImageProcessor}: its tiles and their layout. Only the image's own
 * tiles are kept; the encoder adds the all-zero tiles up to the model's maximum itself.
 *
 * @param pixelValues   {@code [numTiles, 3, tile, tile]} normalised values, tiles row-major over the canvas
 * @param tile          tile side in pixels (560 for the real models)
 * @param rows          tile rows of the canvas
 * @param cols          tile columns
 * @param aspectRatioId the layout's id (1-based index in the supported layouts; 0 is "no image")
 */
public record MllamaImage(float[] pixelValues, int tile, int rows, int cols, int aspectRatioId)
        implements ProcessedImage {

    public MllamaImage {
        if ((long) rows * cols * 3 * tile * tile != pixelValues.length) {
            throw new IllegalArgumentException(pixelValues.length + " values for " + rows + "×" + cols + " tiles of "
                    + tile + "×" + tile);
        }
    }

    /** Tiles the image covers. */
    public int numTiles() {
        return rows * cols;
    }

    @Override
    public Shape pixelShape() {
        return Shape.of(numTiles(), 3, tile, tile);
    }

    /** One {@code <|image|>} token: the text reads the image through cross-attention. */
    @Override
    public int promptTokens() {
        return 1;
    }
}
