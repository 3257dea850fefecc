package dev.tessera.target.cuda;

import dev.tessera.TesseraUserError;
import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The {@code nvcc} command as a fallback compiler: on the {@code PATH}, else in the CUDA toolkit
 * ({@code $CUDA_HOME}, {@code /usr/local/cuda}). Each compilation runs in its own temporary
 * directory, which is deleted afterwards.
 */
record Nvcc(Path executable, String version) {
    private static final long TIMEOUT_SECONDS = 120;
    private static final Nvcc INSTANCE = find();

    /** The nvcc found on this machine, or null. */
    static Nvcc instance() {
        return INSTANCE;
    }

    private static Nvcc find() {
        var candidates = new ArrayList<Path>();
        String path = System.getenv("PATH");
        if (path != null)
            for (String dir : path.split(File.pathSeparator)) if (!dir.isEmpty()) candidates.add(Path.of(dir, "nvcc"));
        for (Path home : NativeFunction.cudaHomes()) candidates.add(home.resolve("bin/nvcc"));
        for (Path candidate : candidates) {
            if (Files.isRegularFile(candidate) && Files.isExecutable(candidate)) {
                try {
                    return new Nvcc(candidate, "nvcc " + versionOf(candidate));
                } catch (IOException | RuntimeException unusable) {
                    // A broken install (it cannot even report its version): try the next one.
                }
            }
        }
        return null;
    }

    private static String versionOf(Path nvcc) throws IOException {
        Path dir = Files.createTempDirectory("tessera-nvcc");
        Run run;
        try {
            run = run(List.of(nvcc.toString(), "--version"), dir, 30);
        } finally {
            deleteRecursively(dir);
        }
        var release = Pattern.compile("release (\\d+\\.\\d+)").matcher(run.output());
        if (run.exitCode() != 0 || !release.find()) throw new IOException("nvcc --version: " + run.output());
        return release.group(1);
    }

    /** Compiles {@code source} to a cubin for {@code arch}; a compile error is a user error with nvcc's output. */
    CudaCompiler.Compiled compile(String source, String arch) {
        Path dir = null;
        try {
            dir = Files.createTempDirectory("tessera-nvcc");
            Files.writeString(dir.resolve("k.cu"), source);
            // -std=c++17 matches the NVRTC options, so both compilers accept the same sources.
            var run = run(List.of(executable.toString(), "-cubin", "-arch=" + arch, "-std=c++17", "-o", "k.cubin", "k.cu"),
                    dir, TIMEOUT_SECONDS);
            if (run.exitCode() != 0)
                throw new TesseraUserError("CUDA compilation for " + arch + " failed (" + version + ", exit code "
                        + run.exitCode() + "):\n" + run.output());
            return new CudaCompiler.Compiled(Files.readAllBytes(dir.resolve("k.cubin")), version, run.output());
        } catch (IOException e) {
            throw new UncheckedIOException("running " + executable + " failed", e);
        } finally {
            if (dir != null) deleteRecursively(dir);
        }
    }

    private record Run(int exitCode, String output) {}

    /**
     * Runs a command in {@code dir}, stdout and stderr into a file there: reading a pipe instead
     * could block forever on a hung process, where a file lets the timeout fire.
     */
    private static Run run(List<String> command, Path dir, long timeoutSeconds) throws IOException {
        Path log = dir.resolve("output.log");
        Process process = new ProcessBuilder(command).directory(dir.toFile())
                .redirectErrorStream(true).redirectOutput(log.toFile()).start();
        try {
            if (!process.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                throw new TesseraUserError(String.join(" ", command) + " did not finish within " + timeoutSeconds + " s");
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for " + command.getFirst(), e);
        }
        return new Run(process.exitValue(), new String(Files.readAllBytes(log), StandardCharsets.UTF_8).strip());
    }

    private static void deleteRecursively(Path dir) {
        try (Stream<Path> files = Files.walk(dir)) {
            files.sorted(Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
        } catch (IOException ignored) {
            // A leftover temporary directory is harmless; the compile result is what matters.
        }
    }
}
