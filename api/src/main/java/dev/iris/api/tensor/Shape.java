package dev.iris.api.tensor;

import java.util.Arrays;

/**
 * The dimensions of a tensor, outermost first (row-major). Immutable.
 *
 * @param dims each dimension's size; none negative
 */
public record Shape(int... dims) {

    public Shape {
        dims = dims.clone();
        for (int d : dims) {
            if (d < 0) {
                throw new IllegalArgumentException("negative dimension in " + Arrays.toString(dims));
            }
        }
    }

    /** The shape with these dimensions. */
    public static Shape of(int... dims) {
        return new Shape(dims);
    }

    /** Number of dimensions. */
    public int rank() {
        return dims.length;
    }

    /** Size of dimension {@code i}; negative {@code i} counts from the end ({@code -1} is the last). */
    public int dim(int i) {
        return dims[i < 0 ? dims.length + i : i];
    }

    /** Total number of elements (a long: weight tensors may exceed {@code Integer.MAX_VALUE}). */
    public long elementCount() {
        long n = 1;
        for (int d : dims) {
            n *= d;
        }
        return n;
    }

    /** The dimensions as a fresh array. */
    @Override
    public int[] dims() {
        return dims.clone();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Shape s && Arrays.equals(dims, s.dims);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(dims);
    }

    @Override
    public String toString() {
        return Arrays.toString(dims);
    }
}
