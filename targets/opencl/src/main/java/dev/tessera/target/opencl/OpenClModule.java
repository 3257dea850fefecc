package dev.tessera.target.opencl;

import dev.tessera.TesseraUserError;
import dev.tessera.target.gpu.DeviceRuntime;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import org.jocl.CL;
import org.jocl.cl_kernel;
import org.jocl.cl_program;

/**
 * A built {@code cl_program} with the kernels that were named when it was built. Closing it
 * releases the kernels, then the program; closing twice is harmless.
 */
final class OpenClModule implements DeviceRuntime.DeviceModule {
    /**
     * One kernel with what a launch checks: its parameter count and the largest work-group this
     * kernel can run with on the device ({@code CL_KERNEL_WORK_GROUP_SIZE}, at most the device's).
     */
    record Kernel(String name, cl_kernel handle, List<Param> params, long maxWorkGroupSize) {}

    /** Where a kernel parameter lives, which decides the argument it takes. */
    enum Space { GLOBAL, CONSTANT, LOCAL, PRIVATE, UNKNOWN }

    /**
     * One kernel parameter as the compiler reports it ({@code -cl-kernel-arg-info}); a launch checks
     * its arguments against these, because a value where the driver expects a {@code cl_mem}
     * crashes some drivers (PoCL aborts) instead of returning an error.
     */
    record Param(Space space, String typeName) {
        boolean takesBuffer() { return space == Space.GLOBAL || space == Space.CONSTANT || space == Space.UNKNOWN; }

        boolean takesValue() { return space == Space.PRIVATE || space == Space.UNKNOWN; }

        @Override public String toString() {
            return space == Space.UNKNOWN ? "unknown" : "__" + space.name().toLowerCase(java.util.Locale.ROOT) + " " + typeName;
        }
    }

    final OpenClRuntime owner;
    private final cl_program program;
    private final Map<String, Kernel> kernels;
    private final AtomicBoolean closed = new AtomicBoolean();

    OpenClModule(OpenClRuntime owner, cl_program program, Map<String, Kernel> kernels) {
        this.owner = owner;
        this.program = program;
        this.kernels = Map.copyOf(kernels);
    }

    Kernel kernel(String name) {
        if (closed.get()) throw new TesseraUserError("OpenCL module was closed; cannot launch kernel '" + name + "'");
        Kernel k = kernels.get(name);
        if (k == null)
            throw new TesseraUserError("kernel '" + name + "' was not built in this module; it has "
                    + List.copyOf(new java.util.TreeSet<>(kernels.keySet())));
        return k;
    }

    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) return;
        owner.forget(this);
        release(program, kernels.values());
    }

    /** Releases kernels, then their program (also used when a build fails half-way). */
    static void release(cl_program program, Iterable<Kernel> kernels) {
        for (Kernel k : kernels) ClCalls.run("clReleaseKernel", () -> CL.clReleaseKernel(k.handle()));
        ClCalls.run("clReleaseProgram", () -> CL.clReleaseProgram(program));
    }
}
