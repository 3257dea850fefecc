package dev.tessera.export;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * The Python side of an exported library: a ctypes module ({@code NAME.py}) that loads
 * {@code libNAME.so} from its own folder and exposes each kernel as a function over NumPy arrays or
 * PyTorch CPU tensors, checking types, dtypes, shapes, contiguity and overlap before the native call.
 */
public final class PythonModule {
    private PythonModule() {}

    /** The module's source. */
    public static String source(String lib, List<ExportedKernel> kernels, String version) {
        String template;
        try (InputStream in = PythonModule.class.getResourceAsStream("binding.py")) {
            template = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException | NullPointerException e) {
            throw new IllegalStateException("the Python binding template is missing from the classpath", e);
        }
        List<String> names = new ArrayList<>();
        StringBuilder k = new StringBuilder();
        for (ExportedKernel e : kernels) {
            names.add("\"" + e.name() + "\"");
            KernelAbi abi = e.abi();
            List<String> spec = new ArrayList<>();
            for (var a : abi.args()) {
                List<String> dims = new ArrayList<>();
                for (var d : a.shape()) dims.add(abi.shapeExpr(d, "//", n -> "d[\"" + n + "\"]"));
                String tuple = dims.isEmpty() ? "()" : "(" + String.join(", ", dims) + (dims.size() == 1 ? ",)" : ")");
                spec.add("(\"" + a.name() + "\", \"" + a.dtype() + "\", lambda d: " + tuple + ", " + (a.output() ? "True" : "False") + ", " + a.shape().size() + ")");
            }
            List<String> dims = new ArrayList<>();
            for (var d : abi.dims()) dims.add("(\"" + d.name() + "\", " + d.argument() + ", " + d.axis() + ")");
            k.append("\n_K_").append(e.name()).append(" = (\"").append(e.name()).append("\", _bind(\"").append(e.name()).append("\", ")
                    .append(abi.args().size()).append(", ").append(abi.dims().size()).append("),\n    [")
                    .append(String.join(",\n     ", spec)).append("],\n    [").append(String.join(", ", dims)).append("])\n\n\n");
            List<String> in = new ArrayList<>(), outKw = new ArrayList<>(), outNames = new ArrayList<>();
            // A single output is `out=`, as in NumPy and PyTorch; several keep their tensor names.
            boolean single = abi.args().size() - abi.inputCount() == 1;
            for (var a : abi.args()) {
                if (a.output()) {
                    outKw.add((single ? "out" : a.name()) + "=None");
                    outNames.add(single ? "out" : a.name());
                } else in.add(a.name());
            }
            List<String> params = new ArrayList<>(in);
            params.add("*");
            params.addAll(outKw);
            k.append("def ").append(e.name()).append('(').append(String.join(", ", params)).append("):\n")
                    .append("    \"\"\"").append(e.operator()).append(" with shape arguments ").append(e.shape()).append(", dtype ").append(e.dtype()).append(".\n\n");
            if (!e.note().isEmpty()) k.append("    ").append(e.role()).append(": ").append(e.note()).append(".\n\n");
            for (var a : abi.args())
                k.append("    ").append(a.output() ? "out " : "in  ").append(a.name()).append(": ").append(a.dtype()).append(abi.shapeText(a)).append('\n');
            k.append("    \"\"\"\n    return _run(_K_").append(e.name()).append(", (").append(String.join(", ", in)).append(in.size() == 1 ? ",)" : ")")
                    .append(", (").append(String.join(", ", outNames)).append(outNames.size() == 1 ? ",)" : ")").append(")\n\n");
        }
        return template.replace("@@LIB@@", lib).replace("@@VERSION@@", version)
                .replace("@@KERNEL_NAMES@@", String.join(", ", kernels.stream().map(ExportedKernel::name).toList()))
                .replace("@@ALL@@", String.join(", ", names) + ", \"isa\", \"set_num_threads\"")
                .replace("@@KERNELS@@", k.toString());
    }
}
