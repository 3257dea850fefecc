package dev.tessera.target.gpu;

import dev.tessera.ir.DType;
import dev.tessera.schedule.LoopKind;

/** The OpenCL C dialect: {@code __kernel} functions, {@code __global} pointers, {@code __local} arrays, {@code barrier}. */
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
            case FLOAT -> t.bits() == 64 ? "double" : "float";
            case INT -> switch (t.bits()) { case 8 -> "char"; case 16 -> "short"; case 32 -> "int"; default -> "long"; };
            case UINT -> switch (t.bits()) { case 8 -> "uchar"; case 16 -> "ushort"; case 32 -> "uint"; default -> "ulong"; };
            case BOOL -> "bool";
            case BFLOAT -> throw new IllegalStateException("bf16 is checked before naming");
        };
    }

    @Override protected String mathFunction(String name, DType t) { return name; }

    @Override protected String floatToInt(DType to, String value) {
        return "convert_" + typeName(to) + "_sat_rtz(" + value + ")";
    }

    @Override protected String floatFromBits(DType t, long bits) {
        return t.bits() == 64 ? "as_double(" + bits + "L)" : "as_float(" + (int) bits + ")";
    }
}
