package dev.stockade.runtime.host;

import dev.stockade.runtime.spec.HostView.Entry;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;

class LinuxHostViewTest {

    private final LinuxHostView host = new LinuxHostView();

    @Test
    void anEntryIsWhatIsThereWithoutFollowingALastLink(@TempDir Path dir) throws Exception {
        Files.createDirectory(dir.resolve("directory"));
        Files.writeString(dir.resolve("file"), "");
        Files.createSymbolicLink(dir.resolve("link"), Path.of("/canary"));
        assertEquals(Entry.DIRECTORY, host.entry(dir.resolve("directory").toString()));
        assertEquals(Entry.REGULAR_FILE, host.entry(dir.resolve("file").toString()));
        assertEquals(Entry.link("/canary"), host.entry(dir.resolve("link").toString()));
        assertEquals(Entry.characterDevice(1, 3), host.entry("/dev/null"));
        assertEquals(Entry.characterDevice(5, 2), host.entry("/dev/ptmx"));
    }

    @Test
    void nothingThereIsMissingEvenBelowAFile(@TempDir Path dir) throws Exception {
        Files.writeString(dir.resolve("file"), "");
        assertEquals(Entry.MISSING, host.entry(dir.resolve("absent").toString()));
        assertEquals(Entry.MISSING, host.entry(dir.resolve("file/below").toString()));
    }
}
