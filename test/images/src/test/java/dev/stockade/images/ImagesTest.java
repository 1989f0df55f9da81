package dev.stockade.images;

import dev.stockade.testing.CommandResult;
import dev.stockade.testing.HostPrerequisites;
import dev.stockade.testing.PrivateContainerd;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The image tars the build makes (with Jib, from scratch and a root assembled on the build machine)
 * imported into a real containerd and run: the JRE, its C library and the application inside work
 * with nothing from the host. What this does not show: a pull from a registry, or a run on a kubelet.
 */
class ImagesTest {

    private static final String INSTALLER = System.getProperty("stockade.installer.image");
    private static final String OPERATOR = System.getProperty("stockade.operator.image");

    private static Path work;
    private static PrivateContainerd containerd;

    @BeforeAll
    static void importImages() throws IOException {
        HostPrerequisites.requireRoot();
        Path installerTar = Path.of(System.getProperty("stockade.installer.image.tar"));
        Path operatorTar = Path.of(System.getProperty("stockade.operator.image.tar"));
        assertTrue(Files.exists(installerTar), "the build made no installer image at " + installerTar);
        assertTrue(Files.exists(operatorTar), "the build made no operator image at " + operatorTar);
        work = Files.createTempDirectory("stockade-images-");
        containerd = PrivateContainerd.start(work.resolve("containerd"));
        containerd.ctr("images", "import", installerTar.toString()).requireSuccess();
        containerd.ctr("images", "import", operatorTar.toString()).requireSuccess();
    }

    @AfterAll
    static void stop() throws IOException {
        if (containerd != null) {
            containerd.close();
        }
        // Two unpacked images (about 570 MiB): left behind, every build filled /tmp further.
        if (work != null) {
            try (Stream<Path> files = Files.walk(work)) {
                for (Path file : files.sorted(Comparator.reverseOrder()).toList()) {
                    Files.deleteIfExists(file);
                }
            }
        }
    }

    @Test
    void imagesCarryTheNamesFromTheBuild() {
        String images = containerd.ctr("images", "ls", "-q").requireSuccess().stdout();
        assertTrue(images.lines().anyMatch(INSTALLER::equals), images);
        assertTrue(images.lines().anyMatch(OPERATOR::equals), images);
    }

    @Test
    void installerImageRunsTheInstallerAndCarriesThePayload() {
        CommandResult help = run(INSTALLER, "installer-help",
                "java", "-cp", "@/app/jib-classpath-file", "dev.stockade.installer.InstallerMain", "--help");
        assertEquals(0, help.exitCode(), help.describe());
        assertTrue(help.stdout().contains("STOCKADE_HANDLERS"), help.stdout());

        // Only the shell's builtins: the image has no other tools.
        CommandResult payload = run(INSTALLER, "installer-payload", "sh", "-c",
                "read version < /opt/stockade-payload/VERSION; echo $version; "
                        + "[ -x /opt/stockade-payload/bin/stockade-runtime ] && [ -x /opt/stockade-payload/bin/stockade-spec-server ] "
                        + "&& [ -x /opt/stockade-payload/bin/stockade-supervisor ] && [ -x /opt/stockade-payload/jre/bin/java ] && echo executable; "
                        + "help=$(/usr/bin/nsenter --help 2>&1); case $help in *--cgroup*) echo nsenter-cgroup;; esac; "
                        + "[ -x /bin/kill ] && echo kill");
        // The installer enters the host's cgroup namespace (nsenter -C) and signals the runtime (kill).
        assertEquals(List.of(System.getProperty("stockade.version"), "executable", "nsenter-cgroup", "kill"),
                payload.stdout().lines().toList(), payload.describe());
    }

    @Test
    void operatorImageStartsTheOperatorAsNonRoot() throws Exception {
        Path log = work.resolve("operator.log");
        // No API server answers at this address: the operator gets as far as starting its controller.
        List<String> args = new ArrayList<>(List.of("run", "-d", "--log-uri", "file://" + log));
        args.addAll(containerd.privateRunOptions());
        args.addAll(List.of("--env", "KUBERNETES_MASTER=http://127.0.0.1:1", OPERATOR, "operator"));
        containerd.ctr(args.toArray(String[]::new)).requireSuccess();
        try {
            long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
            String output = "";
            while (System.nanoTime() < deadline && !output.contains("Starting 'sandboxpolicy' controller")) {
                Thread.sleep(500);
                output = Files.exists(log) ? Files.readString(log) : "";
            }
            assertTrue(output.contains("Starting 'sandboxpolicy' controller"), output);
            CommandResult user = containerd.ctr("containers", "info", "operator").requireSuccess();
            assertTrue(user.stdout().replaceAll("\\s", "").contains("\"uid\":65532"), "runs as 65532:\n" + user.stdout());
        } finally {
            containerd.ctr("task", "kill", "--signal", "SIGKILL", "operator");
            for (int i = 0; i < 50 && containerd.ctr("task", "delete", "operator").exitCode() != 0; i++) {
                Thread.sleep(100);
            }
            containerd.ctr("containers", "delete", "operator");
        }
    }

    private static CommandResult run(String image, String id, String... command) {
        return containerd.run(image, id, List.of(), command);
    }
}
