package dev.tessera.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tessera.TesseraUserError;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * The benchmark workloads as data: a JSON object with a {@code workloads} array, one object per
 * {@link Workload} ({@code id, kind, operator, shape, label, bound, peers}, and optionally
 * {@code alternatives}, true unless given). The built-in table is
 * the resource {@code dev/tessera/bench/workloads.json}, the workloads of BENCHMARKS.md.
 */
public record WorkloadTable(List<Workload> workloads) {
    /** Where the built-in table lives on the classpath (and, under {@code bench/src/main/resources}, in the source tree). */
    public static final String RESOURCE = "/dev/tessera/bench/workloads.json";

    public WorkloadTable {
        workloads = List.copyOf(workloads);
        Set<String> ids = new HashSet<>();
        for (Workload w : workloads)
            if (!ids.add(w.id())) throw new TesseraUserError("workload id '" + w.id() + "' appears twice in the table");
    }

    /** The built-in table. */
    public static WorkloadTable builtIn() { return resource(RESOURCE); }

    /** A table on the classpath, e.g. the GPU table {@code /dev/tessera/bench/gpu-workloads.json}. */
    public static WorkloadTable resource(String name) {
        try (InputStream in = WorkloadTable.class.getResourceAsStream(name)) {
            if (in == null) throw new IllegalStateException("missing resource " + name);
            return parse(new String(in.readAllBytes(), StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new IllegalStateException("cannot read " + name, e);
        }
    }

    /** A table from a JSON file. */
    public static WorkloadTable read(Path file) {
        try {
            return parse(Files.readString(file));
        } catch (IOException e) {
            throw new TesseraUserError("cannot read workload table " + file + ": " + e.getMessage());
        }
    }

    /** A table from JSON text; a malformed table is a {@link TesseraUserError} naming the entry and field. */
    public static WorkloadTable parse(String json) {
        JsonNode root;
        try {
            root = new ObjectMapper().readTree(json);
        } catch (IOException e) {
            throw new TesseraUserError("workload table is not valid JSON: " + e.getMessage());
        }
        JsonNode list = root == null ? null : root.get("workloads");
        if (list == null || !list.isArray()) throw new TesseraUserError("workload table needs a \"workloads\" array");
        List<Workload> out = new ArrayList<>();
        int index = 0;
        for (JsonNode w : list) {
            String where = "workload #" + index++;
            String id = text(w, "id", where, true);
            where = "workload " + id;
            List<String> peers = new ArrayList<>();
            JsonNode p = w.get("peers");
            if (p != null && !p.isArray()) throw new TesseraUserError(where + ": \"peers\" must be an array of names");
            if (p != null) for (JsonNode n : p) peers.add(n.asText());
            String bound = text(w, "bound", where, false);
            Workload.Bound b;
            try {
                b = bound == null ? Workload.Bound.COMPUTE : Workload.Bound.valueOf(bound.toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                throw new TesseraUserError(where + ": bound '" + bound + "' is neither compute nor memory");
            }
            JsonNode alternatives = w.get("alternatives");
            if (alternatives != null && !alternatives.isBoolean())
                throw new TesseraUserError(where + ": \"alternatives\" must be true or false");
            out.add(new Workload(id, text(w, "kind", where, true), text(w, "operator", where, true), text(w, "shape", where, true),
                    text(w, "label", where, false), b, peers, alternatives == null || alternatives.booleanValue()));
        }
        return new WorkloadTable(out);
    }

    /**
     * The workloads selected by comma-separated ids, in table order; an entry that is no id but
     * {@code OPERATOR:SHAPE} becomes an ad-hoc workload with no peers. Empty selection: all.
     */
    public List<Workload> select(String ids) {
        if (ids == null || ids.isBlank()) return workloads;
        // Shapes contain commas too: a bare number continues the OPERATOR:SHAPE entry before it.
        List<String> entries = new ArrayList<>();
        for (String part : ids.split(",")) {
            String t = part.trim();
            if (t.isEmpty()) continue;
            int last = entries.size() - 1;
            if (t.matches("\\d+") && last >= 0 && entries.get(last).contains(":")) entries.set(last, entries.get(last) + "," + t);
            else entries.add(t);
        }
        List<Workload> out = new ArrayList<>();
        for (String t : entries) {
            Workload found = workloads.stream().filter(w -> w.id().equals(t)).findFirst().orElse(null);
            if (found == null && !t.contains(":"))
                throw new TesseraUserError("unknown workload '" + t + "'; known: " + String.join(", ", workloads.stream().map(Workload::id).toList())
                        + " (or OPERATOR:SHAPE, e.g. matmul:256,256,256 or matmul:256x256x256)");
            out.add(found != null ? found : Workload.adHoc(t));
        }
        return out;
    }

    private static String text(JsonNode w, String field, String where, boolean required) {
        JsonNode n = w.get(field);
        if (n == null || n.isNull()) {
            if (required) throw new TesseraUserError(where + ": missing field \"" + field + "\"");
            return null;
        }
        return n.asText();
    }
}
