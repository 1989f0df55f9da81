package dev.stockade.installer.host;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class HostFilesTest {

    @TempDir
    Path directory;

    @Test
    void aWriteReplacesTheFileAndClearsWhatAKilledWriteLeftBesideIt() throws Exception {
        Path target = directory.resolve("config.toml");
        Files.writeString(target, "old\n");
        Path leftoverFile = Files.writeString(directory.resolve(".config.toml.new-3f2a"), "half writ");
        Path leftoverCopy = Files.createDirectories(directory.resolve(".config.toml.partial-9c")).resolve("x");
        Files.writeString(leftoverCopy, "x");
        Path someoneElses = Files.writeString(directory.resolve(".config.toml.swp"), "vim");

        HostFiles.writeAtomically(target, "new\n", HostFiles.READABLE);

        assertEquals("new\n", Files.readString(target));
        assertFalse(Files.exists(leftoverFile));
        assertFalse(Files.exists(leftoverCopy.getParent()));
        assertTrue(Files.exists(someoneElses), "only the installer's own leftovers are removed");
        try (var files = Files.list(directory)) {
            assertEquals(2, files.count());
        }
    }

    @Test
    void hostRootKeepsPathsInsideTheTree() {
        HostRoot host = new HostRoot(directory);

        assertEquals(directory.resolve("etc/containerd/config.toml"), host.resolve("/etc/containerd/config.toml"));
        assertThrows(IllegalArgumentException.class, () -> host.resolve("/etc/../../outside"));
        assertThrows(IllegalArgumentException.class, () -> host.resolve("relative/path"));
    }
}
