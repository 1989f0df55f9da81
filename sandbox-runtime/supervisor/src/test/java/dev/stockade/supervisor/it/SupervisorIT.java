package dev.stockade.supervisor.it;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.stockade.api.node.ListenerMetadata;
import dev.stockade.api.profile.KernelIdentity;
import dev.stockade.testing.CommandResult;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The supervisor daemon answering real busybox containers run by the host's runc. */
class SupervisorIT {

    static final KernelIdentity GVISOR_LIKE = new KernelIdentity(null, "4.4.0", null, null).resolved();
    static final List<String> TRIPWIRES = List.of("mount", "umount2", "unshare", "setns", "keyctl", "add_key", "bpf",
            "ptrace", "init_module", "finit_module", "kexec_load", "open_by_handle_at", "perf_event_open",
            "userfaultfd", "pivot_root");

    @TempDir
    Path workDir;
    NotifiedContainers containers;

    @BeforeEach
    void rootfs() {
        containers = new NotifiedContainers(workDir);
    }

    private SupervisorProcess supervisor(String logName) {
        return SupervisorProcess.start(workDir.resolve("supervisor.sock"), workDir.resolve(logName), SupervisorProcess.freePort());
    }

    @Test
    void aContainerSeesTheProfilesKernelIdentityWhilePlainRuncShowsTheHosts() throws Exception {
        String hostRelease = Files.readString(Path.of("/proc/sys/kernel/osrelease")).strip();
        assertNotEquals("4.4.0", hostRelease, "the host itself runs 4.4.0: this test could not tell the difference");
        try (SupervisorProcess supervisor = supervisor("supervisor.log")) {
            ObjectNode spec = NotifiedContainers.notify(containers.spec("sh", "-c", "uname -r; uname -s; notify-probe uname"),
                    supervisor.socket, List.of("uname"), NotifiedContainers.metadata("team-a", "web-0", "app", GVISOR_LIKE));
            CommandResult sandboxed = containers.run(spec).requireSuccess();
            List<String> lines = sandboxed.stdout().lines().toList();
            assertEquals("4.4.0", lines.get(0), sandboxed.describe());
            assertEquals("Linux", lines.get(1), sandboxed.describe());
            assertEquals("Linux 4.4.0 x86_64 runc #1 SMP Sun Jan 10 15:06:54 PST 2016", lines.get(2),
                    "sysname, release, machine, the container's own hostname and version\n" + sandboxed.describe());
            assertTrue(counter(supervisor.metrics(), "stockade_supervisor_uname_emulated_total") >= 3, supervisor.metrics());
            assertTrue(counter(supervisor.metrics(), "stockade_supervisor_notifications_total") >= 3, supervisor.metrics());
            // The optional TCP endpoint serves the same series as the installer's socket.
            assertEquals(counter(supervisor.metrics(), "stockade_supervisor_uname_emulated_total"),
                    counter(supervisor.httpMetrics(), "stockade_supervisor_uname_emulated_total"), supervisor.httpMetrics());
            // The container exited: the supervisor drops its fd instead of spinning on ENOENT.
            supervisor.awaitLog("no task of team-a/web-0/app", 1, Duration.ofSeconds(10));
            assertEquals(0, counter(supervisor.metrics(), "stockade_supervisor_containers"));
        }
        CommandResult plain = containers.run(containers.spec("uname", "-r")).requireSuccess();
        assertEquals(hostRelease, plain.stdout().strip(), plain.describe());
    }

    @Test
    void unameIntoAReadOnlyPageFailsWithEfaultAndLeavesThePageAsTheKernelWould() {
        String plain = containers.run(containers.spec("notify-probe", "uname-readonly")).requireSuccess().stdout().strip();
        assertEquals("uname-readonly -1 EFAULT page unchanged", plain, "the kernel's own answer, without the supervisor");
        try (SupervisorProcess supervisor = supervisor("supervisor.log")) {
            ObjectNode spec = NotifiedContainers.notify(containers.spec("sh", "-c", "notify-probe uname-readonly; uname -r"),
                    supervisor.socket, List.of("uname"), NotifiedContainers.metadata("team-a", "web-0", "app", GVISOR_LIKE));
            CommandResult result = containers.run(spec).requireSuccess();
            assertEquals(List.of(plain, "4.4.0"), result.stdout().lines().toList(), result.describe());
        }
    }

    /** Annotations Kubernetes allows (under 256 KiB) become a larger listener message: runc escapes '<' as six bytes. */
    @Test
    void aContainerWithMebibytesOfAnnotationsIsAnsweredLikeAnyOther() {
        try (SupervisorProcess supervisor = supervisor("supervisor.log")) {
            ObjectNode spec = NotifiedContainers.notify(containers.spec("sh", "-c", "notify-probe uname; notify-probe call mount"),
                    supervisor.socket, List.of("uname", "mount"), NotifiedContainers.metadata("team-a", "web-0", "app", GVISOR_LIKE));
            spec.putObject("annotations")
                    .put("example.com/markup", "<".repeat(200 * 1024))
                    .put("example.com/blob", "x".repeat(3 << 20));
            CommandResult result = containers.run(spec).requireSuccess();
            assertEquals(List.of("Linux 4.4.0 x86_64 runc #1 SMP Sun Jan 10 15:06:54 PST 2016", "mount -1 EPERM"),
                    result.stdout().lines().toList(), result.describe());
            assertEquals(1, counter(supervisor.metrics(), "stockade_supervisor_tripwire_total{policy=\"tenants\",namespace=\"team-a\","
                    + "pod=\"web-0\",container=\"app\",syscall=\"mount\"}"), supervisor.metrics());
        }
    }

    @Test
    void everyTripwireSyscallIsDeniedAndRecordedWithThePodsIdentity() throws Exception {
        try (SupervisorProcess supervisor = supervisor("supervisor.log")) {
            StringBuilder script = new StringBuilder();
            TRIPWIRES.forEach(name -> script.append("notify-probe call ").append(name).append("; "));
            ObjectNode spec = NotifiedContainers.notify(containers.spec("sh", "-c", script.toString()), supervisor.socket,
                    TRIPWIRES, NotifiedContainers.metadata("team-a", "miner-7", "app", null));
            CommandResult result = containers.run(spec).requireSuccess();
            for (String name : TRIPWIRES) {
                assertTrue(result.stdout().lines().anyMatch(line -> line.equals(name + " -1 EPERM")),
                        name + " was not denied with EPERM:\n" + result.describe());
            }
            String metrics = supervisor.metrics();
            for (String name : TRIPWIRES) {
                assertEquals(1, counter(metrics, "stockade_supervisor_tripwire_total{policy=\"tenants\",namespace=\"team-a\","
                        + "pod=\"miner-7\",container=\"app\",syscall=\"" + name + "\"}"), name + " in\n" + metrics);
                assertTrue(supervisor.logLines().stream().anyMatch(line -> line.contains("\"event\":\"SandboxViolation\"")
                                && line.contains("\"syscall\":\"" + name + "\"") && line.contains("\"namespace\":\"team-a\"")
                                && line.contains("\"pod\":\"miner-7\"") && line.contains("\"container\":\"app\"")
                                && line.contains("\"policy\":\"tenants\"")),
                        "no log line for " + name + ":\n" + String.join("\n", supervisor.logLines()));
            }
        }
    }

    @Test
    void withoutPodIdentityInTheMetadataTheCriAnnotationsNameTheCulprit() {
        try (SupervisorProcess supervisor = supervisor("supervisor.log")) {
            ObjectNode spec = NotifiedContainers.notify(containers.spec("notify-probe", "call", "bpf"), supervisor.socket,
                    List.of("bpf"), new ListenerMetadata("tenants", "sandboxed", "", "", "", null));
            spec.putObject("annotations")
                    .put(dev.stockade.api.node.CriAnnotations.CONTAINERD_SANDBOX_NAMESPACE, "team-b")
                    .put(dev.stockade.api.node.CriAnnotations.CONTAINERD_SANDBOX_NAME, "job-42")
                    .put(dev.stockade.api.node.CriAnnotations.CONTAINERD_CONTAINER_NAME, "worker");
            CommandResult result = containers.run(spec).requireSuccess();
            assertEquals("bpf -1 EPERM", result.stdout().strip(), result.describe());
            assertEquals(1, counter(supervisor.metrics(), "stockade_supervisor_tripwire_total{policy=\"tenants\",namespace=\"team-b\","
                    + "pod=\"job-42\",container=\"worker\",syscall=\"bpf\"}"), supervisor.metrics());
        }
    }

    @Test
    void restartingTheSupervisorWhileAContainerCallsUnameFailsNoCall() throws Exception {
        SupervisorProcess first = supervisor("first.log");
        try (SupervisorProcess unused = first) {
            ObjectNode spec = NotifiedContainers.notify(containers.spec("notify-probe", "uname-loop", "8"), first.socket,
                    List.of("uname"), NotifiedContainers.metadata("team-a", "web-0", "app", GVISOR_LIKE));
            CompletableFuture<CommandResult> looping = CompletableFuture.supplyAsync(() -> containers.run(spec));
            first.awaitLog("answering team-a/web-0/app", 1, Duration.ofSeconds(30));
            Thread.sleep(1000);
            try (SupervisorProcess second = supervisor("second.log")) {
                second.awaitLog("took over 1 containers", 1, Duration.ofSeconds(30));
                assertEquals(0, first.awaitExit(Duration.ofSeconds(20)), String.join("\n", first.logLines()));
                CommandResult loop = looping.get();
                assertEquals(0, loop.exitCode(), loop.describe());
                assertTrue(loop.stdout().contains("failures=0") && loop.stdout().contains("release=4.4.0"), loop.describe());
                assertTrue(counter(second.metrics(), "stockade_supervisor_uname_emulated_total") > 0,
                        "the new supervisor answered none of the calls:\n" + second.metrics());
                System.out.println("restart during uname loop: " + loop.stdout().strip());
                // The listening socket was handed over too: a container started now is answered by the new process.
                CommandResult after = containers.run(NotifiedContainers.notify(containers.spec("uname", "-r"), second.socket,
                        List.of("uname"), NotifiedContainers.metadata("team-a", "web-1", "app", GVISOR_LIKE))).requireSuccess();
                assertEquals("4.4.0", after.stdout().strip(), after.describe());
            }
        }
    }

    /**
     * One container hammers mount(2) while another measures its uname latency. The bound asserted
     * (p99 under 50 ms) is far above what was measured here (see the printed figures and the
     * README); it catches starvation, not a regression of microseconds.
     */
    @Test
    void aContainerFloodingTripwiresDoesNotStarveAnothersUname() throws Exception {
        try (SupervisorProcess supervisor = supervisor("supervisor.log")) {
            ObjectNode quiet = NotifiedContainers.notify(containers.spec("notify-probe", "latency", "2000"), supervisor.socket,
                    List.of("uname"), NotifiedContainers.metadata("team-a", "quiet", "app", GVISOR_LIKE));
            Map<String, Long> alone = latency(containers.run(quiet).requireSuccess());

            ObjectNode flooder = NotifiedContainers.notify(containers.spec("notify-probe", "hammer", "mount", "8"), supervisor.socket,
                    List.of("mount"), NotifiedContainers.metadata("team-b", "flood", "app", null));
            CompletableFuture<CommandResult> flooding = CompletableFuture.supplyAsync(() -> containers.run(flooder));
            supervisor.awaitLog("answering team-b/flood/app", 1, Duration.ofSeconds(30));
            Thread.sleep(1000);
            ObjectNode quietAgain = NotifiedContainers.notify(containers.spec("notify-probe", "latency", "2000"), supervisor.socket,
                    List.of("uname"), NotifiedContainers.metadata("team-a", "quiet-2", "app", GVISOR_LIKE));
            CommandResult measured = containers.run(quietAgain).requireSuccess();
            Map<String, Long> underFlood = latency(measured);
            CommandResult flood = flooding.get();
            assertTrue(flood.stdout().contains("denied="), flood.describe());
            System.out.println("uname latency alone: " + alone + "; while another container floods mount(2): " + underFlood
                    + "; flooder: " + flood.stdout().strip());
            assertTrue(underFlood.get("p99_ns") < 50_000_000L, "uname p99 under flood " + underFlood + " (alone " + alone + ")");
            assertTrue(counter(supervisor.metrics(), "stockade_supervisor_tripwire_total{policy=\"tenants\",namespace=\"team-b\","
                    + "pod=\"flood\",container=\"app\",syscall=\"mount\"}") > 1000, supervisor.metrics());
            // Rate-limited: a handful of log lines, not one per call.
            long logged = supervisor.logLines().stream().filter(line -> line.contains("\"pod\":\"flood\"")).count();
            assertTrue(logged >= 1 && logged <= 3, logged + " log lines for the flood");
        }
    }

    private static Map<String, Long> latency(CommandResult result) {
        Matcher matcher = Pattern.compile("p50_ns=(\\d+) p99_ns=(\\d+) max_ns=(\\d+) release=4\\.4\\.0").matcher(result.stdout());
        assertTrue(matcher.find(), result.describe());
        return Map.of("p50_ns", Long.parseLong(matcher.group(1)), "p99_ns", Long.parseLong(matcher.group(2)),
                "max_ns", Long.parseLong(matcher.group(3)));
    }

    /** The value of the metric line starting with {@code series} (name and labels), 0 when absent. */
    static long counter(String metrics, String series) {
        return metrics.lines().filter(line -> line.startsWith(series + " "))
                .mapToLong(line -> Long.parseLong(line.substring(series.length() + 1).strip())).sum();
    }
}
