package dev.iris.runtime.gguf;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.util.List;

/** What every {@code clip} mmproj GGUF says the same way: its projector, its pixel normalization. */
final class ClipGguf {

    private ClipGguf() {
    }

    /** {@code clip.projector_type}, checked to be a vision projector file. */
    static String projector(GgufFile mmproj) throws IOException {
        if (!"clip".equals(mmproj.architecture())) {
            throw new IOException(mmproj.path() + ": not a vision projector (mmproj) file: its general.architecture is '"
                    + mmproj.architecture() + "', not 'clip'");
        }
        if (!mmproj.bool("clip.has_vision_encoder").orElse(true)) {
            throw new IOException(mmproj.path() + ": this mmproj has no vision encoder");
        }
        return mmproj.string("clip.projector_type").orElse(mmproj.string("clip.vision.projector_type")
                .orElse(mmproj.bool("clip.has_llava_projector").orElse(false) ? "mlp" : "none"));
    }

    /** {@code image_mean} and {@code image_std}, and the 1/255 rescale before them. */
    static void normalization(GgufFile mmproj, ObjectNode preprocessor) throws IOException {
        for (String key : List.of("image_mean", "image_std")) {
            List<Float> values = mmproj.require("clip.vision." + key, mmproj.array("clip.vision." + key, Float.class));
            if (values.size() != 3) {
                throw new IOException(mmproj.path() + ": clip.vision." + key + " has " + values.size() + " values, not 3");
            }
            ArrayNode a = preprocessor.putArray(key);
            values.forEach(v -> a.add((double) v));
        }
        preprocessor.put("do_rescale", true).put("rescale_factor", 1 / 255.0).put("do_normalize", true)
                .put("do_convert_rgb", true).put("resample", 3);
    }

    static IOException unplaced(GgufFile mmproj, String tensor) {
        return new IOException(mmproj.path() + ": tensor '" + tensor + "' has no place in the vision tower Iris reads");
    }
}
