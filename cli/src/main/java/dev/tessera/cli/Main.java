package dev.tessera.cli;

import dev.tessera.TesseraUserError;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code tessera} command. */
@Command(name = "tessera", mixinStandardHelpOptions = true, version = "Tessera 0.1.0",
        description = "A tensor compiler and kernel generator for the JVM.",
        subcommands = {OpsCommand.class, DemoCommand.class, LowerCommand.class, SourceCommand.class, BenchCommand.class, TraceCommand.class, TuneCommand.class, LogsCommand.class})
public final class Main implements Runnable {
    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    @Override public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    public static void main(String[] args) {
        System.exit(run(args));
    }

    /** Runs the CLI in-process and returns its exit code (used by the end-to-end tests). */
    public static int run(String... args) {
        CommandLine cl = new CommandLine(new Main());
        cl.addSubcommand("export", new ExportCommand());
        cl.setExecutionExceptionHandler((ex, cmd, parsed) -> {
            if (ex instanceof TesseraUserError) {
                cmd.getErr().println("error: " + ex.getMessage());
                return 2;
            }
            throw ex;
        });
        return cl.execute(args);
    }
}
