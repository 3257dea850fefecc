package dev.tessera.cli;

import dev.tessera.TesseraUserError;
import dev.tessera.autotune.LogReports;
import dev.tessera.autotune.TuningLog;
import dev.tessera.autotune.TuningRecord;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code tessera logs}: reads tuning logs. */
@Command(name = "logs", description = "Summarize, pick from and plot tuning logs.",
        subcommands = {LogsCommand.Summary.class, LogsCommand.Best.class, LogsCommand.Plot.class})
final class LogsCommand implements Runnable {
    @picocli.CommandLine.Spec picocli.CommandLine.Model.CommandSpec spec;

    @Override public void run() { spec.commandLine().usage(System.out); }

    static List<TuningRecord> read(Path file) { return TuningLog.readReporting(file, System.err); }

    @Command(name = "summary", description = "Per workload and target: records, errors by code, best and median time, per strategy.")
    static final class Summary implements Runnable {
        @Parameters(index = "0", description = "The tuning log.") Path file;

        @Override public void run() { System.out.print(LogReports.summary(read(file))); }
    }

    @Command(name = "best", description = "The best record per workload and target; with -o, its trace as a JSON file for --schedule.")
    static final class Best implements Runnable {
        @Parameters(index = "0", description = "The tuning log.") Path file;

        @Option(names = "-o", description = "Write the best trace (of the first workload) here, for `tessera bench ... --schedule FILE`.") Path out;

        @Override public void run() {
            List<TuningRecord> best = LogReports.best(read(file));
            if (best.isEmpty()) throw new TesseraUserError(file + " has no successful measurement");
            for (TuningRecord r : best) System.out.println(LogReports.describeBest(r));
            if (out != null) {
                try {
                    Files.writeString(out, dev.tessera.schedule.TraceJson.write(best.get(0).trace()) + "\n");
                } catch (IOException e) {
                    throw new TesseraUserError("cannot write " + out + ": " + e.getMessage());
                }
                System.out.println("trace written to " + out);
            }
        }
    }

    @Command(name = "plot", description = "An SVG of best-so-far throughput against trials, one line per strategy (first workload in the log).")
    static final class Plot implements Runnable {
        @Parameters(index = "0", description = "The tuning log.") Path file;

        @Option(names = "-o", required = true, description = "The SVG file to write.") Path out;

        @Override public void run() {
            try {
                Files.writeString(out, LogReports.plot(read(file)));
            } catch (IOException e) {
                throw new TesseraUserError("cannot write " + out + ": " + e.getMessage());
            }
            System.out.println("wrote " + out);
        }
    }
}
