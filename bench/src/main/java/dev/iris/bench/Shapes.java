package dev.iris.bench;

import java.util.List;

/**
 * Matrix shapes of Qwen2-VL-2B-Instruct (bench/configs/qwen2-vl-2b-instruct.config.json): the
 * language model's per-layer projections and head, and the vision tower's block projections.
 */
final class Shapes {

    static final int HIDDEN = 1536;
    static final int INTERMEDIATE = 8960;
    static final int LAYERS = 28;
    static final int HEADS = 12;
    static final int KV_HEADS = 2;
    static final int HEAD_DIM = 128;
    static final int VOCAB = 151936;
    static final int VISION_EMBED = 1280;
    static final int VISION_MLP = 5120;

    /** One weight: output rows × input columns. */
    record Matrix(String name, int rows, int cols) {
        long params() {
            return (long) rows * cols;
        }
    }

    /** The projections of one language-model layer, in the order a forward pass uses them. */
    static final List<Matrix> LM_LAYER = List.of(
            new Matrix("q_proj", HIDDEN, HIDDEN),
            new Matrix("k_proj", KV_HEADS * HEAD_DIM, HIDDEN),
            new Matrix("v_proj", KV_HEADS * HEAD_DIM, HIDDEN),
            new Matrix("o_proj", HIDDEN, HIDDEN),
            new Matrix("gate_proj", INTERMEDIATE, HIDDEN),
            new Matrix("up_proj", INTERMEDIATE, HIDDEN),
            new Matrix("down_proj", HIDDEN, INTERMEDIATE));

    static final Matrix LM_HEAD = new Matrix("lm_head", VOCAB, HIDDEN);
    static final Matrix GATE = LM_LAYER.get(4);
    static final Matrix DOWN = LM_LAYER.get(6);
    static final Matrix VISION_FC1 = new Matrix("visual.mlp.fc1", VISION_MLP, VISION_EMBED);

    private Shapes() {
    }
}
