package dev.tessera.ops;

import dev.tessera.dsl.Te;
import dev.tessera.dsl.Tensor;
import dev.tessera.ir.DType;
import dev.tessera.ir.Expr;
import dev.tessera.schedule.Schedule;
import dev.tessera.schedule.Stage;
import java.util.List;

/** Elementwise addition with a broadcast row: {@code add[i, j] = A[i, j] + B[j]}, f32. */
public final class AddOp implements Operator {
    @Override public String name() { return "add"; }
    @Override public String shapeHelp() { return "M,N"; }
    @Override public List<String> defaultShapes() { return List.of("1024,1024", "4096,1024"); }
    @Override public List<String> testShapes() { return List.of("9,21", "4,33"); }

    @Override public OperatorInstance define(long[] s, boolean symbolic) {
        Expr m = ShapeArgs.leading("M", s[0], symbolic), n = Te.c(s[1]);
        Tensor a = Te.placeholder("A", DType.F32, m, n);
        Tensor b = Te.placeholder("B", DType.F32, n);
        Tensor c = Te.compute("add", List.of(m, n), List.of("i", "j"), v -> a.at(v.get(0), v.get(1)).add(b.at(v.get(1))));
        return new OperatorInstance(List.of(a, b), List.of(c), symbolic ? ShapeArgs.symbolicArgs(s) : s);
    }

    @Override public void applyDefaultSchedule(Schedule s) {
        Stage add = s.stage("add");
        Stage.Parts j = add.split("j", 16);
        add.vectorize(j.inner());
        add.parallel("i");
    }

    @Override public double flops(long[] a) { return (double) a[0] * a[1]; }
    @Override public double bytes(long[] a) { return 4.0 * (2.0 * a[0] * a[1] + a[1]); }
}
