package dev.stockade.installer;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The installer killed for real (its JVM halted, so no clean-up code runs) after every step of
 * install and of uninstall, for the layout with the most moving parts: containerd with the host's
 * CRI settings (a drop-in plus an imports edit; one JVM per step, so only this layout here: the
 * in-process crash tests of FlavourInstallTest cover every layout). Each time the
 * runtime's configuration is the old or the new one, the next run finishes, and a final uninstall
 * leaves the host byte for byte as it was: no temporary file or partial copy is left behind.
 */
class KilledInstallerTest {

    @TempDir
    Path directory;

    @ParameterizedTest
    @ValueSource(strings = {"containerd 1.x with other CRI settings"})
    void killedAfterEveryStepTheNextRunRecovers(String flavourName) throws Exception {
        int flavourIndex = indexOf(flavourName);
        Flavour flavour = Flavour.all().get(flavourIndex);
        FakeHost reference = prepared(flavour, "reference");
        Map<String, String> original = reference.snapshot();
        JsonNode oldView = flavour.view().apply(reference);
        List<String> installSteps = new ArrayList<>();
        reference.installer(flavour.configurator(), installSteps::add).install();
        JsonNode newView = flavour.view().apply(reference);
        List<String> uninstallSteps = new ArrayList<>();
        reference.installer(flavour.configurator(), uninstallSteps::add).uninstall(false);

        for (int i = 0; i < installSteps.size(); i++) {
            FakeHost host = prepared(flavour, "install-" + i);
            String step = installSteps.get(i);
            assertEquals(HaltingInstaller.HALTED, runHalting(host, flavourIndex, "install", step), step);
            JsonNode afterKill = flavour.view().apply(host);
            assertTrue(afterKill.equals(oldView) || afterKill.equals(newView), "killed after '" + step + "': " + afterKill);

            host.installer(flavour.configurator(), Checkpoint.NONE).install();
            assertEquals(newView, flavour.view().apply(host), "install after a kill at '" + step + "'");
            host.installer(flavour.configurator(), Checkpoint.NONE).uninstall(false);
            assertEquals(original, host.snapshot(), "no debris from a kill at '" + step + "'");
        }
        for (int i = 0; i < uninstallSteps.size(); i++) {
            FakeHost host = prepared(flavour, "uninstall-" + i);
            host.installer(flavour.configurator(), Checkpoint.NONE).install();
            String step = uninstallSteps.get(i);
            assertEquals(HaltingInstaller.HALTED, runHalting(host, flavourIndex, "uninstall", step), step);
            JsonNode afterKill = flavour.view().apply(host);
            assertTrue(afterKill.equals(oldView) || afterKill.equals(newView), "uninstall killed after '" + step + "': " + afterKill);

            host.installer(flavour.configurator(), Checkpoint.NONE).uninstall(false);
            assertEquals(original, host.snapshot(), "uninstall after a kill at '" + step + "'");
        }
    }

    private FakeHost prepared(Flavour flavour, String name) throws Exception {
        FakeHost host = new FakeHost(Files.createDirectories(directory.resolve(name)));
        flavour.prepare().accept(host);
        return host;
    }

    private static int indexOf(String name) {
        List<Flavour> all = Flavour.all();
        for (int i = 0; i < all.size(); i++) {
            if (all.get(i).name().equals(name)) {
                return i;
            }
        }
        throw new IllegalArgumentException(name);
    }

    private static int runHalting(FakeHost host, int flavourIndex, String command, String step) throws Exception {
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        Process process = new ProcessBuilder(java.toString(), "-XX:TieredStopAtLevel=1", "-Xshare:auto",
                "-cp", System.getProperty("java.class.path"), HaltingInstaller.class.getName(),
                host.root.getParent().toString(), Integer.toString(flavourIndex), command, step)
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.DISCARD)
                .start();
        if (!process.waitFor(60, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            throw new AssertionError("the halting installer did not finish: " + command + " " + step);
        }
        return process.exitValue();
    }
}
