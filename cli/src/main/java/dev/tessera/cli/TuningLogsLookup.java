package dev.tessera.cli;

import dev.tessera.TesseraUserError;
import dev.tessera.autotune.ApplyBest;
import dev.tessera.autotune.TuningLog;
import dev.tessera.autotune.TuningRecord;
import dev.tessera.ir.DType;
import dev.tessera.ops.Operator;
import dev.tessera.ops.OperatorInstance;
import dev.tessera.target.Target;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** {@code --schedule best}: the tuning logs of a file or folder (by default this Tessera's tuning-logs/), applied by {@link ApplyBest}. */
final class TuningLogsLookup {
    private TuningLogsLookup() {}

    static ApplyBest.Choice choose(Operator op, OperatorInstance inst, DType dtype, Target target, Path logs, PrintStream warnings) {
        return ApplyBest.choose(op, inst, dtype, target, records(logs, warnings), warnings::println);
    }

    /** The folder the launcher names as this Tessera's home, with tuning-logs/ in it; null when unknown. */
    static Path defaultFolder() {
        String home = System.getProperty("tessera.home");
        return home == null ? null : Path.of(home, "tuning-logs");
    }

    static List<TuningRecord> records(Path logs, PrintStream warnings) {
        Path where = logs != null ? logs : defaultFolder();
        if (where == null || (logs == null && !Files.isDirectory(where))) return List.of();
        if (!Files.exists(where)) throw new TesseraUserError("--logs " + where + ": no such file or folder");
        return TuningLog.readFileOrFolder(where, warnings);
    }
}
