package dev.tessera.export;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tessera.TesseraUserError;
import dev.tessera.ir.Var;
import dev.tessera.lower.Lower;
import dev.tessera.lower.PrepackedProgram;
import dev.tessera.lower.ir.LoweredFunc;
import dev.tessera.ops.Operator;
import dev.tessera.ops.OperatorInstance;
import dev.tessera.schedule.Schedule;
import dev.tessera.schedule.TraceJson;
import dev.tessera.target.llvm.LlvmObjectEmitter;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * Writes a folder that ships kernels without the JVM or LLVM: {@code libNAME.so} and
 * {@code libNAME.a} (the kernels compiled ahead of time for each ISA level, the dispatcher and the C
 * thread-pool runtime), {@code NAME.h}, {@code NAME.py} (ctypes, NumPy/PyTorch) and
 * {@code manifest.json} (what was built from what, and the sha256 of every other file). Needs
 * {@code gcc} (or {@code $CC}) and {@code ar} on the PATH.
 */
public final class Exporter {
    /** The Tessera version recorded in manifests. */
    public static final String VERSION = "0.1.0";

    private Exporter() {}

    /** The files written, by role. */
    public record Result(Path dir, Path sharedLibrary, Path staticLibrary, Path header, Path python, Path manifest, List<ExportedKernel> kernels) {}

    /** Exports {@code kernels} as library {@code name} into {@code dir} (created if needed) with code for {@code isaLevels}. */
    public static Result export(String name, List<KernelRequest> kernels, List<String> isaLevels, Path dir) {
        if (name == null || !name.matches("[A-Za-z_][A-Za-z0-9_]*"))
            throw new TesseraUserError("library name '" + name + "' is not a C identifier (letters, digits, _; not starting with a digit)");
        if (kernels.isEmpty()) throw new TesseraUserError("nothing to export: give at least one --op (or a --manifest with kernels)");
        List<IsaLevel> levels = (isaLevels == null || isaLevels.isEmpty() ? IsaLevel.DEFAULT : isaLevels).stream()
                .distinct().sorted(Comparator.comparingInt(LlvmObjectEmitter.X86_64_LEVELS::indexOf)).map(IsaLevel::of).toList();
        List<ExportedKernel> built = build(kernels);
        try {
            Files.createDirectories(dir);
            Path work = Files.createTempDirectory(dir, ".tessera-build");
            try {
                List<Path> objects = new ArrayList<>();
                for (ExportedKernel k : built)
                    for (IsaLevel l : levels) {
                        Path o = work.resolve(k.symbol(name, l) + ".o");
                        LlvmObjectEmitter.emit(k.func(), k.symbol(name, l), l.name(), l.functionAttributes(), o);
                        objects.add(o);
                    }
                Path header = dir.resolve(name + ".h");
                Files.writeString(header, CLibrarySource.header(name, built, levels, VERSION));
                Path dispatch = work.resolve(name + "_dispatch.c");
                Files.writeString(dispatch, CLibrarySource.dispatcher(name, built, levels));
                Path runtime = work.resolve("tessera_runtime.c");
                try (InputStream in = Exporter.class.getResourceAsStream("tessera_runtime.c")) {
                    Files.write(runtime, in.readAllBytes());
                }
                String cc = System.getenv().getOrDefault("CC", "gcc");
                Path dispatchO = work.resolve("dispatch.o"), runtimeO = work.resolve("runtime.o");
                run(work, cc, "-O2", "-fPIC", "-std=gnu11", "-Wall", "-I", dir.toString(), "-c", dispatch.toString(), "-o", dispatchO.toString());
                run(work, cc, "-O2", "-fPIC", "-std=gnu11", "-Wall", "-pthread", "-c", runtime.toString(), "-o", runtimeO.toString());
                objects.add(dispatchO);
                objects.add(runtimeO);
                Path versionScript = work.resolve("exports.map");
                Files.writeString(versionScript, "{\n  global:\n" + String.join("", CLibrarySource.publicSymbols(name, built).stream()
                        .map(sym -> "    " + sym + ";\n").toList()) + "  local: *;\n};\n");
                Path so = dir.resolve("lib" + name + ".so"), a = dir.resolve("lib" + name + ".a");
                List<String> link = new ArrayList<>(List.of(cc, "-shared", "-o", so.toString(), "-Wl,--version-script=" + versionScript,
                        "-Wl,-z,noexecstack", "-Wl,-soname,lib" + name + ".so"));
                objects.forEach(o -> link.add(o.toString()));
                link.addAll(List.of("-pthread", "-lm"));
                run(work, link.toArray(String[]::new));
                Files.deleteIfExists(a);
                List<String> ar = new ArrayList<>(List.of("ar", "rcs", a.toString()));
                objects.forEach(o -> ar.add(o.toString()));
                run(work, ar.toArray(String[]::new));
                Path py = dir.resolve(name + ".py");
                Files.writeString(py, PythonModule.source(name, built, VERSION));
                Path manifest = dir.resolve("manifest.json");
                Files.writeString(manifest, manifest(name, built, levels, List.of(so, a, header, py)));
                return new Result(dir, so, a, header, py, manifest, built);
            } finally {
                deleteTree(work);
            }
        } catch (IOException e) {
            throw new TesseraUserError("cannot write the export to " + dir + ": " + e.getMessage(), e);
        }
    }

    /** Builds, schedules and lowers every requested kernel, naming each uniquely. */
    static List<ExportedKernel> build(List<KernelRequest> requests) {
        Set<String> used = new HashSet<>();
        List<ExportedKernel> out = new ArrayList<>();
        for (KernelRequest r : requests) {
            String kname = r.name();
            if (kname == null) {
                kname = r.operator().replaceAll("[^A-Za-z0-9_]", "_");
                if (used.contains(kname)) kname = kname + "_" + r.shapeText().replaceAll("[^A-Za-z0-9]+", "_");
                String base = kname;
                for (int i = 2; used.contains(kname); i++) kname = base + "_" + i;
            }
            if (!used.add(kname)) throw new TesseraUserError("two exported kernels are named '" + kname + "'; give them distinct names");
            Operator op = r.resolveOperator();
            OperatorInstance inst = r.build();
            Schedule s = schedule(r, op, inst);
            // The symbolic leading dimension keeps the name the user gave it (N in "N,128").
            Map<Var, String> dimNames = new IdentityHashMap<>();
            if (r.symbolicLeading() && !inst.shapeVars().isEmpty())
                dimNames.put(inst.shapeVars().get(0), r.shapeText().split("\\s*,\\s*")[0].trim());
            String trace = TraceJson.write(s.trace());
            LoweredFunc f = Lower.lower(s, kname);
            out.add(new ExportedKernel(kname, r, op.describe(), r.shapeText(), r.resolveDtype(), trace, f, KernelAbi.of(f, dimNames),
                    ExportedKernel.KERNEL, ""));
            if (s.prepackedStages().isEmpty()) continue;
            // Constant inputs packed once: one entry per pack function, and the kernel over the packed copies.
            PrepackedProgram p = Lower.lowerPrepacked(s, kname);
            String kp = unique(kname + "_prepacked", used);
            List<String> packNames = new ArrayList<>();
            for (LoweredFunc pack : p.packs()) {
                String pname = unique(pack.name(), used);
                packNames.add(pname);
                out.add(new ExportedKernel(pname, r, op.describe(), r.shapeText(), r.resolveDtype(), trace, pack, KernelAbi.of(pack, dimNames),
                        ExportedKernel.PACK, "packs a constant input once for " + kp));
            }
            out.add(new ExportedKernel(kp, r, op.describe(), r.shapeText(), r.resolveDtype(), trace, p.kernel(), KernelAbi.of(p.kernel(), dimNames),
                    ExportedKernel.PREPACKED, kname + " with its constant inputs packed by " + String.join(", ", packNames)));
        }
        return out;
    }

    /** {@code name}, or it with a number appended when another exported kernel has it already. */
    private static String unique(String name, Set<String> used) {
        String n = name;
        for (int i = 2; !used.add(n); i++) n = name + "_" + i;
        return n;
    }

    private static Schedule schedule(KernelRequest r, Operator op, OperatorInstance inst) {
        Schedule s = Schedule.create(inst.outputs());
        switch (r.schedule()) {
            case "default" -> op.applyDefaultSchedule(s);
            case "naive" -> {}
            default -> {
                String json;
                try {
                    json = Files.readString(Path.of(r.schedule()));
                } catch (IOException e) {
                    throw new TesseraUserError("cannot read schedule file " + r.schedule() + ": " + e.getMessage()
                            + " (a kernel's schedule is default, naive, or a JSON trace file)");
                }
                s = Schedule.replay(inst.outputs(), TraceJson.read(json));
            }
        }
        return s;
    }

    private static String manifest(String name, List<ExportedKernel> kernels, List<IsaLevel> levels, List<Path> files) throws IOException {
        ObjectMapper m = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
        ObjectNode root = m.createObjectNode();
        root.put("format", "tessera-export/1");
        root.put("name", name);
        root.put("tessera_version", VERSION);
        root.put("created", Instant.now().toString());
        ObjectNode target = root.putObject("target");
        target.put("kind", "llvm");
        target.put("triple", LlvmObjectEmitter.triple());
        ArrayNode isa = target.putArray("isa_levels");
        levels.forEach(l -> isa.add(l.name()));
        ArrayNode ks = root.putArray("kernels");
        for (ExportedKernel k : kernels) {
            ObjectNode n = ks.addObject();
            n.put("name", k.name());
            n.put("role", k.role());
            if (!k.note().isEmpty()) n.put("note", k.note());
            n.put("operator", k.request().operator());
            n.put("description", k.operator());
            n.put("shape", k.shape());
            n.put("dtype", k.dtype().toString());
            ObjectNode attrs = n.putObject("attributes");
            k.request().attributes().forEach(attrs::put);
            n.put("schedule_source", k.request().schedule());
            n.set("schedule", m.readTree(k.traceJson()));
            ArrayNode args = n.putArray("tensors");
            for (var a : k.abi().args()) {
                ObjectNode an = args.addObject();
                an.put("name", a.name());
                an.put("role", a.output() ? "output" : "input");
                an.put("dtype", a.dtype().toString());
                an.put("shape", k.abi().shapeText(a));
            }
            ArrayNode dims = n.putArray("dims");
            for (var d : k.abi().dims()) dims.add(d.name());
            ObjectNode syms = n.putObject("symbols");
            for (IsaLevel l : levels) syms.put(l.name(), k.symbol(name, l));
        }
        ObjectNode sums = root.putObject("sha256");
        for (Path f : files) sums.put(f.getFileName().toString(), sha256(f));
        return m.writeValueAsString(root) + "\n";
    }

    static String sha256(Path f) throws IOException {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(f)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void run(Path dir, String... command) throws IOException {
        Process p;
        try {
            p = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true).start();
        } catch (IOException e) {
            throw new TesseraUserError("export needs " + command[0] + " on the PATH to build the library: " + e.getMessage(), e);
        }
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        try {
            if (!p.waitFor(300, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IllegalStateException(command[0] + " did not finish in 300 s");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while running " + command[0], e);
        }
        if (p.exitValue() != 0)
            throw new IllegalStateException(String.join(" ", command) + " failed (exit " + p.exitValue() + "):\n" + output);
    }

    private static void deleteTree(Path root) throws IOException {
        if (!Files.exists(root)) return;
        try (Stream<Path> s = Files.walk(root)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) Files.delete(p);
        }
    }
}
