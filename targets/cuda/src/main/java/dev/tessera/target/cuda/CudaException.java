package dev.tessera.target.cuda;

/**
 * A CUDA driver call that failed for a reason the user's program did not cause: a kernel that
 * faulted (reported by the next synchronizing call), a lost device, a driver/toolkit mismatch.
 * The message names the driver function and the error as the driver names and explains it.
 */
public final class CudaException extends RuntimeException {
    private final int status;

    CudaException(String function, int status, String description) {
        super(function + " failed: " + description);
        this.status = status;
    }

    /** The driver's CUresult code. */
    public int status() { return status; }
}
