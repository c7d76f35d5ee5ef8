package dev.iris.api.compute;

import dev.iris.api.IrisPlugin;
import dev.iris.api.tensor.DType;
import dev.iris.api.tensor.Shape;
import dev.iris.api.tensor.Tensor;
import dev.iris.api.tensor.WeightTensor;

import java.util.List;

/**
 * A device that holds tensors and runs the ops the model families need, eagerly, one op per
 * call. The CPU backend ({@code "cpu"}) is the reference; every other backend must agree with it
 * within the tolerances its tests state.
 *
 * <p>Conventions for every op:
 * <ul>
 *   <li>Activations are {@link DType#F32}, row-major. Weights may be F32, F16 or BF16 and are
 *       converted exactly to F32 inside the kernels; accumulation is in F32.</li>
 *   <li>Ops return a new tensor and leave their inputs unchanged, unless the name says
 *       {@code InPlace}. Shapes that do not fit throw {@link IllegalArgumentException} naming
 *       both shapes.</li>
 *   <li>"Rows" are all leading dimensions flattened; ops that work "per row" act on the last
 *       dimension.</li>
 *   <li>Methods are safe to call from several threads on distinct tensors.</li>
 * </ul>
 */
public interface ComputeBackend extends IrisPlugin {

    /**
     * Whether this backend can run here (a GPU backend without a device or driver cannot). When
     * false, {@link #unavailableReason()} says why; the runtime then refuses to select it with
     * that reason instead of failing later.
     */
    default boolean isAvailable() {
        return true;
    }

    /** Why {@link #isAvailable()} is false; empty when it is available. */
    default String unavailableReason() {
        return "";
    }

    /**
     * Bytes of device memory free for the K/V pool now (after the weights, less what the backend
     * keeps for activations); the engine gives the pool {@code --mem-fraction-static} of it. -1
     * for a backend that allocates on the Java heap, whose free heap is used instead.
     */
    default long freeDeviceMemory() {
        return -1;
    }

    /**
     * A count that grows as the backend finishes work (parallel ops, kernels), so a watchdog can
     * tell a long step that progresses from one that hangs; -1 for a backend that keeps none.
     */
    default long completedWork() {
        return -1;
    }

    // ---- memory ------------------------------------------------------------------------------

    /** A new zero-filled tensor. */
    Tensor zeros(DType dtype, Shape shape);

    /** A new F32 tensor holding a copy of {@code values} (length = element count of {@code shape}). */
    Tensor fromFloats(float[] values, Shape shape);

    /**
     * A tensor over a checkpoint tensor. A backend that can read host memory directly wraps the
     * bytes without copying (the weights stay memory-mapped); others upload them once.
     */
    Tensor weight(WeightTensor weight);

    /** The tensor's values as F32 on the host (a copy), row-major. */
    float[] toFloats(Tensor tensor);

    // ---- linear algebra ----------------------------------------------------------------------

    /**
     * {@code y = x · wᵀ + bias}: {@code x} is {@code [n, k]} (F32), {@code w} is {@code [m, k]}
     * (F32, F16 or BF16, or a quantized {@link dev.iris.api.tensor.DType} where the backend
     * multiplies those; the PyTorch {@code nn.Linear} layout), {@code bias} is {@code [m]} or
     * null; {@code y} is {@code [n, m]}. {@code x} may have more leading dimensions, which are
     * flattened into {@code n} and restored in the result.
     */
    Tensor linear(Tensor x, Tensor w, Tensor bias);

    /**
     * {@link #linear} of one input with several weights of its width — q, k and v; gate and up:
     * {@code y_i = x · w_iᵀ + biases[i]}, each exactly what {@code linear} returns. A backend may
     * run them as one op (the input converted once, one parallel pass over every weight), which is
     * why a layer asks for them together. {@code biases} is null or has one entry, possibly null,
     * per weight.
     */
    default Tensor[] linears(Tensor x, Tensor[] weights, Tensor[] biases) {
        Tensor[] y = new Tensor[weights.length];
        for (int i = 0; i < weights.length; i++) {
            y[i] = linear(x, weights[i], biases == null ? null : biases[i]);
        }
        return y;
    }

    /**
     * The input half of a gated MLP (SwiGLU and friends): {@code f(x · gateᵀ) ⊙ (x · upᵀ)}, exactly
     * {@code gatedActivation(linear(x, gate, null), linear(x, up, null), f)}. A backend may compute
     * it without materialising either product.
     */
    default Tensor gatedLinear(Tensor x, Tensor gate, Tensor up, Activation f) {
        return gatedActivation(linear(x, gate, null), linear(x, up, null), f);
    }

    /** Rows of {@code table} ({@code [vocab, d]}, any floating dtype) for each id: {@code [ids.length, d]} F32. */
    Tensor embedding(Tensor table, int[] ids);

    // ---- normalisation -----------------------------------------------------------------------

    /** Per row: {@code x / sqrt(mean(x²) + eps) * weight}; {@code weight} has the row length. */
    Tensor rmsNorm(Tensor x, Tensor weight, float eps);

    /** Per row: {@code (x - mean) / sqrt(var + eps) * weight + bias} (biased variance, as PyTorch). */
    Tensor layerNorm(Tensor x, Tensor weight, Tensor bias, float eps);

    // ---- rotary position embedding -----------------------------------------------------------

    /**
     * Rotates the first {@code 2 * cos.shape[1]} dimensions of every head of {@code x}
     * ({@code [tokens, heads, headDim]}) by the per-token angles whose cosines and sines are in
     * {@code cos} and {@code sin} ({@code [tokens, r/2]}); the remaining dimensions pass through.
     * The tables come from {@code modelkit}, which knows the variant (1-D, llama3-scaled,
     * M-RoPE sections, 2-D vision); this op only applies them.
     */
    Tensor rotary(Tensor x, Tensor cos, Tensor sin, RotaryLayout layout);

    // ---- elementwise -------------------------------------------------------------------------

    /** {@code f(x)} elementwise. */
    Tensor activation(Tensor x, Activation f);

    /** {@code f(gate) * up} elementwise (SwiGLU and friends); equal shapes. */
    Tensor gatedActivation(Tensor gate, Tensor up, Activation f);

    /**
     * {@code a + b}. {@code b} has the shape of {@code a} or of its trailing dimensions, in which
     * case it is broadcast over the leading ones (a bias row, a position-embedding table).
     */
    Tensor add(Tensor a, Tensor b);

    /** {@code a * b} elementwise, broadcasting {@code b} as in {@link #add}. */
    Tensor mul(Tensor a, Tensor b);

    /** {@code a * s}. */
    Tensor scale(Tensor a, float s);

    /** {@code a += b} into {@code a} (residual connections), broadcasting {@code b} as in {@link #add}. */
    void addInPlace(Tensor a, Tensor b);

    /** Softmax of each row, computed with the row maximum subtracted first. */
    Tensor softmax(Tensor x);

    // ---- shape and data movement -------------------------------------------------------------

    /** The same elements with another shape of equal element count (a view when contiguous). */
    Tensor reshape(Tensor x, Shape shape);

    /** Elements {@code [start, end)} along dimension {@code dim}. */
    Tensor slice(Tensor x, int dim, int start, int end);

    /** Swaps two dimensions (materialised, contiguous result). */
    Tensor transpose(Tensor x, int dim0, int dim1);

    /** Concatenation along {@code dim}; all other dimensions must agree. */
    Tensor concat(int dim, List<Tensor> parts);

    /** The rows {@code rows[i]} of {@code x} ({@code [n, d]}), in that order: {@code [rows.length, d]}. */
    Tensor gatherRows(Tensor x, int[] rows);

    /**
     * Overwrites rows {@code dstRow .. dstRow + count} of {@code dst} ({@code [n, d]}) with rows
     * {@code srcRow .. srcRow + count} of {@code src} ({@code [m, d]}): how image embeddings are
     * spliced into the token embeddings.
     */
    void copyRowsInPlace(Tensor src, int srcRow, Tensor dst, int dstRow, int count);

    /**
     * Cuts an image {@code [channels, height, width]} into non-overlapping {@code patch × patch}
     * squares, row-major over the patch grid, each flattened as {@code (channel, y, x)}:
     * {@code [(h/patch)·(w/patch), channels·patch²]}. Followed by {@link #linear} with the conv
     * weight reshaped to {@code [out, channels·patch²]}, this is a Conv2d with stride = kernel.
     */
    Tensor patchify(Tensor image, int patch);
}
