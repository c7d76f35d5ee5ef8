package dev.iris.modelkit.image;

import dev.iris.api.model.RgbaImage;

/**
 * The two ways the families' Hugging Face processors turn an image into 8-bit RGB: Pillow's
 * {@code convert("RGB")}, which drops alpha, and Mllama's composite over opaque white, in
 * Pillow's integer arithmetic (its {@code alpha_composite} and rounding divide by 255).
 */
public final class RgbConversion {

    private RgbConversion() {
    }

    /** {@code width × height × 3} bytes: R, G, B of every pixel, alpha ignored. */
    public static byte[] dropAlpha(RgbaImage image) {
        byte[] rgba = image.rgba();
        byte[] out = new byte[rgba.length / 4 * 3];
        for (int i = 0, o = 0; i < rgba.length; i += 4, o += 3) {
            out[o] = rgba[i];
            out[o + 1] = rgba[i + 1];
            out[o + 2] = rgba[i + 2];
        }
        return out;
    }

    /**
     * Every pixel composited over opaque white: fully transparent pixels become white, opaque ones
     * stay as they are, the rest blend as Pillow computes {@code c·a/255 + 255·(255−a)/255}.
     */
    public static byte[] overWhite(RgbaImage image) {
        byte[] rgba = image.rgba();
        byte[] out = new byte[rgba.length / 4 * 3];
        for (int i = 0, o = 0; i < rgba.length; i += 4, o += 3) {
            int a = rgba[i + 3] & 0xff;
            for (int c = 0; c < 3; c++) {
                out[o + c] = (byte) (a == 0 ? 255 : blend(rgba[i + c] & 0xff, a));
            }
        }
        return out;
    }

    /** Pillow's "over" of one channel on white: fixed point with 7 extra bits, then its divide by 255. */
    private static int blend(int c, int a) {
        int coef1 = a * 128;
        int coef2 = (255 - a) * 128;
        int t = c * coef1 + 255 * coef2 + 0x80 * 128;
        return (((t >> 8) + t) >> 8) >> 7;
    }
}
