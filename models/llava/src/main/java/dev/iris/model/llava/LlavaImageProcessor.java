package dev.iris.model.llava;

import dev.iris.api.config.ConfigView;
import dev.iris.api.model.ImageProcessor;
import dev.iris.api.model.RgbaImage;
import dev.iris.modelkit.image.PadToSquare;
import dev.iris.modelkit.image.PilResize;
import dev.iris.modelkit.image.PixelNormalizer;
import dev.iris.modelkit.image.ResizeCropNormalize;
import dev.iris.modelkit.image.RgbConversion;

/**
 * LLaVA's preprocessing (spec llava.md §4): one crop — CLIP's resize of the short side and center
 * crop (llava-hf LLaVA-1.5), after padding to a square of the mean colour for original LLaVA's
 * {@code pad} — or "anyres": the image resized onto the best pinpoint canvas (aspect kept, black
 * padding around), cut into tiles, after a base crop of the whole image squashed to one tile.
 */
final class LlavaImageProcessor implements ImageProcessor {

    private final ResizeCropNormalize clip;
    private final int[] background;
    private final int side;
    private final LlavaImageMode mode;

    /**
     * @param side feature rows per crop side (the tower's patches per side)
     * @param mode how crops are cut and counted
     */
    LlavaImageProcessor(ConfigView preprocessor, int side, LlavaImageMode mode) {
        this(new ResizeCropNormalize(preprocessor), new PixelNormalizer(preprocessor).meanColour(), side, mode);
    }

    private LlavaImageProcessor(ResizeCropNormalize clip, int[] background, int side, LlavaImageMode mode) {
        this.clip = clip;
        this.background = background;
        this.side = side;
        this.mode = mode;
    }

    @Override
    public LlavaImageProcessor forRequest(int images) {
        LlavaImageMode m = mode.forImages(images);
        return m == mode ? this : new LlavaImageProcessor(clip, background, side, m);
    }

    @Override
    public LlavaImage process(RgbaImage image, ConfigView overrides) {
        int tile = clip.cropHeight();
        if (!mode.anyres()) {
            float[] values = mode.padToSquare()
                    ? clip.apply(PadToSquare.apply(RgbConversion.dropAlpha(image), image.width(), image.height(), background),
                    Math.max(image.width(), image.height()), Math.max(image.width(), image.height()))
                    : clip.apply(image);
            return new LlavaImage(values, 1, tile, oneCropTokens(), null);
        }
        byte[] rgb = RgbConversion.dropAlpha(image);
        AnyresLayout layout = AnyresLayout.choose(image.height(), image.width(), mode.pinpoints(), tile, mode.convention());
        int[] size = layout.resized(tile);
        byte[] resized = PilResize.resize(rgb, image.width(), image.height(), 3, size[1], size[0],
                PilResize.Filter.BICUBIC);
        int[] place = layout.placement(tile);
        int crops = 1 + layout.rows() * layout.cols();
        int plane = 3 * tile * tile;
        float[] values = new float[crops * plane];
        byte[] base = PilResize.resize(rgb, image.width(), image.height(), 3, tile, tile, PilResize.Filter.BICUBIC);
        System.arraycopy(clip.apply(base, tile, tile), 0, values, 0, plane);
        for (int r = 0; r < layout.rows(); r++) {
            for (int c = 0; c < layout.cols(); c++) {
                int th = Math.min(tile, place[2] - r * tile);
                int tw = Math.min(tile, place[3] - c * tile);
                byte[] crop = new byte[th * tw * 3];
                for (int y = 0; y < th; y++) {
                    int sy = r * tile + y - place[0];
                    for (int x = 0; x < tw; x++) {
                        int sx = c * tile + x - place[1];
                        boolean inside = sy >= 0 && sy < size[0] && sx >= 0 && sx < size[1];
                        for (int k = 0; k < 3; k++) {
                            crop[(y * tw + x) * 3 + k] = inside ? resized[(sy * size[1] + sx) * 3 + k] : 0;
                        }
                    }
                }
                System.arraycopy(clip.apply(crop, tw, th), 0, values, (1 + r * layout.cols() + c) * plane, plane);
            }
        }
        return new LlavaImage(values, crops, tile, anyresTokens(layout), layout);
    }

    private int oneCropTokens() {
        return side * side + (mode.spatial() ? 1 : 0);
    }

    private int anyresTokens(AnyresLayout layout) {
        return mode.spatial() ? layout.promptTokens(side, mode.maxPatches())
                : (1 + layout.rows() * layout.cols()) * side * side;
    }

    @Override
    public int maxPromptTokens() {
        if (!mode.anyres()) {
            return oneCropTokens();
        }
        int tile = clip.cropHeight();
        int most = 0;
        for (int[] p : mode.pinpoints()) {
            // The image that fills this canvas exactly.
            boolean heightFirst = mode.convention() == AnyresLayout.Convention.TRANSFORMERS;
            int h = heightFirst ? p[0] : p[1];
            int w = heightFirst ? p[1] : p[0];
            most = Math.max(most, anyresTokens(new AnyresLayout(h / tile, w / tile, h, w, mode.convention())));
        }
        return most;
    }
}
