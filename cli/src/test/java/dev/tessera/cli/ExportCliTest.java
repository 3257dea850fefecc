package dev.tessera.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code tessera export} end to end (the library itself is tested in the export module). */
class ExportCliTest {
    @Test void exportsOperatorsIntoAFolder(@TempDir Path dir) throws Exception {
        CliTest.Run r = CliTest.tessera("export", "--op", "add", "--shape", "N,16", "--op", "relu", "--shape", "8,8",
                "--isa", "x86-64-v3", "-o", dir.toString(), "--name", "small");
        assertEquals(0, r.exit(), r.err());
        assertTrue(r.out().contains("small_add  add[broadcast=row] N,16 f32"), r.out());
        for (String f : new String[] {"libsmall.so", "libsmall.a", "small.h", "small.py", "manifest.json"})
            assertTrue(Files.exists(dir.resolve(f)), f);
        assertTrue(Files.readString(dir.resolve("small.h")).contains("int64_t N);"));
    }

    @Test void exportsFromAManifestFile(@TempDir Path dir) throws Exception {
        Path m = dir.resolve("kernels.json");
        Files.writeString(m, "{\"name\": \"fromfile\", \"isa\": [\"x86-64-v3\"], \"kernels\": [{\"op\": \"softmax\", \"shape\": \"4,32\", \"name\": \"sm\"}]}");
        CliTest.Run r = CliTest.tessera("export", "--manifest", m.toString(), "-o", dir.resolve("out").toString());
        assertEquals(0, r.exit(), r.err());
        assertTrue(Files.readString(dir.resolve("out/fromfile.h")).contains("int fromfile_sm("));
    }

    @Test void badInputIsAClearError(@TempDir Path dir) {
        CliTest.Run r = CliTest.tessera("export", "--op", "nosuchop", "-o", dir.toString());
        assertEquals(2, r.exit());
        assertTrue(r.err().contains("nosuchop"), r.err());
        r = CliTest.tessera("export", "--op", "add", "--shape", "4,4", "--shape", "8,8", "-o", dir.toString());
        assertEquals(2, r.exit());
        assertTrue(r.err().contains("give one --shape per --op"), r.err());
        r = CliTest.tessera("export", "--op", "add", "--isa", "avx9000", "-o", dir.toString());
        assertEquals(2, r.exit());
        assertTrue(r.err().contains("legal levels: x86-64, x86-64-v2, x86-64-v3, x86-64-v4"), r.err());
        r = CliTest.tessera("export", "--op", "add", "--name", "bad-name", "-o", dir.toString());
        assertEquals(2, r.exit());
        assertTrue(r.err().contains("not a C identifier"), r.err());
    }
}
