package dev.iris.model.llava;

import java.util.List;

/**
 * How a checkpoint turns an image into crops and prompt positions (spec llava.md §4, §6): one crop
 * (CLIP's resize and center crop, or original LLaVA's pad to a square first) or anyres tiles over
 * a pinpoint canvas; the crops' features concatenated ({@code flat}) or packed as a map with a
 * newline after each row ({@code spatial_unpad}).
 *
 * @param padToSquare one crop of the image centred on a square of its mean colour ({@code image_aspect_ratio: pad})
 * @param pinpoints   anyres canvases as the checkpoint lists them; empty for one crop
 * @param maxPatches  OneVision's {@code anyres_max_N}: the packed map is shrunk to about N tiles' worth; 0 for none
 * @param convention  how the pinpoints are read and the map unpadded
 * @param spatial     {@code spatial_unpad} packing: a newline after each map row (after a lone crop, one)
 */
record LlavaImageMode(boolean padToSquare, List<int[]> pinpoints, int maxPatches, AnyresLayout.Convention convention,
                      boolean spatial) {

    LlavaImageMode {
        pinpoints = List.copyOf(pinpoints);
    }

    /** llava-hf's processors: CLIP's crop for LLaVA-1.5; anyres with newlines when there are pinpoints. */
    static LlavaImageMode transformers(List<int[]> pinpoints, int maxPatches) {
        return new LlavaImageMode(false, pinpoints, maxPatches, AnyresLayout.Convention.TRANSFORMERS, !pinpoints.isEmpty());
    }

    boolean anyres() {
        return !pinpoints.isEmpty();
    }

    /**
     * The mode for each image of a request with several: the original code and SGLang give every
     * image one crop padded to a square (spec §4.5), keeping the packing; llava-hf processors
     * (transformers 4.45–4.47, the reference of those layouts) tile each image as if alone.
     */
    LlavaImageMode forImages(int images) {
        if (images > 1 && anyres() && convention == AnyresLayout.Convention.ORIGINAL) {
            return new LlavaImageMode(true, List.of(), 0, convention, spatial);
        }
        return this;
    }
}
