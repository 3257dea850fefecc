package dev.tessera.target.cuda;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * One C function bound through the JDK's foreign linker, kept with its symbol name so a failed
 * call can say which function failed. Also the two lookups the CUDA bindings share: opening the
 * first loadable library among candidates, and binding the first symbol a library exports.
 */
record NativeFunction(String name, MethodHandle handle) {

    /**
     * Calls the function. Arguments must already have the exact boxed types of the descriptor
     * ({@code Integer} for {@code JAVA_INT}, {@code Long} for {@code JAVA_LONG}, segments for
     * addresses): the handle converts by unboxing only.
     */
    Object invoke(Object... args) {
        try {
            return handle.invokeWithArguments(args);
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(name + " threw " + t, t);
        }
    }

    /** Calls a function that returns a C {@code int} status (CUresult, nvrtcResult). */
    int call(Object... args) {
        return (int) invoke(args);
    }

    /**
     * Binds the first of {@code symbols} that {@code library} exports. Several names let one
     * binding accept both a versioned symbol ({@code cuEventElapsedTime_v2}) and the older one
     * that drivers from before the versioned name still export.
     */
    static NativeFunction bind(SymbolLookup library, String libraryName, FunctionDescriptor type, String... symbols) {
        for (String symbol : symbols) {
            Optional<MemorySegment> address = library.find(symbol);
            if (address.isPresent())
                return new NativeFunction(symbol, Linker.nativeLinker().downcallHandle(address.get(), type));
        }
        throw new MissingSymbol(libraryName + " does not export " + String.join(" or ", symbols)
                + " (the library is older than this binding needs)");
    }

    /** A library opened by {@link #open}, with the name or path that worked. */
    record Library(SymbolLookup lookup, String name) {}

    /**
     * Opens the first loadable library: each of {@code names} through the dynamic loader's own
     * search ({@code LD_LIBRARY_PATH}, the ldconfig cache), then in each of {@code directories}.
     * Loading only maps the library, so a missing or broken one is an empty result, never a crash.
     * Libraries stay loaded for the life of the JVM, as the dynamic loader would keep them anyway.
     */
    static Optional<Library> open(List<String> names, List<Path> directories) {
        for (String name : names) {
            try {
                return Optional.of(new Library(SymbolLookup.libraryLookup(name, Arena.global()), name));
            } catch (IllegalArgumentException notFound) {
                // Not on the loader's search path; try the explicit directories below.
            }
        }
        for (Path dir : directories) {
            for (String name : names) {
                Path file = dir.resolve(name);
                if (!Files.isRegularFile(file)) continue;
                try {
                    return Optional.of(new Library(SymbolLookup.libraryLookup(file, Arena.global()), file.toString()));
                } catch (IllegalArgumentException unloadable) {
                    // Present but not loadable (wrong architecture, missing dependency): keep looking.
                }
            }
        }
        return Optional.empty();
    }

    /** The CUDA toolkit directories named by {@code CUDA_HOME}/{@code CUDA_PATH}, then the usual install. */
    static List<Path> cudaHomes() {
        var homes = new ArrayList<Path>();
        for (String variable : List.of("CUDA_HOME", "CUDA_PATH")) {
            String value = System.getenv(variable);
            if (value != null && !value.isBlank()) homes.add(Path.of(value));
        }
        homes.add(Path.of("/usr/local/cuda"));
        return homes;
    }

    /** Reads the NUL-terminated C string at {@code address} (a pointer the library returned). */
    static String string(MemorySegment address) {
        return address.equals(MemorySegment.NULL) ? "" : address.reinterpret(Long.MAX_VALUE).getString(0);
    }

    /** A library that loaded but lacks a function the binding needs. */
    static final class MissingSymbol extends RuntimeException {
        MissingSymbol(String message) { super(message); }
    }
}
