package dev.tessera.cli;

import dev.tessera.schedule.TraceJson;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/** {@code tessera trace OP}: the JSON trace of a schedule, to edit and pass back with --schedule. */
@Command(name = "trace", description = "Print the schedule trace (JSON) of an operator; edit it and pass it back with --schedule FILE.")
final class TraceCommand implements Runnable {
    @Mixin KernelOptions options;

    @Override public void run() {
        System.out.println(TraceJson.write(options.schedule(options.instance()).trace()));
    }
}
