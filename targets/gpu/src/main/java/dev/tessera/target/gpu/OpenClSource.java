package dev.tessera.target.gpu;

import dev.tessera.ir.DType;
import dev.tessera.lower.device.MemoryScope;
import dev.tessera.schedule.LoopKind;
import java.util.List;

/**
 * The OpenCL C dialect: {@code __kernel} functions, {@code __global} pointers, {@code __local} arrays,
 * {@code barrier}. Half-precision conversions are the core {@code vload_half}/{@code vstore_half_rte}
 * (no {@code cl_khr_fp16} needed); vector accesses are {@code vloadn}/{@code vstoren} of 2, 3, 4, 8
 * or 16 lanes, which need only the element's alignment, in any memory.
 */
public final class OpenClSource extends CSourceGenerator {
    @Override protected String preamble() {
        return "#ifdef cl_khr_fp64\n#pragma OPENCL EXTENSION cl_khr_fp64 : enable\n#endif\n";
    }

    @Override protected String helperQualifiers() { return "inline"; }
    @Override protected String kernelQualifiers() { return "__kernel void"; }
    @Override protected String globalPointer(String elementType) { return "__global " + elementType + "* restrict"; }
    @Override protected String sharedQualifier() { return "__local"; }
    @Override protected String barrier() { return "barrier(CLK_LOCAL_MEM_FENCE);"; }
    @Override protected String int64Suffix() { return "L"; }

    @Override protected String gpuIndex(LoopKind kind) {
        int d = kind.gpuDimension();
        return "((long)" + (kind.isGpuBlock() ? "get_group_id(" : "get_local_id(") + d + "))";
    }

    @Override protected String typeName(DType t) {
        return switch (t.code()) {
            case FLOAT -> switch (t.bits()) {
                case 64 -> "double";
                case 32 -> "float";
                default -> throw new IllegalStateException("f16 is computed as float and stored as ushort");
            };
            case INT -> switch (t.bits()) { case 8 -> "char"; case 16 -> "short"; case 32 -> "int"; default -> "long"; };
            case UINT -> switch (t.bits()) { case 8 -> "uchar"; case 16 -> "ushort"; case 32 -> "uint"; default -> "ulong"; };
            case BOOL -> "bool";
            case BFLOAT -> throw new IllegalStateException("bf16 is computed as float and stored as ushort");
        };
    }

    @Override protected String mathFunction(String name, DType t) { return name; }

    @Override protected String floatToInt(DType to, String value) {
        return "convert_" + typeName(to) + "_sat_rtz(" + value + ")";
    }

    @Override protected String floatFromBits(DType t, long bits) {
        return t.bits() == 64 ? "as_double(" + bits + "L)" : "as_float(" + (int) bits + ")";
    }

    @Override protected String halfToFloatBody() { return "return vload_half(0, (const half*)&h);"; }
    @Override protected String floatToHalfBody() { return "ushort h; vstore_half_rte(f, 0, (half*)&h); return h;"; }
    @Override protected String floatBits(String value) { return "as_uint(" + value + ")"; }
    @Override protected String bitsToFloat(String bits) { return "as_float(" + bits + ")"; }

    @Override protected int vectorAccessLanes(DType storage, int lanes, long alignment, MemoryScope scope) {
        if (lanes == 2 || lanes == 3 || lanes == 4 || lanes == 8 || lanes == 16) return lanes;
        int width = Math.min(Integer.lowestOneBit(lanes), 16);
        return width >= 2 ? width : 1;
    }

    @Override protected String vectorType(DType storage, int lanes) { return typeName(storage) + lanes; }

    @Override protected String vectorLoad(DType storage, int lanes, String address) {
        return "vload" + lanes + "(0, " + address + ")";
    }

    @Override protected String vectorStore(DType storage, String address, List<String> values) {
        int n = values.size();
        return "vstore" + n + "((" + vectorType(storage, n) + ")(" + String.join(", ", values) + "), 0, " + address + ");";
    }

    @Override protected String vectorLane(String vector, int lane) {
        return vector + ".s" + Integer.toHexString(lane);
    }
}
