package dev.stockade.installer;

import dev.stockade.api.node.HostLayout;
import dev.stockade.api.profile.KernelIdentity;
import dev.stockade.api.profile.SandboxProfile;
import dev.stockade.installer.runtime.Handler;
import dev.stockade.installer.supervisor.SupervisorControl;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The installer's supervisor decisions on fake host trees, where the payload's
 * {@code bin/stockade-supervisor} is a script: its {@code check} answers as the real one does on a
 * host it cannot serve. Starting the real supervisor is {@code RealContainerdTest}'s job.
 */
class SupervisorInstallTest {

    static final String UNSUPPORTED = "stockade-supervisor: unsupported host: kernel 4.19.0 is too old for the Stockade supervisor";

    @TempDir
    Path directory;

    @Test
    void launchersNameThePolicyForTheSupervisorsMetadata() throws Exception {
        FakeHost host = new FakeHost(directory);
        host.installer(Flavour.containerdWithCriSettings().configurator(), Checkpoint.NONE).install();
        for (Handler handler : FakeHost.HANDLERS) {
            String launcher = host.read(handler.launcher());
            assertTrue(launcher.contains("STOCKADE_POLICY=" + FakeHost.POLICY + "\nexport STOCKADE_POLICY\n"), launcher);
        }
    }

    @Test
    void noProfileNeedsItOnAnUnsupportedHostTheInstallSucceedsAndSaysWhy() throws Exception {
        FakeHost host = new FakeHost(directory);
        writeSupervisorCheck(host, 2, UNSUPPORTED);
        Installer.InstallResult result = host.installer(Flavour.containerdWithCriSettings().configurator(), Checkpoint.NONE).install();
        assertTrue(result.supervisor().startsWith("supervisor not needed"), result.supervisor());
        assertTrue(result.supervisor().contains("kernel 4.19.0 is too old"), "the node status carries the check's reason: " + result.supervisor());
    }

    @Test
    void aProfileThatNeedsItFailsTheInstallOnAnUnsupportedHostNamingTheClassAndTheReason() throws Exception {
        FakeHost host = new FakeHost(directory);
        writeSupervisorCheck(host, 2, UNSUPPORTED);
        host.writeProfile("strict", kernelIdentityProfile());
        InstallerException failure = assertThrows(InstallerException.class,
                () -> host.installer(Flavour.containerdWithCriSettings().configurator(), Checkpoint.NONE).install());
        assertTrue(failure.getMessage().contains("[strict]"), failure.getMessage());
        assertTrue(failure.getMessage().contains("kernel 4.19.0 is too old"), failure.getMessage());
        assertFalse(host.exists(HostLayout.SUPERVISOR_SOCKET), "no supervisor was started");
    }

    @Test
    void aProfileThatNeedsItFailsTheInstallWhenThePayloadHasNoSupervisor() throws Exception {
        FakeHost host = new FakeHost(directory);
        host.writeProfile("untrusted", kernelIdentityProfile());
        InstallerException failure = assertThrows(InstallerException.class,
                () -> host.installer(Flavour.containerdWithCriSettings().configurator(), Checkpoint.NONE).install());
        assertTrue(failure.getMessage().contains("no executable " + SupervisorControl.LAUNCHER), failure.getMessage());
    }

    @Test
    void uninstallRemovesTheSupervisorsLeftoverSockets() throws Exception {
        FakeHost host = new FakeHost(directory);
        host.installer(Flavour.containerdWithCriSettings().configurator(), Checkpoint.NONE).install();
        host.write(HostLayout.SUPERVISOR_SOCKET, "");
        host.write(HostLayout.handoverSocket(HostLayout.SUPERVISOR_SOCKET), "");
        host.installer(Flavour.containerdWithCriSettings().configurator(), Checkpoint.NONE).uninstall(false);
        assertFalse(host.exists(HostLayout.SUPERVISOR_SOCKET), "a stale socket file is removed with the supervisor");
        assertFalse(host.exists(HostLayout.handoverSocket(HostLayout.SUPERVISOR_SOCKET)), "and its handover socket");
    }

    static SandboxProfile kernelIdentityProfile() {
        return new SandboxProfile(null, null, null, null, null, null, null, null, null,
                new KernelIdentity(null, "4.4.0", null, null), null);
    }

    private static void writeSupervisorCheck(FakeHost host, int exitCode, String message) throws IOException {
        Path launcher = Files.createDirectories(host.payload.resolve("bin")).resolve("stockade-supervisor");
        Files.writeString(launcher, "#!/bin/sh\n[ \"$1\" = check ] || exit 64\necho '" + message + "' >&2\nexit " + exitCode + "\n");
        Files.setPosixFilePermissions(launcher, PosixFilePermissions.fromString("rwxr-xr-x"));
    }
}
