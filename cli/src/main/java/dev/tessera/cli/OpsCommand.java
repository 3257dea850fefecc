package dev.tessera.cli;

import dev.tessera.ops.Operator;
import dev.tessera.ops.Operators;
import picocli.CommandLine.Command;

/** {@code tessera ops}: the built-in operators and their shape arguments. */
@Command(name = "ops", description = "List the built-in operators and their shape arguments.")
final class OpsCommand implements Runnable {
    @Override public void run() {
        System.out.printf("%-12s %-28s %s%n", "operator", "--shape", "example");
        for (Operator op : Operators.all())
            System.out.printf("%-12s %-28s %s%n", op.name(), op.shapeHelp(), op.defaultShapes().get(0));
    }
}
