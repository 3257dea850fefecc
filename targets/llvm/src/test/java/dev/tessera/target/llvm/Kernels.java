package dev.tessera.target.llvm;

import dev.tessera.dsl.Te;
import dev.tessera.dsl.Tensor;
import dev.tessera.ir.Binary;
import dev.tessera.ir.Broadcast;
import dev.tessera.ir.BufferRef;
import dev.tessera.ir.DType;
import dev.tessera.ir.Expr;
import dev.tessera.ir.IntImm;
import dev.tessera.ir.Load;
import dev.tessera.ir.Ramp;
import dev.tessera.ir.Var;
import dev.tessera.lower.ir.For;
import dev.tessera.lower.ir.LoweredFunc;
import dev.tessera.lower.ir.LoweredFunc.BufferParam;
import dev.tessera.lower.ir.Stmt;
import dev.tessera.lower.ir.Store;
import dev.tessera.schedule.LoopKind;
import dev.tessera.target.Target;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

/** Hand-built LoweredFuncs for the backend tests. */
final class Kernels {
    private Kernels() {}

    static final LlvmBackend BACKEND = new LlvmBackend();
    static final Target HOST = Target.host();

    static BufferParam param(String name, DType t, boolean output, Expr... shape) {
        Tensor tensor = Te.placeholder(name, t, shape);
        return new BufferParam(new BufferRef(name, t), tensor, tensor.shape(), output);
    }

    static IntImm c(long v) { return IntImm.i64(v); }

    static Expr bin(Binary.Op op, Expr a, Expr b) { return new Binary(op, a, b); }

    static For loop(Var v, Expr min, Expr extent, LoopKind kind, Stmt body) { return new For(v, min, extent, kind, body); }

    static Ramp ramp(Expr base, int lanes) { return new Ramp(base, c(1), lanes); }

    static Broadcast bcast(Expr e, int lanes) { return new Broadcast(e, lanes); }

    static LlvmKernel compile(LoweredFunc f) { return BACKEND.compile(f, HOST); }

    /**
     * {@code out[i] = body(in0[i], in1[i], ...)} over a symbolic length n, {@code lanes} elements per
     * iteration (a vector body with dense ramps when lanes > 1; n must then be a multiple of lanes).
     */
    static LoweredFunc elementwise(String name, List<DType> ins, DType out, int lanes, Function<List<Expr>, Expr> body) {
        Var n = Var.index("n");
        List<BufferParam> params = new ArrayList<>();
        for (int k = 0; k < ins.size(); k++) params.add(param("in" + k, ins.get(k), false, n));
        BufferParam o = param("out", out, true, n);
        params.add(o);
        Var i = Var.index("i");
        Expr index = lanes == 1 ? i : ramp(bin(Binary.Op.MUL, i, c(lanes)), lanes);
        List<Expr> loads = new ArrayList<>();
        for (int k = 0; k < ins.size(); k++) loads.add(new Load(params.get(k).buffer(), index));
        Expr extent = lanes == 1 ? n : bin(Binary.Op.DIV, n, c(lanes));
        Stmt s = loop(i, c(0), extent, LoopKind.SERIAL, new Store(o.buffer(), index, body.apply(loads)));
        return new LoweredFunc(name, params, List.of(n), s);
    }
}
