package dev.tessera.target;

import dev.tessera.TesseraUserError;
import dev.tessera.ir.DType;
import dev.tessera.ir.IntImm;
import dev.tessera.ir.Numerics;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;

/**
 * A dense row-major tensor in native host memory, 64-byte aligned, owned by its own shared arena.
 * Elements are stored as the kernel sees them: bool as one byte (0 or 1), f16 and bf16 as their
 * 16-bit patterns. Closing frees the memory; any later use is a {@link TesseraUserError}.
 */
public final class HostBuffer implements AutoCloseable {
    /** The alignment of every buffer, which kernels assume. */
    public static final long ALIGNMENT = 64;

    private final DType dtype;
    private final long[] shape;
    private final long elements;
    private final Arena arena;
    private final MemorySegment segment;
    private volatile boolean closed;

    private HostBuffer(DType dtype, long[] shape) {
        if (dtype.isVector()) throw new TesseraUserError("a buffer holds scalar elements, got dtype " + dtype);
        this.dtype = dtype;
        this.shape = shape.clone();
        long n = 1;
        for (long d : shape) {
            if (d < 0) throw new TesseraUserError("buffer dimensions must be >= 0, got shape " + Arrays.toString(shape));
            n = Math.multiplyExact(n, d);
        }
        this.elements = n;
        long bytes = Math.multiplyExact(n, (long) dtype.bytes());
        this.arena = Arena.ofShared();
        // Arena.allocate zero-fills; at least one alignment unit so the address is always a real allocation.
        this.segment = arena.allocate(Math.max(bytes, ALIGNMENT), ALIGNMENT).asSlice(0, bytes);
    }

    /** A zero-filled buffer. */
    public static HostBuffer allocate(DType dtype, long... shape) {
        return new HostBuffer(dtype, shape);
    }

    /**
     * A buffer holding {@code values} converted to {@code dtype}: floats are rounded to nearest even,
     * integers truncate toward zero and saturate (NaN gives 0), bool is {@code value != 0}.
     */
    public static HostBuffer of(DType dtype, double[] values, long... shape) {
        HostBuffer b = new HostBuffer(dtype, shape);
        if (values.length != b.elements) {
            b.close();
            throw new TesseraUserError("shape " + Arrays.toString(shape) + " holds " + b.elements + " elements, got " + values.length + " values");
        }
        for (int i = 0; i < values.length; i++) b.set(i, values[i]);
        return b;
    }

    /** An f32 buffer holding the given floats. */
    public static HostBuffer ofFloats(float[] values, long... shape) {
        double[] d = new double[values.length];
        for (int i = 0; i < d.length; i++) d[i] = values[i];
        return of(DType.F32, d, shape);
    }

    public DType dtype() { return dtype; }
    public long[] shape() { return shape.clone(); }
    public int rank() { return shape.length; }
    public long elementCount() { return elements; }
    public boolean isClosed() { return closed; }

    /** The native memory; the kernel runtime passes this to native code. */
    public MemorySegment segment() {
        checkOpen();
        return segment;
    }

    /** The element at a flat index, converted to double. */
    public double get(long i) {
        checkOpen();
        checkIndex(i);
        return switch (dtype.code()) {
            case FLOAT -> switch (dtype.bits()) {
                case 64 -> segment.getAtIndex(ValueLayout.JAVA_DOUBLE, i);
                case 32 -> segment.getAtIndex(ValueLayout.JAVA_FLOAT, i);
                case 16 -> Float.float16ToFloat(segment.getAtIndex(ValueLayout.JAVA_SHORT, i));
                default -> throw new IllegalStateException("dtype " + dtype);
            };
            case BFLOAT -> Numerics.bf16ToFloat(segment.getAtIndex(ValueLayout.JAVA_SHORT, i));
            case INT -> switch (dtype.bits()) {
                case 8 -> segment.get(ValueLayout.JAVA_BYTE, i);
                case 16 -> segment.getAtIndex(ValueLayout.JAVA_SHORT, i);
                case 32 -> segment.getAtIndex(ValueLayout.JAVA_INT, i);
                case 64 -> segment.getAtIndex(ValueLayout.JAVA_LONG, i);
                default -> throw new IllegalStateException("dtype " + dtype);
            };
            case UINT -> switch (dtype.bits()) {
                case 8 -> Byte.toUnsignedInt(segment.get(ValueLayout.JAVA_BYTE, i));
                case 16 -> Short.toUnsignedInt(segment.getAtIndex(ValueLayout.JAVA_SHORT, i));
                case 32 -> Integer.toUnsignedLong(segment.getAtIndex(ValueLayout.JAVA_INT, i));
                case 64 -> unsignedToDouble(segment.getAtIndex(ValueLayout.JAVA_LONG, i));
                default -> throw new IllegalStateException("dtype " + dtype);
            };
            case BOOL -> segment.get(ValueLayout.JAVA_BYTE, i) != 0 ? 1 : 0;
        };
    }

    /** Stores a value at a flat index, converted as {@link #of} converts. */
    public void set(long i, double v) {
        checkOpen();
        checkIndex(i);
        switch (dtype.code()) {
            case FLOAT -> {
                switch (dtype.bits()) {
                    case 64 -> segment.setAtIndex(ValueLayout.JAVA_DOUBLE, i, v);
                    case 32 -> segment.setAtIndex(ValueLayout.JAVA_FLOAT, i, (float) v);
                    case 16 -> segment.setAtIndex(ValueLayout.JAVA_SHORT, i, Float.floatToFloat16((float) v));
                    default -> throw new IllegalStateException("dtype " + dtype);
                }
            }
            case BFLOAT -> segment.setAtIndex(ValueLayout.JAVA_SHORT, i, Numerics.floatToBf16((float) v));
            case INT, UINT -> {
                long x = saturate(v);
                switch (dtype.bits()) {
                    case 8 -> segment.set(ValueLayout.JAVA_BYTE, i, (byte) x);
                    case 16 -> segment.setAtIndex(ValueLayout.JAVA_SHORT, i, (short) x);
                    case 32 -> segment.setAtIndex(ValueLayout.JAVA_INT, i, (int) x);
                    case 64 -> segment.setAtIndex(ValueLayout.JAVA_LONG, i, x);
                    default -> throw new IllegalStateException("dtype " + dtype);
                }
            }
            case BOOL -> segment.set(ValueLayout.JAVA_BYTE, i, (byte) (v != 0 ? 1 : 0));
        }
    }

    /** An integer (or bool) buffer holding {@code values}, wrapped to the dtype's width. */
    public static HostBuffer ofLongs(DType dtype, long[] values, long... shape) {
        HostBuffer b = new HostBuffer(dtype, shape);
        if (values.length != b.elements) {
            b.close();
            throw new TesseraUserError("shape " + Arrays.toString(shape) + " holds " + b.elements + " elements, got " + values.length + " values");
        }
        for (int i = 0; i < values.length; i++) b.setLong(i, values[i]);
        return b;
    }

    /** The element at a flat index of an integer or bool buffer, exactly (unsigned values zero-extended). */
    public long getLong(long i) {
        checkOpen();
        checkIndex(i);
        requireIntegral();
        long raw = switch (dtype.bytes()) {
            case 1 -> segment.get(ValueLayout.JAVA_BYTE, i);
            case 2 -> segment.getAtIndex(ValueLayout.JAVA_SHORT, i);
            case 4 -> segment.getAtIndex(ValueLayout.JAVA_INT, i);
            case 8 -> segment.getAtIndex(ValueLayout.JAVA_LONG, i);
            default -> throw new IllegalStateException("dtype " + dtype);
        };
        return dtype.isBool() ? (raw != 0 ? 1 : 0) : IntImm.wrap(raw, dtype);
    }

    /** Stores an integer at a flat index of an integer or bool buffer, wrapped to the dtype's width. */
    public void setLong(long i, long v) {
        checkOpen();
        checkIndex(i);
        requireIntegral();
        long x = IntImm.wrap(v, dtype);
        switch (dtype.bytes()) {
            case 1 -> segment.set(ValueLayout.JAVA_BYTE, i, (byte) x);
            case 2 -> segment.setAtIndex(ValueLayout.JAVA_SHORT, i, (short) x);
            case 4 -> segment.setAtIndex(ValueLayout.JAVA_INT, i, (int) x);
            case 8 -> segment.setAtIndex(ValueLayout.JAVA_LONG, i, x);
            default -> throw new IllegalStateException("dtype " + dtype);
        }
    }

    /** Every element of an integer or bool buffer, exactly, in row-major order. */
    public long[] toLongs() {
        checkOpen();
        long[] out = new long[Math.toIntExact(elements)];
        for (int i = 0; i < out.length; i++) out[i] = getLong(i);
        return out;
    }

    private void requireIntegral() {
        if (!(dtype.isIntegral() || dtype.isBool()))
            throw new TesseraUserError("buffer " + describe() + " holds floats; use get/toDoubles");
    }

    /** Every element, converted to double, in row-major order. */
    public double[] toDoubles() {
        checkOpen();
        if (elements > Integer.MAX_VALUE - 8) throw new TesseraUserError("buffer of " + elements + " elements is too large for a Java array");
        double[] out = new double[(int) elements];
        for (int i = 0; i < out.length; i++) out[i] = get(i);
        return out;
    }

    /** Every element, converted to float, in row-major order. */
    public float[] toFloats() {
        double[] d = toDoubles();
        float[] f = new float[d.length];
        for (int i = 0; i < d.length; i++) f[i] = (float) d[i];
        return f;
    }

    /** Frees the memory. Closing twice is allowed; closing while a kernel runs on it fails. */
    @Override
    public void close() {
        if (closed) return;
        try {
            arena.close();
        } catch (IllegalStateException e) {
            throw new TesseraUserError("buffer " + describe() + " is in use by a running kernel and cannot be closed now", e);
        }
        closed = true;
    }

    /** The dtype and shape, e.g. {@code f32[64, 32]}. */
    public String describe() {
        return dtype + Arrays.toString(shape);
    }

    @Override public String toString() { return "HostBuffer(" + describe() + (closed ? ", closed" : "") + ")"; }

    private void checkOpen() {
        if (closed) throw new TesseraUserError("buffer " + describe() + " is closed");
    }

    private void checkIndex(long i) {
        if (i < 0 || i >= elements) throw new TesseraUserError("index " + i + " out of range for buffer " + describe() + " of " + elements + " elements");
    }

    private long saturate(double v) {
        if (Double.isNaN(v)) return 0;
        double t = v < 0 ? Math.ceil(v) : Math.floor(v);
        int bits = dtype.bits();
        if (dtype.isUInt()) {
            if (t <= 0) return 0;
            if (bits == 64) return t >= 0x1p64 ? -1L : (t >= 0x1p63 ? (long) (t - 0x1p63) ^ Long.MIN_VALUE : (long) t);
            return (long) Math.min(t, (double) ((1L << bits) - 1));
        }
        if (bits == 64) return (long) t;
        long max = (1L << (bits - 1)) - 1, min = -(1L << (bits - 1));
        return (long) Math.max(min, Math.min(max, t));
    }

    private static double unsignedToDouble(long x) {
        return x >= 0 ? x : ((x >>> 1) | (x & 1)) * 2.0;
    }
}
