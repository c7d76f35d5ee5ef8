package dev.iris.backend.cpu;

/** Data movement that is not a plain copy of contiguous rows: transposition and patch extraction. */
final class LayoutKernels {

    private LayoutKernels() {
    }

    /** dims[from] × … × dims[to − 1]. */
    static int product(int[] dims, int from, int to) {
        int p = 1;
        for (int i = from; i < to; i++) {
            p *= dims[i];
        }
        return p;
    }

    /** Row-major strides of a shape. */
    static int[] strides(int[] dims) {
        int[] s = new int[dims.length];
        int acc = 1;
        for (int d = dims.length - 1; d >= 0; d--) {
            s[d] = acc;
            acc *= dims[d];
        }
        return s;
    }

    /** y = x with dimensions {@code dim0} and {@code dim1} of shape {@code in} swapped, contiguous. */
    static void transpose(float[] x, int xo, int[] in, int dim0, int dim1, float[] y) {
        int rank = in.length;
        int[] out = in.clone();
        out[dim0] = in[dim1];
        out[dim1] = in[dim0];
        int[] inStride = strides(in);
        int[] outStride = strides(out);
        int[] idx = new int[rank];
        for (int o = 0; o < y.length; o++) {
            int rem = o;
            for (int d = 0; d < rank; d++) {
                idx[d] = rem / outStride[d];
                rem %= outStride[d];
            }
            int src = 0;
            for (int d = 0; d < rank; d++) {
                int sd = d == dim0 ? dim1 : d == dim1 ? dim0 : d;
                src += idx[d] * inStride[sd];
            }
            y[o] = x[xo + src];
        }
    }

    /**
     * Image {@code [c, h, w]} at {@code xo} → patches {@code [(h/p)·(w/p), c·p·p]}, patch grid
     * row-major, each patch flattened as (channel, y, x) like a Conv2d weight.
     */
    static void patchify(float[] x, int xo, int c, int h, int w, int p, float[] y) {
        int gh = h / p;
        int gw = w / p;
        int rowLen = c * p * p;
        for (int py = 0; py < gh; py++) {
            for (int px = 0; px < gw; px++) {
                int out = (py * gw + px) * rowLen;
                for (int ch = 0; ch < c; ch++) {
                    for (int yy = 0; yy < p; yy++) {
                        System.arraycopy(x, xo + (ch * h + py * p + yy) * w + px * p, y, out + (ch * p + yy) * p, p);
                    }
                }
            }
        }
    }
}
