package dev.tessera.export;

import dev.tessera.ir.Binary;
import dev.tessera.ir.Cast;
import dev.tessera.ir.DType;
import dev.tessera.ir.Expr;
import dev.tessera.ir.IntImm;
import dev.tessera.ir.Var;
import dev.tessera.lower.ir.LoweredFunc;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;

/**
 * The C calling convention of one exported kernel, as the header, the dispatcher and the Python
 * module spell it: its tensor arguments (inputs, then outputs) with element types and shapes, and
 * its symbolic dimensions (one {@code int64_t} each, after the pointers), each bound by a dimension
 * of some argument.
 */
public record KernelAbi(List<Arg> args, List<Dim> dims) {
    /** A tensor argument: identifier, element type, shape over the dimension names, whether the kernel writes it. */
    public record Arg(String name, DType dtype, List<Expr> shape, boolean output) {}

    /** A symbolic dimension: its identifier and the (argument, axis) whose extent gives its value. */
    public record Dim(String name, Var var, int argument, int axis) {}

    private static final Set<String> RESERVED = Set.of(
            // C and Python keywords and the names the generated code itself uses
            "auto", "break", "case", "char", "const", "continue", "default", "do", "double", "else", "enum", "extern",
            "float", "for", "goto", "if", "int", "long", "register", "return", "short", "signed", "sizeof", "static",
            "struct", "switch", "typedef", "union", "unsigned", "void", "volatile", "while", "and", "as", "assert",
            "class", "def", "del", "elif", "except", "finally", "from", "global", "import", "in", "is", "lambda",
            "nonlocal", "not", "or", "pass", "raise", "try", "with", "yield", "None", "True", "False", "out", "self");

    /** The convention of {@code f}, naming each symbolic dimension as {@code dimNames} says (else by its variable). */
    public static KernelAbi of(LoweredFunc f, Map<Var, String> dimNames) {
        Set<String> used = new HashSet<>();
        List<Arg> args = new ArrayList<>();
        for (var p : f.buffers()) {
            String raw = p.tensor() != null ? p.tensor().name() : p.buffer().name();
            args.add(new Arg(identifier(raw, used), p.buffer().elementType(), p.shape(), p.isOutput()));
        }
        List<Dim> dims = new ArrayList<>();
        for (Var v : f.shapeParams()) {
            int arg = -1, axis = -1;
            for (int a = 0; a < args.size() && arg < 0; a++)
                for (int d = 0; d < args.get(a).shape().size(); d++)
                    if (args.get(a).shape().get(d) == v) {
                        arg = a;
                        axis = d;
                        break;
                    }
            if (arg < 0) throw new IllegalStateException("shape parameter " + v + " of " + f.name() + " is no argument's dimension");
            dims.add(new Dim(identifier(dimNames.getOrDefault(v, v.name()), used), v, arg, axis));
        }
        return new KernelAbi(args, dims);
    }

    private static String identifier(String raw, Set<String> used) {
        String s = raw.replaceAll("[^A-Za-z0-9_]", "_");
        if (s.isEmpty() || Character.isDigit(s.charAt(0))) s = "t" + s;
        if (RESERVED.contains(s)) s = s + "_";
        String base = s;
        for (int i = 2; used.contains(s); i++) s = base + "_" + i;
        used.add(s);
        return s;
    }

    /** Names of the dimensions by variable, for printing shapes. */
    private Map<Var, String> dimNames() {
        Map<Var, String> m = new IdentityHashMap<>();
        for (Dim d : dims) m.put(d.var(), d.name());
        return m;
    }

    /** A shape expression in C/Python infix syntax over dimension names; {@code div} spells floor division. */
    public String shapeExpr(Expr e, String div, Function<String, String> dimRef) {
        Map<Var, String> names = dimNames();
        return print(e, names, div, dimRef);
    }

    private static String print(Expr e, Map<Var, String> names, String div, Function<String, String> dimRef) {
        return switch (e) {
            case IntImm i -> Long.toString(i.value());
            case Var v -> dimRef.apply(names.getOrDefault(v, v.name()));
            case Cast c -> print(c.value(), names, div, dimRef);
            case Binary b -> switch (b.op()) {
                case ADD, SUB, MUL -> "(" + print(b.a(), names, div, dimRef) + " " + b.op().symbol + " " + print(b.b(), names, div, dimRef) + ")";
                case DIV -> "(" + print(b.a(), names, div, dimRef) + " " + div + " " + print(b.b(), names, div, dimRef) + ")";
                case MIN, MAX -> b.op().symbol + "(" + print(b.a(), names, div, dimRef) + ", " + print(b.b(), names, div, dimRef) + ")";
                default -> throw new IllegalStateException("unsupported shape expression " + e);
            };
            default -> throw new IllegalStateException("unsupported shape expression " + e);
        };
    }

    /** The shape as documentation, e.g. {@code [N, 128]}. */
    public String shapeText(Arg a) {
        List<String> parts = new ArrayList<>();
        for (Expr e : a.shape()) parts.add(shapeExpr(e, "/", s -> s));
        return "[" + String.join(", ", parts) + "]";
    }

    /** The C element type of a dtype (f16 and bf16 travel as their 16-bit patterns). */
    public static String cType(DType t) {
        return switch (t.code()) {
            case FLOAT -> switch (t.bits()) {
                case 64 -> "double";
                case 32 -> "float";
                default -> "uint16_t";
            };
            case BFLOAT -> "uint16_t";
            case INT -> "int" + t.bits() + "_t";
            case UINT -> "uint" + t.bits() + "_t";
            case BOOL -> "uint8_t";
        };
    }

    /** Number of inputs. */
    public int inputCount() { return (int) args.stream().filter(a -> !a.output()).count(); }
}
