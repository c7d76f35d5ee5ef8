package dev.iris.model.llava;

import dev.iris.api.config.ConfigView;
import dev.iris.api.model.ImageProcessor;
import dev.iris.api.model.RgbaImage;
import dev.iris.modelkit.image.ResizeCropNormalize;
import dev.iris.modelkit.image.PilResize;
import dev.iris.modelkit.image.RgbConversion;

import java.util.List;

/**
 * LLaVA's preprocessing as llava-hf ships it (spec llava.md §4): for LLaVA-1.5 CLIP's resize of the
 * short side and center crop (one crop); for LLaVA-NeXT and OneVision "anyres" — the image resized
 * onto the best pinpoint canvas (aspect kept, black padding around), cut into tiles, after a base
 * crop of the whole image squashed to one tile.
 */
final class LlavaImageProcessor implements ImageProcessor {

    private final ResizeCropNormalize clip;
    private final int side;
    private final List<int[]> pinpoints;
    private final int maxPatches;

    /**
     * @param side      feature rows per crop side (the tower's patches per side)
     * @param pinpoints  anyres canvases as (height, width), or empty for LLaVA-1.5
     * @param maxPatches OneVision's {@code anyres_max_N} (0: none)
     */
    LlavaImageProcessor(ConfigView preprocessor, int side, List<int[]> pinpoints, int maxPatches) {
        this.clip = new ResizeCropNormalize(preprocessor);
        this.side = side;
        this.pinpoints = List.copyOf(pinpoints);
        this.maxPatches = maxPatches;
    }

    @Override
    public LlavaImage process(RgbaImage image, ConfigView overrides) {
        int tile = clip.cropHeight();
        if (pinpoints.isEmpty()) {
            return new LlavaImage(clip.apply(image), 1, tile, side * side, null);
        }
        byte[] rgb = RgbConversion.dropAlpha(image);
        AnyresLayout layout = AnyresLayout.choose(image.height(), image.width(), pinpoints, tile);
        int[] size = layout.resized(tile);
        byte[] resized = PilResize.resize(rgb, image.width(), image.height(), 3, size[1], size[0],
                PilResize.Filter.BICUBIC);
        // HF pads the same amount on both sides: an odd remainder leaves the canvas a pixel short,
        // and the last tile of that row or column is narrower (its CLIP resize then stretches it).
        int padY = (layout.rows() * tile - size[0]) / 2;
        int padX = (layout.cols() * tile - size[1]) / 2;
        int ch = size[0] + 2 * padY;
        int cw = size[1] + 2 * padX;
        int crops = 1 + layout.rows() * layout.cols();
        int plane = 3 * tile * tile;
        float[] values = new float[crops * plane];
        byte[] base = PilResize.resize(rgb, image.width(), image.height(), 3, tile, tile, PilResize.Filter.BICUBIC);
        System.arraycopy(clip.apply(base, tile, tile), 0, values, 0, plane);
        for (int r = 0; r < layout.rows(); r++) {
            for (int c = 0; c < layout.cols(); c++) {
                int th = Math.min(tile, ch - r * tile);
                int tw = Math.min(tile, cw - c * tile);
                byte[] crop = new byte[th * tw * 3];
                for (int y = 0; y < th; y++) {
                    int sy = r * tile + y - padY;
                    for (int x = 0; x < tw; x++) {
                        int sx = c * tile + x - padX;
                        boolean inside = sy >= 0 && sy < size[0] && sx >= 0 && sx < size[1];
                        for (int k = 0; k < 3; k++) {
                            crop[(y * tw + x) * 3 + k] = inside ? resized[(sy * size[1] + sx) * 3 + k] : 0;
                        }
                    }
                }
                System.arraycopy(clip.apply(crop, tw, th), 0, values, (1 + r * layout.cols() + c) * plane, plane);
            }
        }
        return new LlavaImage(values, crops, tile, layout.promptTokens(side, maxPatches), layout);
    }

    @Override
    public int maxPromptTokens() {
        if (pinpoints.isEmpty()) {
            return side * side;
        }
        int tile = clip.cropHeight();
        int most = 0;
        for (int[] p : pinpoints) {
            AnyresLayout full = new AnyresLayout(p[0] / tile, p[1] / tile, p[0], p[1]);
            most = Math.max(most, full.promptTokens(side, maxPatches));
        }
        return most;
    }
}
