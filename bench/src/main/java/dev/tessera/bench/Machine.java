package dev.tessera.bench;

import dev.tessera.target.Target;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/**
 * The machine a report came from: the CPU model (from {@code /proc/cpuinfo}), its physical cores and
 * logical CPUs, the memory, the GPU (or "none"), and what LLVM and the JVM see.
 */
public record Machine(String cpuModel, int cores, int logicalCpus, double memoryGiB, String gpu, String os, String java, String llvmCpu, int vectorBits) {
    /** This machine. */
    public static Machine probe() {
        String model = cpuField("model name");
        String family = cpuField("cpu family"), cpuModel = cpuField("model");
        if (model == null) model = System.getProperty("os.arch");
        if (family != null && cpuModel != null) model += " (family " + family + ", model " + cpuModel + ")";
        double memGiB = Double.NaN;
        String mem = field(Path.of("/proc/meminfo"), "MemTotal");
        if (mem != null) memGiB = Long.parseLong(mem.replaceAll("[^0-9]", "")) / 1024.0 / 1024.0;
        Target host = Target.host();
        int logical = Runtime.getRuntime().availableProcessors();
        return new Machine(model, physicalCores(logical), logical, memGiB, probeGpu(),
                System.getProperty("os.name") + " " + System.getProperty("os.version"),
                System.getProperty("java.vm.name") + " " + System.getProperty("java.version"), host.cpu(), host.vectorBits());
    }

    /** A file-name-safe name, e.g. {@code amd-epyc-2-cores}, with {@code -gpu} when a GPU is present. */
    public String slug() {
        String base = cpuModel.replaceAll("\\(.*", "").toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9]+", "-").replaceAll("(^-|-$)", "");
        if (base.isEmpty()) base = "machine";
        return base + "-" + cores + "-cores" + (gpu.equals("none") ? "" : "-gpu");
    }

    /** The CPU model with its core count, e.g. "AMD EPYC, 2 cores (2 logical CPUs)". */
    public String title() {
        return cpuModel + ", " + cores + (cores == 1 ? " core" : " cores") + (logicalCpus == cores ? "" : " (" + logicalCpus + " logical CPUs)");
    }

    /** One line for reports. */
    public String describe() {
        return String.format(Locale.ROOT, "%s, %.1f GiB, GPU: %s; LLVM host CPU %s (%d-bit vectors); %s; %s",
                title(), memoryGiB, gpu, llvmCpu, vectorBits, os, java);
    }

    /** Distinct (physical id, core id) pairs of /proc/cpuinfo, else the logical count. */
    private static int physicalCores(int logical) {
        try {
            java.util.Set<String> cores = new java.util.HashSet<>();
            String physical = "0";
            for (String line : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
                int colon = line.indexOf(':');
                if (colon < 0) continue;
                String key = line.substring(0, colon).trim(), value = line.substring(colon + 1).trim();
                if (key.equals("physical id")) physical = value;
                if (key.equals("core id")) cores.add(physical + "/" + value);
            }
            return cores.isEmpty() ? logical : Math.min(cores.size(), logical);
        } catch (IOException | RuntimeException e) {
            return logical;
        }
    }

    private static String cpuField(String name) { return field(Path.of("/proc/cpuinfo"), name); }

    private static String field(Path file, String name) {
        try {
            for (String line : Files.readAllLines(file)) {
                int colon = line.indexOf(':');
                if (colon > 0 && line.substring(0, colon).trim().equals(name)) return line.substring(colon + 1).trim();
            }
        } catch (IOException | RuntimeException e) {
            // not Linux, or unreadable: the caller falls back
        }
        return null;
    }

    /** GPUs the NVIDIA driver lists, else "none". */
    private static String probeGpu() {
        Path gpus = Path.of("/proc/driver/nvidia/gpus");
        if (!Files.isDirectory(gpus)) return "none";
        try (var dirs = Files.list(gpus)) {
            List<String> names = dirs.map(d -> field(d.resolve("information"), "Model")).filter(n -> n != null).toList();
            return names.isEmpty() ? "none" : String.join(", ", names);
        } catch (IOException e) {
            return "none";
        }
    }
}
