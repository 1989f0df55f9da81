package dev.stockade.supervisor.it;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.stockade.testing.CommandResult;
import dev.stockade.testing.Commands;
import dev.stockade.testing.HostPrerequisites;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The whole node path: the Stockade runtime payload (sandbox-runtime/target/payload) hardens a
 * CRI-shaped bundle for a profile with a kernel identity and tripwires, adds the listener because
 * the supervisor answers, and runc runs it; with the supervisor down the runtime refuses.
 */
class ThroughTheRuntimeIT {

    static final String PROFILE = "{\"kernelIdentity\":{\"release\":\"4.4.0\"},\"tripwireSyscalls\":[\"mount\",\"keyctl\",\"bpf\"]}";

    @TempDir
    Path workDir;
    NotifiedContainers containers;
    Path launcher;
    Path profile;

    @BeforeEach
    void setUp() throws Exception {
        containers = new NotifiedContainers(workDir);
        Path payload = Path.of(System.getProperty("stockade.payload", "../target/payload")).toAbsolutePath().normalize();
        launcher = payload.resolve("bin/stockade-runtime");
        HostPrerequisites.require(Files.isExecutable(launcher), "the runtime payload at " + payload + " (./mvnw -pl sandbox-runtime package)");
        profile = Files.writeString(workDir.resolve("gvisor-like.json"), PROFILE);
    }

    /** A bundle as containerd's CRI plugin writes it for container app of pod team-a/web-0. */
    private ObjectNode criSpec(String... args) {
        ObjectNode spec = containers.spec(args);
        spec.putObject("annotations")
                .put("io.kubernetes.cri.container-type", "container")
                .put("io.kubernetes.cri.sandbox-namespace", "team-a")
                .put("io.kubernetes.cri.sandbox-name", "web-0")
                .put("io.kubernetes.cri.container-name", "app");
        return spec;
    }

    private CommandResult runThroughStockade(ObjectNode spec, Path supervisorSocket) {
        Path bundle = containers.bundle(spec);
        return Commands.run(Duration.ofSeconds(90),
                Map.of("STOCKADE_PROFILE", profile.toString(), "STOCKADE_SUPERVISOR_SOCKET", supervisorSocket.toString(),
                        "STOCKADE_POLICY", "tenants"),
                List.of(launcher.toString(), "--root", containers.stateRoot.toString(), "--log", bundle.resolve("log.json").toString(),
                        "--log-format", "json", "run", "--bundle", bundle.toString(), NotifiedContainers.newId()));
    }

    @Test
    void theRuntimeRoutesUnameAndTripwiresToTheRunningSupervisor() {
        try (SupervisorProcess supervisor = SupervisorProcess.start(workDir.resolve("supervisor.sock"), workDir.resolve("supervisor.log"),
                SupervisorProcess.freePort())) {
            CommandResult result = runThroughStockade(criSpec("sh", "-c", "uname -r; notify-probe call mount; notify-probe call keyctl"),
                    supervisor.socket);
            assertEquals(0, result.exitCode(), result.describe());
            assertEquals(List.of("4.4.0", "mount -1 EPERM", "keyctl -1 EPERM"), result.stdout().lines().toList(), result.describe());
            String metrics = supervisor.metrics();
            for (String syscall : List.of("mount", "keyctl")) {
                assertEquals(1, SupervisorIT.counter(metrics, "stockade_supervisor_tripwire_total{policy=\"tenants\",namespace=\"team-a\","
                        + "pod=\"web-0\",container=\"app\",syscall=\"" + syscall + "\"}"), metrics);
            }
        }
        String hostRelease = containers.run(containers.spec("uname", "-r")).requireSuccess().stdout().strip();
        assertNotEquals("4.4.0", hostRelease);
    }

    @Test
    void aContainerWithMebibytesOfAnnotationsIsAnsweredAndOneBeyondWhatTheSupervisorReadsIsRefused() {
        try (SupervisorProcess supervisor = SupervisorProcess.start(workDir.resolve("supervisor.sock"), workDir.resolve("supervisor.log"),
                SupervisorProcess.freePort())) {
            ObjectNode large = criSpec("uname", "-r");
            ((ObjectNode) large.get("annotations")).put("example.com/markup", "<".repeat(200 * 1024)).put("example.com/blob", "x".repeat(3 << 20));
            CommandResult answered = runThroughStockade(large, supervisor.socket);
            assertEquals(0, answered.exitCode(), answered.describe());
            assertEquals("4.4.0", answered.stdout().strip(), answered.describe());

            // runc writes each '<' as six bytes: 3 Mi of them make an 18 MiB message, which the supervisor would drop.
            ObjectNode tooLarge = criSpec("uname", "-r");
            ((ObjectNode) tooLarge.get("annotations")).put("example.com/markup", "<".repeat(3 << 20));
            CommandResult refused = runThroughStockade(tooLarge, supervisor.socket);
            assertNotEquals(0, refused.exitCode(), refused.describe());
            assertTrue(refused.stdout().isEmpty(), "the container never ran: " + refused.describe());
            assertTrue(refused.stderr().contains("annotations: ") && refused.stderr().contains("(rule supervisor-required)")
                    && refused.stderr().contains("remove large annotations"), refused.describe());
        }
    }

    @Test
    void withTheSupervisorDownTheRuntimeRefusesTheContainerAndSaysWhy() throws Exception {
        Path absent = workDir.resolve("no-supervisor.sock");
        ObjectNode spec = criSpec("uname", "-r");
        CommandResult result = runThroughStockade(spec, absent);
        assertNotEquals(0, result.exitCode(), result.describe());
        assertTrue(result.stdout().isEmpty(), "the container never ran: " + result.describe());
        assertTrue(result.stderr().contains("supervisor-required") && result.stderr().contains(absent.toString()), result.describe());
        int bundleIndex = result.command().indexOf("--bundle");
        String log = Files.readString(Path.of(result.command().get(bundleIndex + 1), "log.json"));
        assertTrue(log.contains("\"level\":\"error\"") && log.contains("supervisor-required"), log);
    }
}
