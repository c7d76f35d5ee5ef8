package dev.iris.model.llava;

import dev.iris.api.tensor.WeightSource;
import dev.iris.api.tensor.WeightTensor;

import java.io.IOException;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A LLaVA checkpoint's tensors under one naming (spec llava.md §3.2): the names transformers up to
 * 4.51 writes (the published llava-hf files), whichever of the three spellings the checkpoint
 * uses. Each name is rewritten by its longest matching prefix; original checkpoints' buffers
 * ({@code rotary_emb.inv_freq}, {@code position_ids}) are left out.
 */
final class LlavaWeightNames implements WeightSource {

    /** Each canonical prefix, then its spellings by transformers 4.52 and later and by the original code. */
    private static final List<List<String>> PREFIXES = List.of(
            List.of("vision_tower.vision_model.", "model.vision_tower.vision_model.",
                    "model.vision_tower.vision_tower.vision_model."),
            List.of("multi_modal_projector.linear_1.", "model.multi_modal_projector.linear_1.", "model.mm_projector.0."),
            List.of("multi_modal_projector.linear_2.", "model.multi_modal_projector.linear_2.", "model.mm_projector.2."),
            List.of("image_newline", "model.image_newline"),
            List.of("language_model.model.", "model.language_model.", "model."),
            List.of("language_model.lm_head.", "lm_head."));

    private final WeightSource checkpoint;
    private final Map<String, String> stored = new HashMap<>();

    LlavaWeightNames(WeightSource checkpoint) throws IOException {
        this.checkpoint = checkpoint;
        for (String name : checkpoint.names()) {
            if (name.endsWith(".inv_freq") || name.endsWith(".position_ids")) {
                continue;
            }
            String canonical = canonical(name);
            String other = stored.put(canonical, name);
            if (other != null) {
                throw new IOException("the checkpoint has both '" + other + "' and '" + name + "' for '" + canonical + "'");
            }
        }
    }

    private static String canonical(String name) {
        String best = null;
        String to = null;
        for (List<String> row : PREFIXES) {
            for (String spelling : row) {
                if (name.startsWith(spelling) && (best == null || spelling.length() > best.length())) {
                    best = spelling;
                    to = row.getFirst();
                }
            }
        }
        return best == null ? name : to + name.substring(best.length());
    }

    @Override
    public Set<String> names() {
        return Set.copyOf(stored.keySet());
    }

    @Override
    public boolean contains(String name) {
        return stored.containsKey(name);
    }

    @Override
    public WeightTensor get(String name) throws IOException {
        String inFile = stored.get(name);
        if (inFile == null) {
            throw new IOException("the checkpoint has no tensor '" + name + "' under any of its names "
                    + spellings(name));
        }
        return checkpoint.get(inFile);
    }

    private static List<String> spellings(String canonical) {
        for (List<String> row : PREFIXES) {
            if (canonical.startsWith(row.getFirst())) {
                String rest = canonical.substring(row.getFirst().length());
                return row.stream().map(p -> p + rest).toList();
            }
        }
        return List.of(canonical);
    }

    /** The runtime owns the checkpoint and closes it. */
    @Override
    public void close() {
    }
}
