package dev.stockade.installer;

import com.fasterxml.jackson.databind.JsonNode;
import dev.stockade.api.node.HostLayout;
import dev.stockade.api.profile.Profiles;
import dev.stockade.api.profile.SandboxProfile;
import dev.stockade.installer.runtime.Handler;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Install, re-install, profile change, uninstall, corrupt config and crashes, on a fake host tree per flavour. */
class FlavourInstallTest {

    @TempDir
    Path directory;

    static List<Flavour> flavours() {
        return Flavour.all();
    }

    private FakeHost prepared(Flavour flavour, String name) throws Exception {
        FakeHost host = new FakeHost(Files.createDirectories(directory.resolve(name)));
        flavour.prepare().accept(host);
        return host;
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("flavours")
    void installRegistersEveryHandlerKeepsTheHostsSettingsAndRestartsOnce(Flavour flavour) throws Exception {
        FakeHost host = prepared(flavour, "host");

        Installer.InstallResult result = host.installer(flavour.configurator(), Checkpoint.NONE).install();

        flavour.assertRegistered().accept(flavour.view().apply(host));
        assertEquals(1, host.restarter.restarts);
        assertTrue(result.restarted());
        assertEquals("0.1.0-test", result.version());
        for (Handler handler : FakeHost.HANDLERS) {
            Path launcher = host.hostRoot().resolve(handler.launcher());
            assertTrue(Files.isExecutable(launcher), handler.launcher());
            String script = Files.readString(launcher);
            assertTrue(script.contains("STOCKADE_PROFILE=/etc/stockade/profiles/" + handler.runtimeClass() + ".json"), script);
            assertTrue(script.contains("exec /opt/stockade/current/bin/stockade-runtime \"$@\""), script);
            String profile = host.read("/etc/stockade/profiles/" + handler.runtimeClass() + ".json");
            assertEquals(Files.readString(host.profileSource.resolve(handler.runtimeClass() + ".json")), profile);
            assertEquals(Profiles.hash(profile), result.profileHashes().get(handler.runtimeClass()));
        }
        Path runtime = host.hostRoot().resolve(HostLayout.CURRENT + "/bin/stockade-runtime");
        assertTrue(Files.isExecutable(runtime));
        assertTrue(Files.isSymbolicLink(host.hostRoot().resolve(HostLayout.CURRENT)));
        assertTrue(result.release().startsWith("0.1.0-test-"), result.release());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("flavours")
    void secondInstallChangesNothingAndRestartsNothing(Flavour flavour) throws Exception {
        FakeHost host = prepared(flavour, "host");
        host.installer(flavour.configurator(), Checkpoint.NONE).install();
        Map<String, String> afterFirst = host.snapshot();

        Installer.InstallResult second = host.installer(flavour.configurator(), Checkpoint.NONE).install();

        assertEquals(afterFirst, host.snapshot());
        assertEquals(1, host.restarter.restarts);
        assertFalse(second.restarted());
        assertEquals(List.of(), second.changedFiles());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("flavours")
    void profileChangeIsWrittenWithoutRestartingTheRuntime(Flavour flavour) throws Exception {
        FakeHost host = prepared(flavour, "host");
        Installer.InstallResult first = host.installer(flavour.configurator(), Checkpoint.NONE).install();
        JsonNode configBefore = flavour.view().apply(host);

        host.writeProfile("strict", new SandboxProfile(null, List.of(), SandboxProfile.SeccompLevel.Strict, null, null, 16L, true,
                null, null, null, null));
        Installer.InstallResult second = host.installer(flavour.configurator(), Checkpoint.NONE).install();

        assertEquals(1, host.restarter.restarts, "a profile is read on each container create: no restart");
        assertEquals(configBefore, flavour.view().apply(host));
        assertEquals(Files.readString(host.profileSource.resolve("strict.json")), host.read("/etc/stockade/profiles/strict.json"));
        assertNotEquals(first.profileHashes().get("strict"), second.profileHashes().get("strict"));
        assertEquals(first.profileHashes().get("untrusted"), second.profileHashes().get("untrusted"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("flavours")
    void uninstallLeavesTheHostByteForByteAsBefore(Flavour flavour) throws Exception {
        FakeHost host = prepared(flavour, "host");
        Map<String, String> before = host.snapshot();
        host.installer(flavour.configurator(), Checkpoint.NONE).install();

        Installer.UninstallResult result = host.installer(flavour.configurator(), Checkpoint.NONE).uninstall(false);

        assertEquals(before, host.snapshot());
        assertTrue(result.restarted());
        assertEquals(2, host.restarter.restarts, "one restart to load the handlers, one to drop them");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("flavours")
    void corruptConfigIsLeftUntouchedAndNamedInTheError(Flavour flavour) throws Exception {
        FakeHost host = prepared(flavour, "host");
        host.write(flavour.corruptFile(), flavour.corruptContent());
        Map<String, String> before = host.snapshot();

        InstallerException error = assertThrows(InstallerException.class,
                () -> host.installer(flavour.configurator(), Checkpoint.NONE).install());

        assertTrue(error.getMessage().contains(flavour.corruptFile()), error.getMessage());
        assertTrue(error.getMessage().contains("untouched"), error.getMessage());
        assertEquals(before, host.snapshot(), "nothing at all is installed while the runtime's config is broken");
        assertEquals(0, host.restarter.restarts);
    }

    @org.junit.jupiter.api.Test
    void configThatIsASymbolicLinkIsRefusedNotReplaced() throws Exception {
        Flavour flavour = Flavour.containerdWithCriSettings();
        FakeHost host = prepared(flavour, "host");
        Path real = host.hostRoot().resolve("/etc/containerd/real-config.toml");
        Files.move(host.hostRoot().resolve(Flavour.CONFIG), real);
        Files.createSymbolicLink(host.hostRoot().resolve(Flavour.CONFIG), Path.of("real-config.toml"));
        Map<String, String> before = host.snapshot();

        InstallerException error = assertThrows(InstallerException.class,
                () -> host.installer(flavour.configurator(), Checkpoint.NONE).install());

        assertTrue(error.getMessage().contains(Flavour.CONFIG + " is a symbolic link"), error.getMessage());
        assertEquals(before, host.snapshot());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("flavours")
    void installKilledAtAnyStepLeavesOldOrNewConfigurationAndTheNextRunFinishes(Flavour flavour) throws Exception {
        FakeHost reference = prepared(flavour, "reference");
        JsonNode oldView = flavour.view().apply(reference);
        List<String> steps = new ArrayList<>();
        reference.installer(flavour.configurator(), steps::add).install();
        JsonNode newView = flavour.view().apply(reference);
        assertTrue(steps.size() >= 8, "steps: " + steps);

        for (int crashAt = 0; crashAt < steps.size(); crashAt++) {
            FakeHost host = prepared(flavour, "crash-" + crashAt);
            String step = steps.get(crashAt);
            assertThrows(SimulatedCrash.class, () -> host.installer(flavour.configurator(), crashAt(step)).install(), step);

            JsonNode afterCrash = flavour.view().apply(host);
            assertTrue(afterCrash.equals(oldView) || afterCrash.equals(newView),
                    "killed after '" + step + "': the runtime would load neither the old nor the new configuration: " + afterCrash);

            host.installer(flavour.configurator(), Checkpoint.NONE).install();
            assertEquals(newView, flavour.view().apply(host), "rerun after a crash at '" + step + "'");
            // Killed between the restart and recording it, the next run cannot know the runtime already
            // loaded the new configuration and restarts once more; at every other step, one restart in all.
            assertTrue(host.restarter.restarts <= (step.equals("restarted") ? 2 : 1), host.restarter.restarts + " restarts, after '" + step + "'");
            Map<String, String> installed = host.snapshot();
            host.installer(flavour.configurator(), Checkpoint.NONE).install();
            assertEquals(installed, host.snapshot(), "the run after the crash converged, after '" + step + "'");
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("flavours")
    void uninstallKilledAtAnyStepLeavesOldOrNewConfigurationAndTheNextRunRestoresTheHost(Flavour flavour) throws Exception {
        FakeHost reference = prepared(flavour, "reference");
        Map<String, String> original = reference.snapshot();
        JsonNode originalView = flavour.view().apply(reference);
        reference.installer(flavour.configurator(), Checkpoint.NONE).install();
        JsonNode installedView = flavour.view().apply(reference);
        List<String> steps = new ArrayList<>();
        reference.installer(flavour.configurator(), steps::add).uninstall(false);
        assertEquals(original, reference.snapshot());

        for (int crashAt = 0; crashAt < steps.size(); crashAt++) {
            FakeHost host = prepared(flavour, "crash-" + crashAt);
            host.installer(flavour.configurator(), Checkpoint.NONE).install();
            String step = steps.get(crashAt);
            assertThrows(SimulatedCrash.class, () -> host.installer(flavour.configurator(), crashAt(step)).uninstall(false), step);

            JsonNode afterCrash = flavour.view().apply(host);
            assertTrue(afterCrash.equals(originalView) || afterCrash.equals(installedView),
                    "uninstall killed after '" + step + "' left a configuration that is neither: " + afterCrash);

            host.installer(flavour.configurator(), Checkpoint.NONE).uninstall(false);
            assertEquals(original, host.snapshot(), "rerun of uninstall after a crash at '" + step + "'");
        }
    }

    private static Checkpoint crashAt(String step) {
        return reached -> {
            if (reached.equals(step)) {
                throw new SimulatedCrash(step);
            }
        };
    }

    /** Thrown from a checkpoint: the installer stops there as if killed (no clean-up runs in between). */
    static final class SimulatedCrash extends RuntimeException {
        SimulatedCrash(String step) {
            super("simulated crash after " + step);
        }
    }
}
