package dev.tessera.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tessera.TesseraUserError;
import dev.tessera.export.Exporter;
import dev.tessera.export.ExportedKernel;
import dev.tessera.export.IsaLevel;
import dev.tessera.export.KernelRequest;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code tessera export}: kernels as a C-ABI shared/static library with a header, a Python module and a manifest. */
@Command(name = "export", description = {
        "Compile operators ahead of time into lib<NAME>.so/.a with <NAME>.h, <NAME>.py (NumPy/PyTorch via ctypes) and manifest.json;",
        "no JVM or LLVM is needed to use them. A shape whose first argument is a name (N,128) makes that dimension symbolic.",
        "Example: tessera export --op matmul --shape 64,64,64 --op softmax --shape N,128 -o out --name mykernels"})
final class ExportCommand implements Runnable {
    @Option(names = "--op", description = "An operator to export (repeatable; see `tessera ops`).")
    List<String> ops = new ArrayList<>();

    @Option(names = "--shape", description = "Shape arguments of the i-th --op (repeatable, in --op order); default: the operator's example shape.")
    List<String> shapes = new ArrayList<>();

    @Option(names = "--dtype", description = "Element type of the i-th --op (repeatable); one value applies to all; default: the operator's first.")
    List<String> dtypes = new ArrayList<>();

    @Option(names = "--kernel-name", description = "Name of the i-th --op's kernel in the library (repeatable); default: the operator's name.")
    List<String> kernelNames = new ArrayList<>();

    @Option(names = "--manifest", paramLabel = "FILE",
            description = "A JSON file {\"name\": ..., \"isa\": [...], \"kernels\": [{\"op\", \"shape\", \"dtype\", \"attrs\", \"schedule\", \"name\"}]}; --op kernels are added after its kernels.")
    Path manifest;

    @Option(names = {"-o", "--output"}, required = true, paramLabel = "DIR", description = "The folder to write (created if needed).")
    Path output;

    @Option(names = "--name", description = "The library name, a C identifier (default: tessera_kernels, or the manifest's).")
    String name;

    @Option(names = "--isa", split = ",", description = "ISA levels to compile for (default: x86-64-v3,x86-64-v4; legal: x86-64, x86-64-v2, x86-64-v3, x86-64-v4).")
    List<String> isa = new ArrayList<>();

    @Override public void run() {
        List<KernelRequest> requests = new ArrayList<>();
        String libName = name;
        List<String> levels = new ArrayList<>(isa);
        if (manifest != null) {
            JsonNode root;
            try {
                root = new ObjectMapper().readTree(manifest.toFile());
            } catch (IOException e) {
                throw new TesseraUserError("cannot read export manifest " + manifest + ": " + e.getMessage());
            }
            if (libName == null && root.hasNonNull("name")) libName = root.get("name").asText();
            if (levels.isEmpty() && root.has("isa")) root.get("isa").forEach(l -> levels.add(l.asText()));
            JsonNode ks = root.get("kernels");
            if (ks == null || !ks.isArray())
                throw new TesseraUserError("export manifest " + manifest + " needs a \"kernels\" array of {\"op\": ..., \"shape\": ...} objects");
            for (JsonNode k : ks) {
                if (!k.hasNonNull("op")) throw new TesseraUserError("export manifest " + manifest + ": a kernel lacks \"op\": " + k);
                Map<String, String> attrs = new LinkedHashMap<>();
                if (k.has("attrs")) k.get("attrs").fields().forEachRemaining(e -> attrs.put(e.getKey(), e.getValue().asText()));
                requests.add(new KernelRequest(text(k, "name"), k.get("op").asText(), text(k, "shape"), text(k, "dtype"), attrs, text(k, "schedule")));
            }
        }
        if (shapes.size() > ops.size())
            throw new TesseraUserError("got " + shapes.size() + " --shape for " + ops.size() + " --op; give one --shape per --op, in order");
        if (dtypes.size() > 1 && dtypes.size() != ops.size())
            throw new TesseraUserError("got " + dtypes.size() + " --dtype for " + ops.size() + " --op; give one for all or one per --op");
        if (kernelNames.size() > ops.size())
            throw new TesseraUserError("got " + kernelNames.size() + " --kernel-name for " + ops.size() + " --op");
        for (int i = 0; i < ops.size(); i++) {
            String dtype = dtypes.isEmpty() ? null : dtypes.get(dtypes.size() == 1 ? 0 : i);
            requests.add(new KernelRequest(i < kernelNames.size() ? kernelNames.get(i) : null, ops.get(i),
                    i < shapes.size() ? shapes.get(i) : null, dtype, Map.of(), "default"));
        }
        if (libName == null) libName = "tessera_kernels";
        Exporter.Result r = Exporter.export(libName, requests, levels.isEmpty() ? IsaLevel.DEFAULT : levels, output);
        System.out.println("exported " + r.kernels().size() + " kernel(s) to " + r.dir() + ":");
        for (ExportedKernel k : r.kernels())
            System.out.println("  " + libName + "_" + k.name() + "  " + k.operator() + " " + k.shape() + " " + k.dtype());
        for (Path p : Arrays.asList(r.sharedLibrary(), r.staticLibrary(), r.header(), r.python(), r.manifest()))
            System.out.println("  " + p.getFileName());
    }

    private static String text(JsonNode n, String field) {
        return n.hasNonNull(field) ? n.get(field).asText() : null;
    }
}
