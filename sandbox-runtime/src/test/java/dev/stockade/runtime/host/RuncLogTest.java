package dev.stockade.runtime.host;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;

class RuncLogTest {

    @Test
    void jsonLineAsRuncWritesIt() {
        RuncLog log = new RuncLog(Optional.empty(), "json", System.err);
        assertEquals("{\"level\":\"error\",\"msg\":\"mounts[3].source: \\\"/\\\" refused\",\"time\":\"2026-01-01T00:00:00Z\"}\n",
                log.line("mounts[3].source: \"/\" refused", Instant.parse("2026-01-01T00:00:00Z")));
    }

    @Test
    void textLineAsLogrusWritesIt() {
        RuncLog log = new RuncLog(Optional.empty(), "text", System.err);
        assertEquals("time=\"2026-01-01T00:00:00Z\" level=error msg=\"no\"\n", log.line("no", Instant.parse("2026-01-01T00:00:00Z")));
    }

    @Test
    void errorGoesToTheLogFileAndStderr(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("log.json");
        Files.writeString(file, "{\"level\":\"info\",\"msg\":\"earlier\"}\n");
        ByteArrayOutputStream stderr = new ByteArrayOutputStream();
        new RuncLog(Optional.of(file), "json", new PrintStream(stderr, true)).error("refused");
        assertEquals("refused\n", stderr.toString());
        String[] lines = Files.readString(file).split("\n");
        assertEquals(2, lines.length);
        assertEquals(true, lines[1].startsWith("{\"level\":\"error\",\"msg\":\"refused\""));
    }
}
