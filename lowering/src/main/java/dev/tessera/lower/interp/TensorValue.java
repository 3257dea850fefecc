package dev.tessera.lower.interp;

import dev.tessera.TesseraUserError;
import dev.tessera.ir.DType;
import dev.tessera.ir.IntImm;
import dev.tessera.ir.Numerics;
import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * A dense row-major tensor on the Java heap: the values the reference interpreter reads and writes
 * and the values tests compare compiled kernels against.
 *
 * <p>Every element is stored as a double that is already representable in {@code dtype}: floats
 * rounded to their width, integers wrapped to theirs (exact up to 2^53 in magnitude), bools 0 or 1.
 * The factories establish this; the canonical constructor only checks the length and takes
 * ownership of the arrays (it does not copy them), so callers building one directly must not mutate
 * the arrays afterwards.
 */
public record TensorValue(DType dtype, long[] shape, double[] data) {
    public TensorValue {
        if (dtype.isVector()) throw new TesseraUserError("a tensor value has a scalar dtype, got " + dtype);
        long n = 1;
        for (long d : shape) {
            if (d < 0) throw new TesseraUserError("negative dimension in shape " + Arrays.toString(shape));
            n = Math.multiplyExact(n, d);
        }
        if (n != data.length)
            throw new TesseraUserError("shape " + Arrays.toString(shape) + " holds " + n + " elements, but " + data.length + " values were given");
    }

    /** A tensor of zeros. */
    public static TensorValue zeros(DType dtype, long... shape) {
        return new TensorValue(dtype, shape.clone(), new double[Math.toIntExact(elementCount(shape))]);
    }

    /** A tensor of the given values (row-major), each rounded or wrapped to {@code dtype}; the array is copied. */
    public static TensorValue of(DType dtype, double[] values, long... shape) {
        double[] d = values.clone();
        for (int i = 0; i < d.length; i++) d[i] = canonical(d[i], dtype);
        return new TensorValue(dtype, shape.clone(), d);
    }

    /**
     * Deterministic pseudo-random values: floats uniform in [-1, 1), signed integers in [-8, 8),
     * unsigned integers in [0, 16), bools 0 or 1.
     */
    public static TensorValue random(DType dtype, long seed, long... shape) {
        SplittableRandom rng = new SplittableRandom(seed);
        double[] d = new double[Math.toIntExact(elementCount(shape))];
        for (int i = 0; i < d.length; i++) {
            d[i] = switch (dtype.code()) {
                case FLOAT, BFLOAT -> Numerics.roundTo(rng.nextDouble(-1.0, 1.0), dtype);
                case INT -> rng.nextInt(-8, 8);
                case UINT -> rng.nextInt(0, 16);
                case BOOL -> rng.nextInt(2);
            };
        }
        return new TensorValue(dtype, shape.clone(), d);
    }

    /** Rounds (floats) or wraps (integers, bools) a value to what {@code dtype} can hold. */
    public static double canonical(double v, DType dtype) {
        if (dtype.isFloat()) return Numerics.roundTo(v, dtype);
        if (dtype.isBool()) return v != 0 ? 1 : 0;
        return IntImm.wrap((long) v, dtype); // truncates toward zero, then wraps
    }

    public int rank() { return shape.length; }

    /** The number of elements. */
    public long size() { return data.length; }

    /** The row-major position of an element; raises {@link TesseraUserError} outside the shape. */
    public long flatIndex(long... index) {
        if (index.length != shape.length)
            throw new TesseraUserError("a tensor of shape " + Arrays.toString(shape) + " is indexed with " + index.length + " indices");
        long flat = 0;
        for (int d = 0; d < shape.length; d++) {
            if (index[d] < 0 || index[d] >= shape[d])
                throw new TesseraUserError("index " + Arrays.toString(index) + " is outside the shape " + Arrays.toString(shape));
            flat = flat * shape[d] + index[d];
        }
        return flat;
    }

    /** The element at a multi-dimensional index. */
    public double get(long... index) { return data[(int) flatIndex(index)]; }

    /** The multi-dimensional index of a row-major position. */
    public long[] unflatten(long flat) {
        long[] idx = new long[shape.length];
        for (int d = shape.length - 1; d >= 0; d--) {
            idx[d] = flat % shape[d];
            flat /= shape[d];
        }
        return idx;
    }

    /** The largest absolute difference between corresponding elements (NaN where exactly one side is NaN). */
    public double maxAbsDiff(TensorValue other) {
        checkComparable(other);
        double max = 0;
        for (int i = 0; i < data.length; i++) {
            double a = data[i], b = other.data[i];
            if (a == b || (Double.isNaN(a) && Double.isNaN(b))) continue;
            double diff = Math.abs(a - b);
            if (Double.isNaN(diff)) return Double.NaN;
            max = Math.max(max, diff);
        }
        return max;
    }

    /** Whether every element satisfies {@code |a - b| <= atol + rtol * |b|} ({@code other} is the reference). */
    public boolean allClose(TensorValue other, double rtol, double atol) {
        return firstMismatch(other, rtol, atol) == null;
    }

    /**
     * Null when the tensors are close (see {@link #allClose}); otherwise a message naming the first
     * mismatching index, both values, and how many elements mismatch. NaNs match NaNs, infinities
     * match equal infinities.
     */
    public String firstMismatch(TensorValue other, double rtol, double atol) {
        if (!dtype.equals(other.dtype) || !Arrays.equals(shape, other.shape))
            return "tensors differ in type: " + dtype + Arrays.toString(shape) + " vs " + other.dtype + Arrays.toString(other.shape);
        int first = -1, count = 0;
        for (int i = 0; i < data.length; i++) {
            double a = data[i], b = other.data[i];
            boolean ok = a == b || (Double.isNaN(a) && Double.isNaN(b)) || Math.abs(a - b) <= atol + rtol * Math.abs(b);
            if (!ok) {
                if (first < 0) first = i;
                count++;
            }
        }
        if (first < 0) return null;
        return "first mismatch at index " + Arrays.toString(unflatten(first)) + ": " + data[first] + " vs expected " + other.data[first]
                + " (|diff| " + Math.abs(data[first] - other.data[first]) + ", rtol " + rtol + ", atol " + atol + "); "
                + count + " of " + data.length + " elements mismatch, max |diff| " + maxAbsDiff(other);
    }

    /** Throws an {@link AssertionError} carrying {@link #firstMismatch}'s message when the tensors are not close. */
    public void assertAllClose(TensorValue expected, double rtol, double atol) {
        String m = firstMismatch(expected, rtol, atol);
        if (m != null) throw new AssertionError(m);
    }

    private void checkComparable(TensorValue other) {
        if (!Arrays.equals(shape, other.shape))
            throw new TesseraUserError("cannot compare tensors of shapes " + Arrays.toString(shape) + " and " + Arrays.toString(other.shape));
    }

    static long elementCount(long[] shape) {
        long n = 1;
        for (long d : shape) {
            if (d < 0) throw new TesseraUserError("negative dimension in shape " + Arrays.toString(shape));
            n = Math.multiplyExact(n, d);
        }
        return n;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof TensorValue t && dtype.equals(t.dtype) && Arrays.equals(shape, t.shape) && Arrays.equals(data, t.data);
    }

    @Override
    public int hashCode() {
        return 31 * (31 * dtype.hashCode() + Arrays.hashCode(shape)) + Arrays.hashCode(data);
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder().append(dtype).append(Arrays.toString(shape)).append(' ');
        int n = Math.min(data.length, 16);
        sb.append('[');
        for (int i = 0; i < n; i++) sb.append(i == 0 ? "" : ", ").append(data[i]);
        return sb.append(data.length > n ? ", ...]" : "]").toString();
    }
}
