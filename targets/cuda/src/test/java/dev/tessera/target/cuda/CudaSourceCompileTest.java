package dev.tessera.target.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tessera.TesseraUserError;
import dev.tessera.ops.Operator;
import dev.tessera.ops.OperatorInstance;
import dev.tessera.ops.Operators;
import dev.tessera.schedule.RandomGpuSchedules;
import dev.tessera.schedule.Schedule;
import dev.tessera.target.HalfPrecisionCases;
import dev.tessera.target.Target;
import dev.tessera.target.VectorizedCases;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The generated CUDA C of every operator compiles for sm_80 and sm_90: under the default GPU
 * schedule and a random GPU schedule (shared-memory staging, registers, barriers, vectors), on a
 * symbolic leading dimension; so do user-defined f16 and bf16 operators and vectorized kernels of
 * every dtype. Compiled by NVRTC where it loads, else nvcc, else skipped with the reason.
 */
class CudaSourceCompileTest {
    static Stream<Arguments> operators() {
        return Operators.all().stream().map(op -> Arguments.of(op.name()));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("operators")
    void generatedSourceCompilesForSm80AndSm90(String name) {
        Optional<String> reason = CudaCompiler.unavailableReason();
        Assumptions.assumeTrue(reason.isEmpty(), () -> "no CUDA compiler: " + reason.orElse(""));
        Operator op = Operators.get(name);
        OperatorInstance inst = op.buildSymbolic(op.parseShape(op.testShapes().get(0)));
        List<Schedule> schedules = new ArrayList<>();
        Schedule byDefault = Schedule.create(inst.outputs());
        op.applyGpuSchedule(byDefault);
        schedules.add(byDefault);
        for (long seed = 0; schedules.size() < 2 && seed < 6; seed++) {
            Schedule s = RandomGpuSchedules.sample(inst.outputs(), seed);
            try {
                // Heavily unrolled samples give sources that ptxas takes minutes on; keep CI's compile time to seconds.
                if (new CudaBackend().source(s, name, CudaBackend.typical("sm_80")).length() < 200_000) schedules.add(s);
            } catch (TesseraUserError e) {
                // a sample lowering rejects (a shared tile of symbolic size, a reader outside the loop): try the next
            }
        }
        assertEquals(2, schedules.size(), name + ": no random GPU schedule of a compact source in 6 samples");
        for (String arch : List.of("sm_80", "sm_90")) {
            Target t = CudaBackend.typical(arch);
            // One translation unit per architecture, both schedules in it: their kernels are named apart.
            StringBuilder source = new StringBuilder();
            for (int i = 0; i < schedules.size(); i++) {
                String src = new CudaBackend().source(schedules.get(i), name + "_s" + i, t);
                source.append(i == 0 ? src : src.substring(src.indexOf("extern \"C\"")));
            }
            CudaCompiler.Compiled c = CudaCompiler.compile(source.toString(), arch);
            byte[] elf = c.cubin();
            assertTrue(elf.length > 4 && elf[0] == 0x7f && elf[1] == 'E' && elf[2] == 'L' && elf[3] == 'F',
                    name + " for " + arch + ": not a cubin (" + c.compiler() + ")");
        }
    }

    @Test
    void halfPrecisionOperatorsAndVectorizedKernelsCompileForSm80() {
        Optional<String> reason = CudaCompiler.unavailableReason();
        Assumptions.assumeTrue(reason.isEmpty(), () -> "no CUDA compiler: " + reason.orElse(""));
        Target t = CudaBackend.typical("sm_80");
        List<String> sources = new ArrayList<>();
        for (VectorizedCases.Case c : VectorizedCases.all()) sources.add(new CudaBackend().source(c.schedule(), c.name(), t));
        sources.add(new dev.tessera.target.gpu.CudaSource().generate(VectorizedCases.vectorLets()));
        for (HalfPrecisionCases.Case c : HalfPrecisionCases.all()) {
            int added = 0;
            for (long seed = 0; added < 2 && seed < 10; seed++) {
                try {
                    String src = new CudaBackend().source(RandomGpuSchedules.sample(c.outputs(), seed), c.name() + "_s" + seed, t);
                    if (src.length() < 60_000) { sources.add(src); added++; }
                } catch (TesseraUserError e) {
                    // a sample lowering rejects: try the next
                }
            }
            assertEquals(2, added, c.name() + ": no two random GPU schedules of a compact source in 10 samples");
        }
        // One translation unit, each source in its own namespace (they define the same helpers).
        StringBuilder unit = new StringBuilder();
        for (int i = 0; i < sources.size(); i++) unit.append("namespace source").append(i).append(" {\n").append(sources.get(i)).append("}\n");
        CudaCompiler.Compiled c = CudaCompiler.compile(unit.toString(), "sm_80");
        byte[] elf = c.cubin();
        assertTrue(elf.length > 4 && elf[0] == 0x7f && elf[1] == 'E' && elf[2] == 'L' && elf[3] == 'F', "not a cubin (" + c.compiler() + ")");
    }
}
