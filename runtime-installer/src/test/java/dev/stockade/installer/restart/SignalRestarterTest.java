package dev.stockade.installer.restart;

import dev.stockade.installer.InstallerException;
import dev.stockade.installer.host.HostRoot;
import dev.stockade.testing.HostPrerequisites;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The signal restarter on a host tree whose /proc entries the test writes: it finds root's
 * processes of the name only, and signals them. The signalled process is a real one (a
 * {@code sleep} this test starts), listed under its own pid.
 */
class SignalRestarterTest {

    @TempDir
    Path host;

    private Path process(long pid, String comm) throws Exception {
        Path directory = Files.createDirectories(host.resolve("proc").resolve(Long.toString(pid)));
        Files.writeString(directory.resolve("comm"), comm + "\n");
        return directory;
    }

    private SignalRestarter sighupToDockerd() {
        return new SignalRestarter(new HostRoot(host), "dockerd", "HUP", () -> { });
    }

    @Test
    void aDockerdOfRootsIsSignalledAndNotStopped() throws Exception {
        HostPrerequisites.requireRoot();
        Process dockerd = new ProcessBuilder("sleep", "60").start();
        try {
            process(dockerd.pid(), "dockerd");
            process(dockerd.pid() + 1_000_000, "containerd");

            assertFalse(sighupToDockerd().stopped());
            sighupToDockerd().restart();

            assertTrue(dockerd.waitFor(10, TimeUnit.SECONDS), "the process got the signal");
            assertEquals(128 + 1, dockerd.exitValue(), "ended by SIGHUP");
        } finally {
            dockerd.destroyForcibly();
        }
    }

    @Test
    void anotherUsersDockerdDoesNotCountAndIsNotSignalled() throws Exception {
        HostPrerequisites.requireRoot();
        Process rootless = new ProcessBuilder("sleep", "60").start();
        try {
            Path entry = process(rootless.pid(), "dockerd");
            Files.setAttribute(entry, "unix:uid", 1000);

            assertTrue(sighupToDockerd().stopped(), "a rootless Docker is not the node's engine");
            InstallerException error = assertThrows(InstallerException.class, () -> sighupToDockerd().restart());

            assertTrue(error.getMessage().contains("no process of root's named 'dockerd'"), error.getMessage());
            assertTrue(rootless.isAlive(), "not signalled");
        } finally {
            rootless.destroyForcibly();
        }
    }
}
