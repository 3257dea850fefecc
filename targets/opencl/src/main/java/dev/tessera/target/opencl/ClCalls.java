package dev.tessera.target.opencl;

import dev.tessera.TesseraUserError;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.function.Function;
import java.util.function.IntSupplier;
import org.jocl.CL;
import org.jocl.CLException;
import org.jocl.Pointer;
import org.jocl.Sizeof;

/**
 * Checked OpenCL calls: a failing status becomes a {@link TesseraUserError} that names the call and
 * the status, and the variable-size {@code clGet*Info} queries are read in one place.
 */
final class ClCalls {
    private ClCalls() {}

    /** One {@code clGet*Info} function with its object and parameter bound. */
    @FunctionalInterface
    interface InfoQuery {
        int get(long size, Pointer value, long[] sizeRet);
    }

    static TesseraUserError failure(String call, int status) {
        return new TesseraUserError("OpenCL " + call + " failed: " + CL.stringFor_errorCode(status) + " (" + status + ")");
    }

    /** Runs a call that returns its status. */
    static void run(String call, IntSupplier c) {
        int status;
        try {
            status = c.getAsInt();
        } catch (CLException e) {
            // JOCL throws instead of returning when some code called CL.setExceptionsEnabled(true);
            // the flag is global, so both ways of failing are handled here.
            status = e.getStatus();
        }
        if (status != CL.CL_SUCCESS) throw failure(call, status);
    }

    /** Runs a {@code clCreate*} call that reports its status through {@code errcode_ret}. */
    static <T> T create(String call, Function<int[], T> c) {
        int[] status = {CL.CL_SUCCESS};
        T result;
        try {
            result = c.apply(status);
        } catch (CLException e) {
            throw failure(call, e.getStatus());
        }
        if (status[0] != CL.CL_SUCCESS) throw failure(call, status[0]);
        return result;
    }

    /** The raw value of an info query in native byte order (sized by asking first). */
    static ByteBuffer info(String call, InfoQuery q) {
        long[] size = new long[1];
        run(call, () -> q.get(0, null, size));
        ByteBuffer value = ByteBuffer.allocateDirect((int) Math.max(1, size[0])).order(ByteOrder.nativeOrder());
        run(call, () -> q.get(size[0], Pointer.to(value), null));
        return value.limit((int) size[0]);
    }

    /** A NUL-terminated string value. */
    static String string(ByteBuffer value) {
        byte[] bytes = new byte[value.remaining()];
        value.get(0, bytes);
        int n = 0;
        while (n < bytes.length && bytes[n] != 0) n++;
        return new String(bytes, 0, n, StandardCharsets.UTF_8).strip();
    }

    /** The {@code index}th {@code size_t} of a value (its width differs between 32- and 64-bit hosts). */
    static long sizeT(ByteBuffer value, int index) {
        return Sizeof.size_t == 8 ? value.getLong(index * 8) : Integer.toUnsignedLong(value.getInt(index * 4));
    }

    static int sizeTCount(ByteBuffer value) {
        return value.limit() / Sizeof.size_t;
    }

    /** A {@code cl_uint} value. */
    static long uint(ByteBuffer value) {
        return Integer.toUnsignedLong(value.getInt(0));
    }
}
