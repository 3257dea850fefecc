package dev.tessera.target;

import dev.tessera.dsl.Te;
import dev.tessera.dsl.Tensor;
import dev.tessera.ir.Axis;
import dev.tessera.ir.DType;
import dev.tessera.ir.Expr;
import dev.tessera.ir.Var;
import java.util.ArrayList;
import java.util.List;

/**
 * Operators a user writes in f16 and bf16 (no built-in operator takes them): an elementwise mix of
 * arithmetic, math, casts and selects; a row sum accumulated in f32 through a cast; a matmul
 * accumulated in the 16-bit type itself. Each has a symbolic leading dimension {@code rows}. The
 * backends' tests compile them under random schedules and compare with the reference interpreter
 * ({@link ReferenceCheck}).
 */
public final class HalfPrecisionCases {
    private HalfPrecisionCases() {}

    /**
     * One user-defined operator: its name, inputs and outputs, and how many times the dtype's
     * tolerance ({@link ReferenceCheck#tolerance}) its results may differ by under any schedule.
     */
    public record Case(String name, List<Tensor> inputs, List<Tensor> outputs, double toleranceScale) {
        @Override public String toString() { return name; }
    }

    /** Every case in f16 and in bf16. */
    public static List<Case> all() {
        List<Case> out = new ArrayList<>();
        for (DType t : new DType[] {DType.F16, DType.BF16}) {
            out.add(elementwise(t));
            out.add(rowSumInF32(t));
            out.add(matmul(t));
        }
        return out;
    }

    /** Arithmetic (each operation rounded), floor modulo, math functions, a round trip through the other 16-bit type and through i32. */
    public static Case elementwise(DType t) {
        Var rows = Te.shapeVar("rows");
        DType other = t.equals(DType.F16) ? DType.BF16 : DType.F16;
        Tensor x = Te.placeholder("x", t, rows, Te.c(37));
        Tensor y = Te.placeholder("y", t, rows, Te.c(37));
        Tensor out = Te.compute("ew_" + t, List.of(rows, Te.c(37)), List.of("i", "j"), v -> {
            Expr a = x.at(v.get(0), v.get(1)), b = y.at(v.get(0), v.get(1));
            Expr poly = a.add(b).mul(a).sub(b.div(3)).add(a.mod(b.add(2)));
            Expr math = Te.max(a, b).mul(0.5).add(Te.tanh(a)).add(Te.sigmoid(b)).sub(Te.sqrt(Te.abs(a)));
            Expr casts = Te.cast(t, Te.cast(other, a.mul(b))).add(Te.cast(t, Te.cast(DType.I32, a.mul(10))));
            return Te.select(a.gt(b), poly, math).add(casts);
        });
        return new Case("elementwise_" + t, List.of(x, y), List.of(out), 1);
    }

    /** {@code out[i] = t(0.5 * sum_k f32(x[i, k]))}: a 16-bit input summed in f32. */
    public static Case rowSumInF32(DType t) {
        Var rows = Te.shapeVar("rows");
        Tensor x = Te.placeholder("x", t, rows, Te.c(45));
        Axis k = Te.reduceAxis("k", 45);
        Tensor sum = Te.compute("sum_f32", List.of(rows), List.of("i"), v -> Te.sum(Te.cast(DType.F32, x.at(v.get(0), k.var())), k));
        Tensor out = Te.compute("row_sum_" + t, List.of(rows), List.of("i"), v -> Te.cast(t, sum.at(v.get(0)).mul(0.5)));
        return new Case("row_sum_f32_" + t, List.of(x), List.of(out), 1);
    }

    /** {@code C = A B} with every product and partial sum rounded to the 16-bit type, in an order the schedule picks. */
    public static Case matmul(DType t) {
        Var rows = Te.shapeVar("rows");
        Tensor a = Te.placeholder("A", t, rows, Te.c(24));
        Tensor b = Te.placeholder("B", t, Te.c(24), Te.c(19));
        Axis k = Te.reduceAxis("k", 24);
        Tensor c = Te.compute("mm_" + t, List.of(rows, Te.c(19)), List.of("i", "j"),
                v -> Te.sum(a.at(v.get(0), k.var()).mul(b.at(k.var(), v.get(1))), k));
        // Each partial sum is rounded to 16 bits, so the result depends on the order of the additions, which
        // schedules change (a sum shared by threads adds in a tree): allow half of K's 24 roundings.
        return new Case("matmul_" + t, List.of(a, b), List.of(c), 12);
    }
}
