package dev.iris.model.mllama;

import dev.iris.api.config.ConfigView;
import dev.iris.api.model.ImageProcessor;
import dev.iris.api.model.RgbaImage;
import dev.iris.modelkit.image.PilResize;
import dev.iris.modelkit.image.PixelNormalizer;
import dev.iris.modelkit.image.RgbConversion;

import java.util.ArrayList;
import java.util.List;

/**
 * MllamaImageProcessor (spec mllama.md §4): composite over white, choose the tile layout whose
 * canvas needs the least scaling, resize with Pillow's bilinear filter to fit it (aspect kept),
 * pad bottom and right with zeros, rescale and normalise, cut into row-major tiles.
 */
public final class MllamaImageProcessor implements ImageProcessor {

    private final int tile;
    private final int maxTiles;
    private final PixelNormalizer normalizer;
    /** (rows, cols) of every supported layout; a layout's aspect-ratio id is its index + 1. */
    private final List<int[]> layouts;

    /** @param config the checkpoint's {@code preprocessor_config.json} */
    public MllamaImageProcessor(ConfigView config) {
        ConfigView size = config.object("size").orElse(config);
        this.tile = Math.toIntExact(size.integer("height").orElse(560L));
        if (size.integer("width").orElse((long) tile) != tile) {
            throw new IllegalArgumentException("Mllama tiles must be square, got size " + size.source());
        }
        this.maxTiles = config.intOr("max_image_tiles", 4);
        this.normalizer = new PixelNormalizer(config);
        this.layouts = layouts(maxTiles);
    }

    /** HF's supported aspect ratios: every (rows, cols) with rows·cols ≤ max, rows outer, cols inner. */
    static List<int[]> layouts(int maxTiles) {
        List<int[]> out = new ArrayList<>();
        for (int rows = 1; rows <= maxTiles; rows++) {
            for (int cols = 1; cols <= maxTiles; cols++) {
                if (rows * cols <= maxTiles) {
                    out.add(new int[]{rows, cols});
                }
            }
        }
        return out;
    }

    @Override
    public MllamaImage process(RgbaImage image, ConfigView overrides) {
        int h = image.height();
        int w = image.width();
        int id = chooseLayout(h, w);
        int rows = layouts.get(id - 1)[0];
        int cols = layouts.get(id - 1)[1];
        int[] resized = resizedSize(h, w, rows * tile, cols * tile);
        byte[] rgb = RgbConversion.overWhite(image);
        if (resized[0] != h || resized[1] != w) {
            rgb = PilResize.resize(rgb, w, h, 3, resized[1], resized[0], PilResize.Filter.BILINEAR);
        }
        return new MllamaImage(tiles(rgb, resized[0], resized[1], rows, cols), tile, rows, cols, id);
    }

    /**
     * Eight images: each costs every tile of the encoder (18.6 TFLOP at the 11B's size) and
     * {@code maxTiles × 1601} rows of cross-attention state in every cross layer, and the model
     * reads only the most recent group of images from any point of the text.
     */
    @Override
    public int maxImagesPerPrompt() {
        return 8;
    }

    /** One token per image, whatever its size. */
    @Override
    public int maxPromptTokens() {
        return 1;
    }

    /**
     * The layout (1-based id) whose canvas fits the image with the smallest upscale, or the least
     * downscale when every canvas is smaller; among equals the smallest canvas, then the first.
     * In doubles, compared exactly, as HF does.
     */
    int chooseLayout(int h, int w) {
        double[] scale = new double[layouts.size()];
        boolean anyUp = false;
        for (int i = 0; i < scale.length; i++) {
            double sh = (double) (layouts.get(i)[0] * tile) / h;
            double sw = (double) (layouts.get(i)[1] * tile) / w;
            scale[i] = sw > sh ? sh : sw;
            anyUp |= scale[i] >= 1;
        }
        double selected = anyUp ? Double.POSITIVE_INFINITY : Double.NEGATIVE_INFINITY;
        for (double s : scale) {
            selected = anyUp ? (s >= 1 ? Math.min(selected, s) : selected) : Math.max(selected, s);
        }
        int best = -1;
        for (int i = 0; i < scale.length; i++) {
            if (scale[i] == selected && (best < 0 || area(i) < area(best))) {
                best = i;
            }
        }
        return best + 1;
    }

    private long area(int layout) {
        return (long) layouts.get(layout)[0] * layouts.get(layout)[1];
    }

    /** The image's size inside the canvas: one scale for both sides, sides floored (spec §4.3). */
    int[] resizedSize(int h, int w, int canvasH, int canvasW) {
        double tw = Math.min(Math.max(w, tile), canvasW);
        double th = Math.min(Math.max(h, tile), canvasH);
        double sh = th / h;
        double sw = tw / w;
        int newH;
        int newW;
        if (sw < sh) {
            newW = (int) tw;
            newH = (int) Math.min(Math.floor(h * sw), th);
        } else {
            newH = (int) th;
            newW = (int) Math.min(Math.floor(w * sh), tw);
        }
        return new int[]{Math.max(1, newH), Math.max(1, newW)};
    }

    /**
     * The normalised canvas cut into tiles, {@code [rows·cols, 3, tile, tile]}: the image at the top
     * left, zeros (normalised like any pixel) below and to the right of it.
     */
    private float[] tiles(byte[] rgb, int h, int w, int rows, int cols) {
        int plane = tile * tile;
        float[] out = new float[rows * cols * 3 * plane];
        float[] pad = {normalizer.value(0, 0), normalizer.value(1, 0), normalizer.value(2, 0)};
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < cols; c++) {
                int base = (r * cols + c) * 3 * plane;
                for (int y = 0; y < tile; y++) {
                    int iy = r * tile + y;
                    for (int x = 0; x < tile; x++) {
                        int ix = c * tile + x;
                        boolean inside = iy < h && ix < w;
                        int px = (iy * w + ix) * 3;
                        for (int ch = 0; ch < 3; ch++) {
                            out[base + ch * plane + y * tile + x] = inside ? normalizer.value(ch, rgb[px + ch] & 0xff)
                                    : pad[ch];
                        }
                    }
                }
            }
        }
        return out;
    }
}
