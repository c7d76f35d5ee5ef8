package dev.iris.modelkit.image;

/**
 * Pillow's {@code Image.resize} for 8-bit images, bit for bit (its {@code ImagingResample}): a
 * separable convolution whose kernel is stretched by the scale factor when shrinking
 * (antialiasing), weights normalised then fixed to 22 fractional bits, the horizontal pass first
 * into an 8-bit intermediate holding only the source rows the vertical pass reads, each pass
 * rounding and clipping to 0..255. The families' Hugging Face processors resize through Pillow,
 * so any other resampler moves pixel values by a least significant bit or more.
 */
public final class PilResize {

    /** Pillow's resampling filters the families use. */
    public enum Filter {
        /** Keys cubic with a = -0.5, support 2 ({@code Image.BICUBIC}). */
        BICUBIC(2.0) {
            @Override
            double weight(double x) {
                double t = Math.abs(x);
                double a = -0.5;
                if (t < 1) {
                    return ((a + 2) * t - (a + 3)) * t * t + 1;
                }
                if (t < 2) {
                    return (((t - 5) * t + 8) * t - 4) * a;
                }
                return 0;
            }
        },
        /** Triangle, support 1 ({@code Image.BILINEAR}). */
        BILINEAR(1.0) {
            @Override
            double weight(double x) {
                double t = Math.abs(x);
                return t < 1 ? 1 - t : 0;
            }
        };

        final double support;

        Filter(double support) {
            this.support = support;
        }

        abstract double weight(double x);
    }

    private static final int PRECISION_BITS = 22;

    private PilResize() {
    }

    /**
     * Resizes {@code channels}-interleaved 8-bit pixels ({@code height × width × channels}, row-major).
     *
     * @return the resized pixels, {@code outHeight × outWidth × channels}
     */
    public static byte[] resize(byte[] src, int width, int height, int channels, int outWidth, int outHeight,
                                Filter filter) {
        Coefficients vertical = new Coefficients(height, outHeight, filter);
        // Only the source rows the vertical pass reads go through the horizontal pass.
        int firstRow = vertical.start[0];
        int lastRow = vertical.start[outHeight - 1] + vertical.count[outHeight - 1];
        byte[] rows = src;
        int rowsHeight = height;
        int rowOffset = 0;
        if (outWidth != width) {
            Coefficients horizontal = new Coefficients(width, outWidth, filter);
            rowsHeight = lastRow - firstRow;
            rows = new byte[rowsHeight * outWidth * channels];
            for (int y = 0; y < rowsHeight; y++) {
                int in = (y + firstRow) * width * channels;
                int out = y * outWidth * channels;
                for (int x = 0; x < outWidth; x++) {
                    for (int c = 0; c < channels; c++) {
                        rows[out + x * channels + c] = horizontal.apply(src, in + c, channels, x);
                    }
                }
            }
            width = outWidth;
            rowOffset = firstRow;
        }
        if (outHeight == height) {
            return rows == src ? src.clone() : rows;
        }
        byte[] out = new byte[outHeight * width * channels];
        int stride = width * channels;
        for (int y = 0; y < outHeight; y++) {
            for (int i = 0; i < stride; i++) {
                out[y * stride + i] = vertical.apply(rows, i - rowOffset * stride, stride, y);
            }
        }
        return out;
    }

    /** One axis' taps: for output index i, {@code count[i]} weights from source index {@code start[i]}. */
    private static final class Coefficients {
        final int[] start;
        final int[] count;
        final int[][] weights;

        Coefficients(int inSize, int outSize, Filter filter) {
            double scale = (double) inSize / outSize;
            double fscale = Math.max(scale, 1.0);
            double support = filter.support * fscale;
            double ss = 1.0 / fscale;
            start = new int[outSize];
            count = new int[outSize];
            weights = new int[outSize][];
            double[] w = new double[(int) Math.ceil(support) * 2 + 1];
            for (int i = 0; i < outSize; i++) {
                double center = (i + 0.5) * scale;
                int xmin = Math.max((int) (center - support + 0.5), 0);
                int xmax = Math.min((int) (center + support + 0.5), inSize) - xmin;
                double total = 0;
                for (int j = 0; j < xmax; j++) {
                    w[j] = filter.weight((j + xmin - center + 0.5) * ss);
                    total += w[j];
                }
                int[] fixed = new int[xmax];
                for (int j = 0; j < xmax; j++) {
                    double v = total != 0 ? w[j] / total : w[j];
                    fixed[j] = (int) (v < 0 ? v * (1 << PRECISION_BITS) - 0.5 : v * (1 << PRECISION_BITS) + 0.5);
                }
                start[i] = xmin;
                count[i] = xmax;
                weights[i] = fixed;
            }
        }

        /** Output sample i from samples {@code base + (start + j) · step} of {@code src}. */
        byte apply(byte[] src, int base, int step, int i) {
            int acc = 1 << (PRECISION_BITS - 1);
            int[] k = weights[i];
            int at = base + start[i] * step;
            for (int j = 0; j < k.length; j++, at += step) {
                acc += (src[at] & 0xff) * k[j];
            }
            int v = acc >> PRECISION_BITS;
            return (byte) (v < 0 ? 0 : Math.min(v, 255));
        }
    }
}
