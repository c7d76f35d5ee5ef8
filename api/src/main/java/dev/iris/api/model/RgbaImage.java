package dev.iris.api.model;

/**
 * A decoded image, 8 bits per channel, with its alpha channel kept so that each family's image
 * processor converts to RGB exactly as its reference processor does (most drop alpha; Mllama
 * composites over white).
 *
 * @param width  pixels per row
 * @param height rows
 * @param rgba   {@code width * height * 4} bytes, row-major, R G B A per pixel (straight alpha)
 */
public record RgbaImage(int width, int height, byte[] rgba) {

    public RgbaImage {
        if (width <= 0 || height <= 0) {
            throw new IllegalArgumentException("image must have positive size, got " + width + "x" + height);
        }
        if (rgba.length != (long) width * height * 4) {
            throw new IllegalArgumentException("RGBA buffer of " + rgba.length + " bytes for a "
                    + width + "x" + height + " image");
        }
    }
}
