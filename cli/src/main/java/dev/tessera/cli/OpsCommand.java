package dev.tessera.cli;

import dev.tessera.ops.Attribute;
import dev.tessera.ops.Knob;
import dev.tessera.ops.Operator;
import dev.tessera.ops.Operators;
import java.util.stream.Collectors;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/** {@code tessera ops}: the built-in operators, their shape arguments, dtypes and attributes. */
@Command(name = "ops", description = "List the built-in operators, their shape arguments, dtypes (--dtype) and attributes (--attr).")
final class OpsCommand implements Runnable {
    @Parameters(index = "0", arity = "0..1", description = "An operator to describe in full: shape arguments, dtypes, attributes and schedule knobs.")
    String op;

    @Override public void run() {
        if (op != null) {
            describe(Operators.get(op));
            return;
        }
        System.out.printf("%-17s %-44s %-24s %-9s %s%n", "operator", "--shape", "example", "--dtype", "--attr (first value is the default)");
        for (Operator op : Operators.all())
            System.out.printf("%-17s %-44s %-24s %-9s %s%n", op.name(), op.shapeHelp(), op.defaultShapes().get(0),
                    op.dtypes().stream().map(Object::toString).collect(Collectors.joining(",")),
                    op.attributes().stream().map(Attribute::usage).collect(Collectors.joining(" ")));
    }

    private static void describe(Operator op) {
        System.out.println(op.name());
        System.out.println("  --shape " + op.shapeHelp() + "   e.g. " + String.join("  ", op.defaultShapes()));
        System.out.println("  --dtype " + op.dtypes().stream().map(Object::toString).collect(Collectors.joining("|")) + "   (default " + op.dtypes().get(0) + ")");
        for (Attribute a : op.attributes())
            System.out.println("  --attr " + a.usage() + "   (default " + a.defaultValue() + "): " + a.description());
        for (String example : op.defaultShapes()) {
            var alternatives = op.alternatives(op.checkShape(op.parseShape(example)));
            if (!alternatives.isEmpty())
                System.out.println("  alternatives for " + example + ": " + alternatives.stream().map(Operator::describe).collect(Collectors.joining(", "))
                        + "   (the same result by another algorithm; bench runs the fastest by the tuning logs unless --no-alternatives)");
        }
        long[] shape = op.parseShape(op.defaultShapes().get(0));
        for (Knob k : op.knobs(shape))
            System.out.println("  --knob " + k.name() + "=" + k.choices().stream().map(Object::toString).collect(Collectors.joining("|"))
                    + "   (default " + k.defaultValue() + ")");
    }
}
