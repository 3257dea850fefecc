package dev.tessera.target.opencl;

import dev.tessera.TesseraUserError;
import dev.tessera.target.gpu.DeviceRuntime;
import java.util.concurrent.atomic.AtomicBoolean;
import org.jocl.CL;
import org.jocl.cl_mem;

/**
 * One {@code cl_mem} of the runtime that allocated it. Closing twice is harmless; a closed buffer
 * refuses to hand out its handle, so it never reaches the driver after release.
 */
final class OpenClBuffer implements DeviceRuntime.DeviceBuffer {
    final OpenClRuntime owner;
    private final cl_mem mem;
    private final long bytes;
    private final AtomicBoolean closed = new AtomicBoolean();

    OpenClBuffer(OpenClRuntime owner, cl_mem mem, long bytes) {
        this.owner = owner;
        this.mem = mem;
        this.bytes = bytes;
    }

    @Override public long bytes() { return bytes; }

    /** The handle for a launch or copy; {@code use} says which, for the error. */
    cl_mem mem(String use) {
        if (closed.get())
            throw new TesseraUserError("a closed OpenCL buffer (" + bytes + " bytes) was passed to " + use
                    + "; keep the buffer open until the work that uses it has been enqueued");
        return mem;
    }

    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) return;
        owner.forget(this);
        // Commands already enqueued keep the memory alive: OpenCL frees it once they have finished.
        ClCalls.run("clReleaseMemObject", () -> CL.clReleaseMemObject(mem));
    }
}
