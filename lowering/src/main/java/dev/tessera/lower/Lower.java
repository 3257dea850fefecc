package dev.tessera.lower;

import dev.tessera.lower.ir.LoweredFunc;
import dev.tessera.lower.ir.Stmt;
import dev.tessera.lower.passes.BoundsInference;
import dev.tessera.lower.passes.PartitionLoops;
import dev.tessera.lower.passes.ScheduleToLoops;
import dev.tessera.lower.passes.InjectPrefetches;
import dev.tessera.lower.passes.Simplify;
import dev.tessera.lower.passes.Specialize;
import dev.tessera.lower.passes.StorageFlattening;
import dev.tessera.lower.passes.UnrollLoops;
import dev.tessera.lower.passes.VectorizeLoops;
import dev.tessera.schedule.Schedule;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BiConsumer;

/** The lowering pipeline, schedule to flattened kernel IR, as a flat list of passes. */
public final class Lower {
    private Lower() {}

    /** The IR after one pass, for {@code tessera lower --dump-passes} and for tests. */
    public record Dump(String pass, Stmt body) {}

    public static LoweredFunc lower(Schedule schedule, String name) {
        return lower(schedule, name, (pass, body) -> {});
    }

    public static List<Dump> lowerWithDumps(Schedule schedule, String name) {
        List<Dump> dumps = new ArrayList<>();
        lower(schedule, name, (pass, body) -> dumps.add(new Dump(pass, body)));
        return dumps;
    }

    public static LoweredFunc lower(Schedule schedule, String name, BiConsumer<String, Stmt> dump) {
        ScheduleToLoops.Result loops = ScheduleToLoops.apply(schedule);
        Stmt s = loops.body();
        dump.accept("schedule_to_loops", s);
        s = BoundsInference.apply(s, schedule, loops.regions());
        dump.accept("bounds_inference", s);
        s = Simplify.apply(s);
        dump.accept("simplify", s);
        if (!schedule.specializations().isEmpty()) {
            s = Specialize.apply(s, schedule);
            dump.accept("specialize", s);
        }
        LoweredFunc f = StorageFlattening.apply(s, schedule, name);
        s = f.body();
        dump.accept("storage_flattening", s);
        s = Simplify.apply(s);
        s = InjectPrefetches.apply(s, schedule);
        s = PartitionLoops.apply(s);
        dump.accept("partition_loops", s);
        s = UnrollLoops.apply(s);
        dump.accept("unroll_loops", s);
        s = VectorizeLoops.apply(s);
        dump.accept("vectorize_loops", s);
        s = Simplify.apply(s);
        dump.accept("final", s);
        return new LoweredFunc(f.name(), f.buffers(), f.shapeParams(), s);
    }
}
