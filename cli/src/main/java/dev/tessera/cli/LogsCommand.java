package dev.tessera.cli;

import dev.tessera.TesseraUserError;
import dev.tessera.autotune.LogReports;
import dev.tessera.autotune.StrategyComparison;
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
@Command(name = "logs", description = "Summarize, pick from, plot and compare tuning logs.",
        subcommands = {LogsCommand.Summary.class, LogsCommand.Best.class, LogsCommand.Plot.class, LogsCommand.Compare.class})
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

    @Command(name = "compare", description = "Search strategies over seeds: per run (strategy and seed) the trial at which it first reached PERCENT % of the best "
            + "throughput any run found, the median per strategy, and evolutionary/random (first workload and target in the logs).")
    static final class Compare implements Runnable {
        @Parameters(arity = "1..*", paramLabel = "LOG", description = "Tuning logs, e.g. one per strategy and seed.") List<Path> files;

        @Option(names = "--percent", defaultValue = "95", description = "The share of the best throughput a run must reach (default ${DEFAULT-VALUE}).") int percent;

        @Option(names = "--json", paramLabel = "FILE", description = "Write the comparison (runs with their best-so-far curves, medians, ratios) as JSON here.") Path json;

        @Option(names = "--svg", paramLabel = "FILE", description = "Write best-so-far curves, one per run coloured by strategy, with the target level, here.") Path svg;

        @Override public void run() {
            List<TuningRecord> records = new java.util.ArrayList<>();
            for (Path f : files) {
                if (!Files.isRegularFile(f)) throw new TesseraUserError("no tuning log " + f);
                records.addAll(read(f));
            }
            StrategyComparison comparison = StrategyComparison.of(records, percent);
            System.out.print(comparison.table());
            try {
                if (json != null) {
                    Files.writeString(json, dev.tessera.schedule.TraceJson.mapper().writerWithDefaultPrettyPrinter().writeValueAsString(comparison) + "\n");
                    System.out.println("wrote " + json);
                }
                if (svg != null) {
                    Files.writeString(svg, comparison.svg());
                    System.out.println("wrote " + svg);
                }
            } catch (IOException e) {
                throw new TesseraUserError("cannot write the comparison: " + e.getMessage());
            }
        }
    }
}
