package dev.tessera.target.cuda;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import dev.tessera.TesseraUserError;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * NVRTC, CUDA's in-process compiler, bound with the FFM API from whichever {@code libnvrtc} the
 * machine has: any version from CUDA 11.2 on (the first to return cubins), found by soname on the
 * loader's path or under the CUDA toolkit's {@code lib64}. Loaded once per JVM.
 */
final class Nvrtc {
    // Newest first: a machine with several toolkits compiles with the newest.
    private static final List<String> NAMES = List.of("libnvrtc.so", "libnvrtc.so.13", "libnvrtc.so.12", "libnvrtc.so.11.2");

    private final String version;
    private final NativeFunction createProgram, compileProgram, destroyProgram, getProgramLogSize,
            getProgramLog, getCubinSize, getCubin, getErrorString;

    private Nvrtc(SymbolLookup lib, String libraryName) {
        var status = FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS);
        createProgram = NativeFunction.bind(lib, libraryName,
                FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, ADDRESS, JAVA_INT, ADDRESS, ADDRESS), "nvrtcCreateProgram");
        compileProgram = NativeFunction.bind(lib, libraryName,
                FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, ADDRESS), "nvrtcCompileProgram");
        destroyProgram = NativeFunction.bind(lib, libraryName, FunctionDescriptor.of(JAVA_INT, ADDRESS), "nvrtcDestroyProgram");
        getProgramLogSize = NativeFunction.bind(lib, libraryName, status, "nvrtcGetProgramLogSize");
        getProgramLog = NativeFunction.bind(lib, libraryName, status, "nvrtcGetProgramLog");
        getCubinSize = NativeFunction.bind(lib, libraryName, status, "nvrtcGetCUBINSize");
        getCubin = NativeFunction.bind(lib, libraryName, status, "nvrtcGetCUBIN");
        getErrorString = NativeFunction.bind(lib, libraryName, FunctionDescriptor.of(ADDRESS, JAVA_INT), "nvrtcGetErrorString");
        var nvrtcVersion = NativeFunction.bind(lib, libraryName, status, "nvrtcVersion");
        try (var arena = Arena.ofConfined()) {
            MemorySegment major = arena.allocate(JAVA_INT), minor = arena.allocate(JAVA_INT);
            version = nvrtcVersion.call(major, minor) == 0
                    ? "nvrtc " + major.get(JAVA_INT, 0) + "." + minor.get(JAVA_INT, 0) : "nvrtc";
        }
    }

    private static final Nvrtc INSTANCE = load();

    private static Nvrtc load() {
        var dirs = new ArrayList<Path>();
        for (Path home : NativeFunction.cudaHomes()) {
            dirs.add(home.resolve("lib64"));
            dirs.add(home.resolve("targets/x86_64-linux/lib"));
        }
        var library = NativeFunction.open(NAMES, dirs);
        if (library.isEmpty()) return null;
        try {
            return new Nvrtc(library.get().lookup(), library.get().name());
        } catch (NativeFunction.MissingSymbol tooOld) {
            // NVRTC before 11.2 cannot return cubins; nvcc may still be there.
            return null;
        }
    }

    /** The loaded NVRTC, or null when this machine has none that can make cubins. */
    static Nvrtc instance() {
        return INSTANCE;
    }

    /** {@code "nvrtc 12.9"}: the library's own version. */
    String version() {
        return version;
    }

    /** Compiles {@code source} to a cubin for {@code arch} ({@code sm_90}); a compile error is a user error with the log. */
    CudaCompiler.Compiled compile(String source, String arch) {
        try (var arena = Arena.ofConfined()) {
            MemorySegment programOut = arena.allocate(ADDRESS);
            check("nvrtcCreateProgram", createProgram.call(programOut, arena.allocateFrom(source),
                    arena.allocateFrom("tessera_kernel.cu"), 0, MemorySegment.NULL, MemorySegment.NULL));
            MemorySegment program = programOut.get(ADDRESS, 0);
            try {
                List<String> options = List.of("--gpu-architecture=" + arch, "-default-device", "--std=c++17");
                MemorySegment optionArray = arena.allocate(ADDRESS, options.size());
                for (int i = 0; i < options.size(); i++) optionArray.setAtIndex(ADDRESS, i, arena.allocateFrom(options.get(i)));
                int compiled = compileProgram.call(program, options.size(), optionArray);
                String log = log(arena, program);
                if (compiled != 0)
                    throw new TesseraUserError("CUDA compilation for " + arch + " failed (" + version + ": "
                            + errorString(compiled) + "):\n" + log);
                MemorySegment size = arena.allocate(JAVA_LONG);
                check("nvrtcGetCUBINSize", getCubinSize.call(program, size));
                MemorySegment cubin = arena.allocate(size.get(JAVA_LONG, 0));
                check("nvrtcGetCUBIN", getCubin.call(program, cubin));
                return new CudaCompiler.Compiled(cubin.toArray(JAVA_BYTE), version, log);
            } finally {
                destroyProgram.call(programOut);
            }
        }
    }

    private String log(Arena arena, MemorySegment program) {
        MemorySegment size = arena.allocate(JAVA_LONG);
        check("nvrtcGetProgramLogSize", getProgramLogSize.call(program, size));
        // The size counts the terminating NUL; one byte more keeps an empty log a valid C string.
        MemorySegment text = arena.allocate(size.get(JAVA_LONG, 0) + 1);
        check("nvrtcGetProgramLog", getProgramLog.call(program, text));
        return text.getString(0).strip();
    }

    private String errorString(int status) {
        return NativeFunction.string((MemorySegment) getErrorString.invoke(status));
    }

    private void check(String function, int status) {
        if (status != 0) throw new IllegalStateException(function + " failed: " + errorString(status));
    }
}
