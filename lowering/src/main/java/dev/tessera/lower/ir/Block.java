package dev.tessera.lower.ir;

import java.util.ArrayList;
import java.util.List;

/** Statements run in order. */
public record Block(List<Stmt> stmts) implements Stmt {
    public Block { stmts = List.copyOf(stmts); }

    /** A statement running the given ones in order, flattening nested blocks; a single statement is returned as is. */
    public static Stmt of(List<Stmt> stmts) {
        List<Stmt> flat = new ArrayList<>();
        for (Stmt s : stmts) {
            if (s instanceof Block b) flat.addAll(b.stmts());
            else if (s != null) flat.add(s);
        }
        return flat.size() == 1 ? flat.get(0) : new Block(flat);
    }

    public static Stmt of(Stmt... stmts) { return of(java.util.Arrays.asList(stmts)); }
}
