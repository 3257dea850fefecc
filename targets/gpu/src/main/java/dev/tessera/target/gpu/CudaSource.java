package dev.tessera.target.gpu;

import dev.tessera.ir.DType;
import dev.tessera.lower.device.MemoryScope;
import dev.tessera.schedule.LoopKind;
import java.util.List;

/**
 * The CUDA C dialect: {@code __global__} kernels, {@code __shared__} arrays, {@code __syncthreads()}.
 * Half-precision conversions are the {@code cvt} instructions as inline PTX, so the source includes
 * no header and compiles alike under nvcc and NVRTC. Vector accesses are the built-in vector types
 * of up to 16 bytes ({@code float4}, {@code double2}, {@code uchar4}, ...), which must be aligned to
 * their size: only global buffers (allocations are aligned) at an index known to be a multiple of
 * the vector's lanes.
 */
public final class CudaSource extends CSourceGenerator {
    @Override protected String preamble() { return ""; }
    @Override protected String helperQualifiers() { return "__device__ static inline"; }
    @Override protected String kernelQualifiers() { return "extern \"C\" __global__ void"; }
    @Override protected String globalPointer(String elementType) { return elementType + "* __restrict__"; }
    // 16-byte alignment lets the compiler merge four neighbouring float loads of a tile into one 128-bit load.
    @Override protected String sharedQualifier() { return "__shared__ __align__(16)"; }
    @Override protected String barrier() { return "__syncthreads();"; }
    @Override protected String int64Suffix() { return "LL"; }
    @Override protected int warpSize() { return 32; }

    @Override protected String shuffleXor(String value, int laneMask, int width) {
        // Every lane of the warp takes part: the reduction runs where the whole block arrives.
        return "__shfl_xor_sync(0xffffffffu, " + value + ", " + laneMask + ", " + width + ")";
    }

    @Override protected String gpuIndex(LoopKind kind) {
        return "((long long)" + kind.threadTag() + ")";
    }

    @Override protected String typeName(DType t) {
        return switch (t.code()) {
            case FLOAT -> switch (t.bits()) {
                case 64 -> "double";
                case 32 -> "float";
                default -> throw new IllegalStateException("f16 is computed as float and stored as unsigned short");
            };
            case INT -> switch (t.bits()) { case 8 -> "signed char"; case 16 -> "short"; case 32 -> "int"; default -> "long long"; };
            case UINT -> switch (t.bits()) { case 8 -> "unsigned char"; case 16 -> "unsigned short"; case 32 -> "unsigned int"; default -> "unsigned long long"; };
            case BOOL -> "bool";
            case BFLOAT -> throw new IllegalStateException("bf16 is computed as float and stored as unsigned short");
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

    @Override protected String halfToFloatBody() {
        return "float f; asm(\"cvt.f32.f16 %0, %1;\" : \"=f\"(f) : \"h\"(h)); return f;";
    }

    @Override protected String floatToHalfBody() {
        return "unsigned short h; asm(\"cvt.rn.f16.f32 %0, %1;\" : \"=h\"(h) : \"f\"(f)); return h;";
    }

    @Override protected String floatBits(String value) { return "__float_as_uint(" + value + ")"; }
    @Override protected String bitsToFloat(String bits) { return "__uint_as_float(" + bits + ")"; }

    @Override protected int vectorAccessLanes(DType storage, int lanes, long alignment, MemoryScope scope) {
        // Shared and local arrays are aligned to their element only.
        if (scope != MemoryScope.GLOBAL) return 1;
        long width = Math.min(Math.min(Integer.lowestOneBit(lanes), 4), Math.min(16 / storage.bytes(), alignment));
        return width >= 2 ? (int) width : 1;
    }

    @Override protected String vectorType(DType storage, int lanes) {
        String scalar = switch (storage.code()) {
            case FLOAT -> storage.bits() == 64 ? "double" : "float";
            case INT -> switch (storage.bits()) { case 8 -> "char"; case 16 -> "short"; case 32 -> "int"; default -> "longlong"; };
            case UINT -> switch (storage.bits()) { case 8 -> "uchar"; case 16 -> "ushort"; case 32 -> "uint"; default -> "ulonglong"; };
            case BOOL, BFLOAT -> throw new IllegalStateException(storage + " is not a storage type");
        };
        return scalar + lanes;
    }

    @Override protected String vectorLoad(DType storage, int lanes, String address) {
        return "*(const " + vectorType(storage, lanes) + "*)(" + address + ")";
    }

    @Override protected String vectorStore(DType storage, String address, List<String> values) {
        String type = vectorType(storage, values.size());
        return "*(" + type + "*)(" + address + ") = make_" + type + "(" + String.join(", ", values) + ");";
    }

    @Override protected String vectorLane(String vector, int lane) {
        return vector + "." + "xyzw".charAt(lane);
    }
}
