package dev.tessera.lower.passes;

import dev.tessera.dsl.Te;
import dev.tessera.ir.Expr;
import dev.tessera.ir.Var;
import dev.tessera.lower.ir.IfThenElse;
import dev.tessera.lower.ir.LetStmt;
import dev.tessera.lower.ir.Stmt;
import dev.tessera.schedule.Schedule;
import dev.tessera.schedule.Step;
import java.util.Map;

/**
 * Gives the kernel a fast path per {@code specialize} step: {@code if (v % d == 0)} runs a copy of
 * the body in which {@code v} is written {@code v.div_d * d}, simplified, so splits by d lose their
 * guards; otherwise the general body runs. Requires bound regions (after {@link BoundsInference}).
 */
public final class Specialize {
    private Specialize() {}

    public static Stmt apply(Stmt body, Schedule schedule) {
        Map<String, Var> vars = schedule.shapeVars();
        for (Step.Specialize sp : schedule.specializations()) {
            Var v = vars.get(sp.shapeVar());
            Var quotient = Var.index(v.name() + ".div" + sp.divisor());
            Stmt fast = Substitute.exprs(body, Map.of(v, Te.mul(quotient, Te.c(sp.divisor()))));
            fast = Simplify.apply(new LetStmt(quotient, Te.div(v, Te.c(sp.divisor())), fast));
            Expr divisible = Te.eq(Te.mod(v, Te.c(sp.divisor())), Te.c(0));
            body = new IfThenElse(divisible, fast, body);
        }
        return body;
    }
}
