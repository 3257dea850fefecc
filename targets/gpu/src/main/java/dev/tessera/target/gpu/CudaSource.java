package dev.tessera.target.gpu;

import dev.tessera.ir.DType;
import dev.tessera.schedule.LoopKind;

/** The CUDA C dialect: {@code __global__} kernels, {@code __shared__} arrays, {@code __syncthreads()}. */
public final class CudaSource extends CSourceGenerator {
    @Override protected String preamble() { return ""; }
    @Override protected String helperQualifiers() { return "__device__ static inline"; }
    @Override protected String kernelQualifiers() { return "extern \"C\" __global__ void"; }
    @Override protected String globalPointer(String elementType) { return elementType + "* __restrict__"; }
    // 16-byte alignment lets the compiler merge four neighbouring float loads of a tile into one 128-bit load.
    @Override protected String sharedQualifier() { return "__shared__ __align__(16)"; }
    @Override protected String barrier() { return "__syncthreads();"; }
    @Override protected String int64Suffix() { return "LL"; }

    @Override protected String gpuIndex(LoopKind kind) {
        return "((long long)" + kind.threadTag() + ")";
    }

    @Override protected String typeName(DType t) {
        return switch (t.code()) {
            case FLOAT -> t.bits() == 64 ? "double" : "float";
            case INT -> switch (t.bits()) { case 8 -> "signed char"; case 16 -> "short"; case 32 -> "int"; default -> "long long"; };
            case UINT -> switch (t.bits()) { case 8 -> "unsigned char"; case 16 -> "unsigned short"; case 32 -> "unsigned int"; default -> "unsigned long long"; };
            case BOOL -> "bool";
            case BFLOAT -> throw new IllegalStateException("bf16 is checked before naming");
        };
    }

    @Override protected String mathFunction(String name, DType t) {
        // CUDA's float functions carry an f suffix (expf); the double ones do not.
        return t.bits() == 32 ? name + "f" : name;
    }

    @Override protected String floatToInt(DType to, String value) {
        // The conversion instructions (cvt.rzi) truncate, saturate and turn NaN into 0, as Tessera defines it.
        if (to.bits() >= 32) return "((" + typeName(to) + ")" + value + ")";
        // Narrow types: saturate through int first, then clamp to the type's range.
        long lo = to.isInt() ? -(1L << (to.bits() - 1)) : 0, hi = to.isInt() ? (1L << (to.bits() - 1)) - 1 : (1L << to.bits()) - 1;
        return "((" + typeName(to) + ")min(max((int)" + value + ", " + lo + "), " + hi + "))";
    }

    @Override protected String floatFromBits(DType t, long bits) {
        return t.bits() == 64 ? "__longlong_as_double(" + bits + "LL)" : "__int_as_float(" + (int) bits + ")";
    }
}
