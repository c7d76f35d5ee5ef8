package dev.iris.modelkit.image;

/**
 * Original LLaVA's {@code expand2square}: the image centred on a square of its longer side filled
 * with one colour, offsets rounded down (spec llava.md §4.1).
 */
public final class PadToSquare {

    private PadToSquare() {
    }

    /**
     * @param rgb        8-bit RGB pixels, {@code height × width × 3}
     * @param background the fill colour, R G B
     * @return the square's pixels, {@code side × side × 3} with {@code side = max(width, height)}
     */
    public static byte[] apply(byte[] rgb, int width, int height, int[] background) {
        int side = Math.max(width, height);
        int left = (side - width) / 2;
        int top = (side - height) / 2;
        byte[] out = new byte[side * side * 3];
        for (int i = 0; i < side * side; i++) {
            for (int c = 0; c < 3; c++) {
                out[i * 3 + c] = (byte) background[c];
            }
        }
        for (int y = 0; y < height; y++) {
            System.arraycopy(rgb, y * width * 3, out, ((top + y) * side + left) * 3, width * 3);
        }
        return out;
    }
}
