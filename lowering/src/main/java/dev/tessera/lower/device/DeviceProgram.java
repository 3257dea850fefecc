package dev.tessera.lower.device;

import dev.tessera.lower.ir.LoweredFunc;
import java.util.ArrayList;
import java.util.List;

/**
 * A lowered function split for a GPU: the function's signature (its buffers and shape parameters,
 * as the caller passes them), the host steps that launch the kernels, and the kernels in launch
 * order.
 */
public record DeviceProgram(LoweredFunc func, HostStep host, List<GpuKernel> kernels) {
    public DeviceProgram {
        kernels = List.copyOf(kernels);
    }

    /** The kernels that {@code step} launches, in order. */
    public static List<GpuKernel> kernelsOf(HostStep step) {
        List<GpuKernel> out = new ArrayList<>();
        collect(step, out);
        return out;
    }

    private static void collect(HostStep s, List<GpuKernel> out) {
        switch (s) {
            case HostStep.Launch l -> out.add(l.kernel());
            case HostStep.Sequence q -> q.steps().forEach(x -> collect(x, out));
            case HostStep.Let l -> collect(l.body(), out);
            case HostStep.If i -> { collect(i.then(), out); if (i.otherwise() != null) collect(i.otherwise(), out); }
            case HostStep.Allocate a -> collect(a.body(), out);
        }
    }
}
