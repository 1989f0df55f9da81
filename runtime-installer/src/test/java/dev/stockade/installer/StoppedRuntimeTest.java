package dev.stockade.installer;

import dev.stockade.installer.restart.SignalRestarter;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Docker is reloaded by a SIGHUP to dockerd, which cannot start a stopped daemon. On a fake host
 * tree whose /proc has no dockerd: install refuses before it changes anything, and uninstall
 * restores daemon.json without a process to signal.
 */
class StoppedRuntimeTest {

    @TempDir
    Path directory;

    private final Flavour docker = Flavour.docker();

    /** A Docker host whose /proc lists no process. */
    private FakeHost dockerHost() throws Exception {
        FakeHost host = new FakeHost(directory);
        docker.prepare().accept(host);
        Files.createDirectories(host.hostRoot().resolve("/proc"));
        return host;
    }

    private static SignalRestarter sighupToDockerd(FakeHost host) {
        return new SignalRestarter(host.hostRoot(), "dockerd", "HUP", () -> { });
    }

    @Test
    void installRefusesWithoutARunningDockerdAndChangesNothing() throws Exception {
        FakeHost host = dockerHost();
        Map<String, String> before = host.snapshot();

        InstallerException error = assertThrows(InstallerException.class,
                () -> host.installer(docker.configurator(), Checkpoint.NONE, sighupToDockerd(host)).install());

        assertTrue(error.getMessage().contains("not running (SIGHUP to dockerd finds no process in "), error.getMessage());
        assertTrue(error.getMessage().contains("Nothing on the host was changed"), error.getMessage());
        assertEquals(before, host.snapshot(), "daemon.json and the rest of the host as they were");
    }

    @Test
    void uninstallWhileDockerdIsStoppedRestoresDaemonJsonAndSucceeds() throws Exception {
        FakeHost host = dockerHost();
        Map<String, String> before = host.snapshot();
        host.installer(docker.configurator(), Checkpoint.NONE).install();
        assertEquals(1, host.restarter.restarts, "installed while dockerd ran");

        Installer.UninstallResult result = host.installer(docker.configurator(), Checkpoint.NONE, sighupToDockerd(host)).uninstall(false);

        assertFalse(result.restarted(), "no process to signal");
        assertEquals(before, host.snapshot(), "daemon.json restored byte for byte, Stockade's files gone");
    }
}
