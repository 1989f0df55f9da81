package dev.stockade.runtime.it;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.stockade.api.profile.Capabilities;
import dev.stockade.runtime.it.Containers.Runtime;
import dev.stockade.testing.CommandResult;
import dev.stockade.testing.Commands;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.UnaryOperator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Busybox containers run by runc directly, through the Stockade launcher of the built payload and
 * through plain runc for contrast. Writes target/attack-table.md, the README's side-by-side table.
 */
class RuncContainersIT {

    @TempDir
    static Path dir;
    static Containers containers;
    static Path untrusted;
    static Path fewPids;
    static final Map<String, String> TABLE = new TreeMap<>();

    @BeforeAll
    static void setUp() {
        containers = new Containers(dir);
        untrusted = containers.profile("untrusted", "{}");
        fewPids = containers.profile("few-pids", "{\"pidsLimit\":64}");
    }

    @AfterAll
    static void stopThePodSandbox() {
        if (sandboxPid != 0) {
            Commands.run(containers.runc.toString(), "--root", containers.stateRoot.toString(), "delete", "--force", SANDBOX_ID);
            sandboxPid = 0; // a subclass (through the spec server) starts its own
        }
    }

    @AfterAll
    static void writeTable() throws Exception {
        if (TABLE.isEmpty()) {
            return;
        }
        StringBuilder table = new StringBuilder("| attack | Stockade (default profile) | plain runc |\n| --- | --- | --- |\n");
        TABLE.forEach((attack, row) -> table.append("| ").append(attack).append(" | ").append(row).append(" |\n"));
        Files.writeString(Path.of("target/attack-table.md"), table.toString());
    }

    static CommandResult stockade(ObjectNode spec) {
        return containers.run(Runtime.STOCKADE, untrusted, spec);
    }

    private static CommandResult runc(ObjectNode spec) {
        return containers.run(Runtime.RUNC, null, spec);
    }

    private static String cell(CommandResult result) {
        String text = result.exitCode() == 0 ? result.stdout() : result.stderr() + result.stdout();
        text = text.strip().replace("\n", "; ").replace("|", "/");
        return (result.exitCode() == 0 ? "runs: " : "fails (exit " + result.exitCode() + "): ")
                + (text.length() > 160 ? text.substring(0, 160) + "…" : text);
    }

    private static void record(String attack, CommandResult stockade, CommandResult runc) {
        TABLE.put(attack, cell(stockade) + " | " + cell(runc));
    }

    // ---- normal programs ----

    @Test
    void shellOutputAndExitCodeAreExactlyRuncs() {
        ObjectNode spec = containers.spec("sh", "-c", "echo out; echo err >&2; exit 7");
        CommandResult viaStockade = stockade(spec);
        CommandResult viaRunc = runc(spec);
        assertEquals(7, viaStockade.exitCode(), viaStockade.describe());
        assertEquals("out\n", viaStockade.stdout());
        assertEquals("err\n", viaStockade.stderr());
        assertEquals(viaRunc.exitCode(), viaStockade.exitCode());
    }

    @Test
    void fileInputOutputWorks() {
        CommandResult result = stockade(containers.spec("sh", "-c",
                "echo data > /tmp/f && dd if=/dev/zero of=/tmp/big bs=4096 count=256 2>/dev/null && wc -c < /tmp/big && cat /tmp/f && mkdir -p /var/x && echo root-fs > /var/x/y && cat /var/x/y"));
        assertEquals(0, result.exitCode(), result.describe());
        assertEquals("1048576\ndata\nroot-fs\n", result.stdout());
    }

    /**
     * A pod's own seccomp profile still applies inside the sandbox: its refusal (here ENOSYS for
     * mkdir, as the pod asked) reaches the program exactly as under runc, and the sandbox's own
     * refusals stay.
     */
    @Test
    void aPodsOwnSeccompProfileStillApplies() throws Exception {
        ObjectNode spec = containers.spec("sh", "-c", "mkdir /tmp/d; echo mkdir=$?; probe unshare-user; echo unshare=$?");
        ((ObjectNode) spec.get("linux")).set("seccomp", Containers.JSON.readTree("""
                {"defaultAction": "SCMP_ACT_ALLOW", "architectures": ["SCMP_ARCH_X86_64"], "syscalls": [
                  {"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 38}]}
                """));
        CommandResult viaStockade = stockade(spec.deepCopy());
        CommandResult viaRunc = runc(spec.deepCopy());
        assertEquals(0, viaStockade.exitCode(), viaStockade.describe());
        assertTrue(viaStockade.stderr().contains("Function not implemented"), viaStockade.describe());
        assertTrue(viaStockade.stdout().startsWith("mkdir=1\n"), viaStockade.stdout());
        assertEquals(viaRunc.stdout().lines().findFirst(), viaStockade.stdout().lines().findFirst(), "mkdir fails as under runc");
        assertTrue(viaRunc.stdout().contains("unshare=0"), "the pod's profile alone lets unshare through: " + viaRunc.describe());
        assertTrue(viaStockade.stdout().contains("unshare=1"), "the sandbox's allowlist still refuses it: " + viaStockade.describe());
    }

    @Test
    void loopbackNetworkingWorks() {
        String netns = "stockade-it-" + ProcessHandle.current().pid();
        Commands.run("ip", "netns", "add", netns).requireSuccess();
        try {
            Commands.run("ip", "-n", netns, "link", "set", "lo", "up").requireSuccess();
            ObjectNode spec = containers.spec("sh", "-c",
                    "mkdir /tmp/www && echo hello-loopback > /tmp/www/index.html && httpd -p 127.0.0.1:8080 -h /tmp/www && wget -qO- http://127.0.0.1:8080/index.html");
            for (var namespace : spec.get("linux").get("namespaces")) {
                if (namespace.get("type").asText().equals("network")) {
                    ((ObjectNode) namespace).put("path", "/var/run/netns/" + netns);
                }
            }
            CommandResult result = stockade(spec);
            assertEquals(0, result.exitCode(), result.describe());
            assertEquals("hello-loopback\n", result.stdout());
        } finally {
            Commands.run("ip", "netns", "delete", netns);
        }
    }

    @Test
    void signalsAndDeathBySignalBehaveAsUnderRunc() {
        CommandResult trapped = stockade(containers.spec("sh", "-c",
                "trap 'echo trapped; exit 3' USR1; kill -USR1 $$; sleep 5"));
        assertEquals(3, trapped.exitCode(), trapped.describe());
        assertEquals("trapped\n", trapped.stdout());
        CommandResult terminated = stockade(containers.spec("sh", "-c", "sleep 10 & kill -TERM $!; wait $!; echo status=$?"));
        assertEquals("status=143\n", terminated.stdout(), terminated.describe());
        // The container's init (sh as pid 1) ignores signals it has no handler for, so a child dies by KILL.
        ObjectNode killed = containers.spec("sh", "-c", "sh -c 'kill -KILL $$'; exit $?");
        CommandResult viaStockade = stockade(killed);
        assertEquals(137, viaStockade.exitCode(), viaStockade.describe());
        assertEquals(runc(killed).exitCode(), viaStockade.exitCode());
    }

    /** A detached {@code sleep 30} container, created through Stockade with the environment of a profile, to exec into. */
    private record SleepingContainer(String id, Map<String, String> environment) {

        /**
         * {@code stockade-runtime --root <state> <args>} with the container's environment; with
         * {@code "sh", "-c", script} first, that command line is the script's "$0" "$@".
         */
        CommandResult stockade(String... args) {
            List<String> command = new ArrayList<>();
            if (args.length > 2 && args[0].equals("sh") && args[1].equals("-c")) {
                command.addAll(List.of(args).subList(0, 3));
                args = java.util.Arrays.copyOfRange(args, 3, args.length);
            }
            command.addAll(List.of(containers.payload.resolve("bin/stockade-runtime").toString(), "--root", containers.stateRoot.toString()));
            command.addAll(List.of(args));
            return Commands.run(java.time.Duration.ofSeconds(30), environment, command);
        }

        /** {@code process} written as an exec process file. */
        Path processFile(ObjectNode process) throws Exception {
            return Files.write(dir.resolve("process-" + id + ".json"), Containers.JSON.writeValueAsBytes(process));
        }
    }

    private interface ExecTest {
        void run(SleepingContainer container) throws Exception;
    }

    private static void withSleepingContainer(Path profile, ExecTest test) throws Exception {
        SleepingContainer container = new SleepingContainer(Containers.newId(), containers.launcherEnvironment(profile));
        Path bundle = containers.bundle(containers.spec("sleep", "30"));
        try {
            assertEquals(0, container.stockade("run", "--detach", "--bundle", bundle.toString(), container.id()).exitCode());
            test.run(container);
        } finally {
            container.stockade("kill", container.id(), "KILL");
            container.stockade("delete", "--force", container.id());
        }
    }

    @Test
    void execIntoARunningContainerIsHardenedToo() throws Exception {
        withSleepingContainer(untrusted, container -> {
            CommandResult plain = container.stockade("exec", container.id(), "sh", "-c", "echo from-exec; grep NoNewPrivs /proc/self/status");
            assertEquals(0, plain.exitCode(), plain.describe());
            assertEquals("from-exec\nNoNewPrivs:\t1\n", plain.stdout());

            ObjectNode process = (ObjectNode) containers.spec("sh", "-c", "grep -E '^(CapEff|NoNewPrivs|Seccomp):' /proc/self/status").get("process");
            CommandResult withProcess = container.stockade("exec", "--process", container.processFile(process).toString(), container.id());
            assertEquals(0, withProcess.exitCode(), withProcess.describe());
            assertTrue(withProcess.stdout().contains("NoNewPrivs:\t1"), withProcess.stdout());
            assertTrue(withProcess.stdout().contains("Seccomp:\t2"), withProcess.stdout());
            long effective = Long.parseLong(withProcess.stdout().lines().filter(l -> l.startsWith("CapEff")).findFirst()
                    .orElseThrow().split("\t")[1], 16);
            assertEquals(0, effective & (1L << 13), "CAP_NET_RAW must be gone from an exec'd process");

            process.with("capabilities").withArray("bounding").add("CAP_SYS_ADMIN");
            CommandResult escalating = container.stockade("exec", "--process", container.processFile(process).toString(), container.id());
            assertNotEquals(0, escalating.exitCode());
            assertTrue(escalating.stderr().contains("CAP_SYS_ADMIN"), escalating.describe());
        });
    }

    // ---- what the container inherits: fds, signal state, no JVM output ----

    /**
     * The same bundle through Stockade and through runc, both started by the same shell with an
     * extra fd and JAVA_TOOL_OPTIONS set: the container must see the same fds, the same signal mask
     * and ignored set (whatever the test JVM's own child inherits), and no JVM output.
     */
    @Test
    void preservedFdsSignalStateAndOutputAreIdenticalToRunc() {
        String script = "exec 3</etc/hostname; JAVA_TOOL_OPTIONS=-Dpicked=up exec $RUNTIME --root $STATE run --preserve-fds 1 --bundle %s %s";
        String inside = "for f in /proc/$$/fd/*; do printf '%s ' ${f##*/}; done; echo; readlink /proc/$$/fd/3; grep -E '^Sig(Blk|Ign):' /proc/self/status";
        CommandResult viaStockade = containers.shell(Runtime.STOCKADE, untrusted,
                script.formatted(containers.bundle(containers.spec("sh", "-c", inside)), Containers.newId()));
        CommandResult viaRunc = containers.shell(Runtime.RUNC, null,
                script.formatted(containers.bundle(containers.spec("sh", "-c", inside)), Containers.newId()));
        assertEquals(0, viaStockade.exitCode(), viaStockade.describe());
        assertEquals(viaRunc.stdout(), viaStockade.stdout());
        assertEquals("", viaStockade.stderr(), "no JVM output (Picked up JAVA_TOOL_OPTIONS…) may reach the container's streams");
        List<String> lines = viaStockade.stdout().lines().toList();
        assertEquals("/etc/hostname", lines.get(1), "the preserved fd 3 is the caller's, not something of the JVM's or runc's");
        assertEquals("SigBlk:\t0000000000000000", lines.get(2));
    }

    @Test
    void socketActivationFdsReachTheContainerAsUnderRunc() {
        String script = "exec 3</etc/hostname; export LISTEN_FDS=1 LISTEN_PID=$$; exec $RUNTIME --root $STATE run --bundle %s %s";
        String inside = "echo LISTEN_FDS=$LISTEN_FDS; readlink /proc/$$/fd/3; for f in /proc/$$/fd/*; do printf '%s ' ${f##*/}; done";
        CommandResult viaStockade = containers.shell(Runtime.STOCKADE, untrusted,
                script.formatted(containers.bundle(containers.spec("sh", "-c", inside)), Containers.newId()));
        CommandResult viaRunc = containers.shell(Runtime.RUNC, null,
                script.formatted(containers.bundle(containers.spec("sh", "-c", inside)), Containers.newId()));
        assertEquals(0, viaStockade.exitCode(), viaStockade.describe());
        assertTrue(viaStockade.stdout().startsWith("LISTEN_FDS=1\n/etc/hostname\n"), viaStockade.stdout());
        assertEquals(viaRunc.stdout(), viaStockade.stdout());
    }

    @Test
    void missingProfileFailsClosedInRuncLogFormat() throws Exception {
        CommandResult result = containers.run(Runtime.STOCKADE, null, containers.spec("true"));
        assertNotEquals(0, result.exitCode());
        assertTrue(result.stderr().contains("STOCKADE_PROFILE: is not set"), result.describe());
        String log = Files.readString(containers.log(result));
        assertTrue(log.startsWith("{\"level\":\"error\",\"msg\":\"stockade: container "), log);
    }

    /**
     * A launcher without its JRE: subcommands without a spec still work exactly like runc (so they
     * never start a JVM), while create fails closed with a message instead of running unchecked.
     */
    @Test
    void subcommandsWithoutSpecNeedNoJvmAndABrokenJvmFailsClosed() throws Exception {
        String launcher = containers.launcherWithoutJre().toString();
        Map<String, String> env = containers.launcherEnvironment(untrusted);
        String root = containers.stateRoot.toString();
        CommandResult state = Commands.run(java.time.Duration.ofSeconds(30), env, List.of(launcher, "--root", root, "state", "no-such-container"));
        CommandResult runcState = Commands.run(containers.runc.toString(), "--root", root, "state", "no-such-container");
        assertEquals(runcState.exitCode(), state.exitCode());
        assertEquals(runcState.stdout(), state.stdout());
        assertEquals(runcState.stderr().replaceAll("time=\"[^\"]*\"", ""), state.stderr().replaceAll("time=\"[^\"]*\"", ""));
        CommandResult version = Commands.run(java.time.Duration.ofSeconds(30), env, List.of(launcher, "--version"));
        assertEquals(Commands.run(containers.runc.toString(), "--version").stdout(), version.stdout());

        Path bundle = containers.bundle(containers.spec("true"));
        CommandResult create = Commands.run(java.time.Duration.ofSeconds(30), env,
                List.of(launcher, "--root", root, "--log", bundle.resolve("log.json").toString(), "create", "--bundle", bundle.toString(), Containers.newId()));
        assertEquals(1, create.exitCode(), create.describe());
        assertTrue(create.stderr().contains("the sandbox runtime failed"), create.describe());
        assertTrue(Files.readString(bundle.resolve("log.json")).contains("\"level\":\"error\""));
    }

    // ---- attacks: refused or failing under Stockade; the same under plain runc for contrast ----

    private static CommandResult attack(String name, ObjectNode spec, UnaryOperator<ObjectNode> change) {
        ObjectNode attacking = change.apply(spec);
        CommandResult viaStockade = stockade(attacking.deepCopy());
        record(name, viaStockade, runc(attacking.deepCopy()));
        return viaStockade;
    }

    private static void assertRefused(CommandResult result, String... expected) throws Exception {
        assertNotEquals(0, result.exitCode(), result.describe());
        String log = Files.readString(containers.log(result));
        for (String text : expected) {
            assertTrue(result.stderr().contains(text), result.describe());
            assertTrue(log.contains(text), log);
        }
        assertTrue(log.contains("sandbox profile untrusted"), log);
    }

    private static void assertProbeFails(CommandResult result, String probe, String error) {
        assertNotEquals(0, result.exitCode(), result.describe());
        assertEquals(probe + ": " + error + "\n", result.stdout(), result.describe());
    }

    @Test
    void hostRootMountIsRefused() throws Exception {
        CommandResult result = attack("bind mount of the host's / (`-v /:/host`)", containers.spec("cat", "/host/etc/hostname"), spec -> {
            ((ArrayNode) spec.get("mounts")).addObject().put("destination", "/host").put("type", "bind").put("source", "/")
                    .putArray("options").add("rbind").add("ro");
            return spec;
        });
        assertRefused(result, "host path / at /host", "rule host-mount");
    }

    /**
     * runc's Go decoder reads "Mounts" as mounts when "mounts" is absent; the checks read "mounts".
     * Before SpecKeys this container ran with the host's / at /host (a new user's trial).
     */
    @Test
    void aFieldSpeltInAnotherCaseIsRefused() throws Exception {
        CommandResult result = attack("bind mount of the host's / under the key `Mounts` (runc's decoder ignores case)",
                containers.spec("cat", "/host/etc/hostname"), spec -> {
                    ArrayNode mounts = (ArrayNode) spec.remove("mounts");
                    mounts.addObject().put("destination", "/host").put("type", "bind").put("source", "/").putArray("options").add("rbind").add("ro");
                    spec.set("Mounts", mounts);
                    return spec;
                });
        assertNotEquals(0, result.exitCode(), result.describe());
        assertTrue(result.stderr().contains("Mounts: the key 'Mounts' is not spelt as the OCI runtime spec spells 'mounts'")
                && result.stderr().contains("(rule spec)"), result.describe());
    }

    /** A pod's appArmorProfile Unconfined: refused before runc (this host has no AppArmor, so runc itself fails to apply it). */
    @Test
    void anUnconfinedAppArmorProfileIsRefused() throws Exception {
        CommandResult result = attack("`apparmorProfile: unconfined` (a pod's appArmorProfile Unconfined)", containers.spec("true"), spec -> {
            spec.with("process").put("apparmorProfile", "unconfined");
            return spec;
        });
        assertRefused(result, "process.apparmorProfile", "rule mac-label");
    }

    @Test
    void privilegedIsRefused() throws Exception {
        CommandResult result = attack("privileged container", containers.spec("grep", "CapEff", "/proc/self/status"), spec -> {
            ArrayNode all = Containers.JSON.createArrayNode();
            for (int cap = 0; cap <= 40; cap++) {
                all.add(capabilityName(cap));
            }
            for (String set : List.of("bounding", "effective", "permitted")) {
                spec.with("process").with("capabilities").set(set, all.deepCopy());
            }
            spec.with("linux").with("resources").putArray("devices").addObject().put("allow", true).put("access", "rwm");
            return spec;
        });
        assertRefused(result, "rule privileged");
    }

    @Test
    void hostPidNamespaceIsRefused() throws Exception {
        CommandResult result = attack("host PID namespace", containers.spec("cat", "/proc/1/comm"), spec -> {
            ArrayNode namespaces = (ArrayNode) spec.get("linux").get("namespaces");
            for (int i = namespaces.size() - 1; i >= 0; i--) {
                if (namespaces.get(i).get("type").asText().equals("pid")) {
                    namespaces.remove(i);
                }
            }
            return spec;
        });
        assertRefused(result, "host's pid namespace", "rule host-namespace");
    }

    /** An OCI prestart hook runs a host program as root in the host's namespaces: refused. */
    @Test
    void aHookRunningAHostProgramIsRefused() throws Exception {
        Path stockadeMarker = dir.resolve("hook-ran-under-stockade");
        Path runcMarker = dir.resolve("hook-ran-under-runc");
        CommandResult viaStockade = stockade(withPrestartHook(stockadeMarker));
        CommandResult viaRunc = runc(withPrestartHook(runcMarker));
        record("OCI prestart hook (touches a file on the host)", viaStockade, viaRunc);
        assertTrue(Files.exists(runcMarker), "under plain runc the hook runs on the host: " + viaRunc.describe());
        assertFalse(Files.exists(stockadeMarker), "under Stockade it must not run");
        assertRefused(viaStockade, "hooks.prestart[0].path", "rule hook");
    }

    private static ObjectNode withPrestartHook(Path marker) {
        ObjectNode spec = containers.spec("echo", "container ran");
        spec.with("hooks").withArray("prestart").addObject().put("path", "/bin/sh")
                .putArray("args").add("sh").add("-c").add("touch " + marker);
        return spec;
    }

    @Test
    void requestedSysAdminIsRefused() throws Exception {
        CommandResult result = attack("CAP_SYS_ADMIN requested", containers.spec("grep", "CapEff", "/proc/self/status"), spec -> {
            for (String set : List.of("bounding", "effective", "permitted")) {
                spec.with("process").with("capabilities").withArray(set).add("CAP_SYS_ADMIN");
            }
            return spec;
        });
        assertRefused(result, "CAP_SYS_ADMIN", "rule capabilities");
    }

    @Test
    void unshareOfUserNamespaceFails() {
        assertProbeFails(attack("unshare(CLONE_NEWUSER)", containers.spec("probe", "unshare-user"), s -> s),
                "unshare-user", "Operation not permitted");
    }

    @Test
    void unshareOfMountNamespaceFails() {
        assertProbeFails(attack("unshare(CLONE_NEWNS)", containers.spec("probe", "unshare-mount"), s -> s),
                "unshare-mount", "Operation not permitted");
    }

    @Test
    void mountThroughAUserNamespaceFails() {
        CommandResult result = attack("unshare(user+mount) then mount tmpfs", containers.spec("probe", "userns-mount"), s -> s);
        assertProbeFails(result, "unshare(user+mount)", "Operation not permitted");
    }

    @Test
    void mountSyscallFails() {
        assertProbeFails(attack("mount(2)", containers.spec("probe", "mount"), s -> s), "mount", "Operation not permitted");
    }

    @Test
    void keyctlFails() {
        assertProbeFails(attack("keyctl(2)", containers.spec("probe", "keyctl"), s -> s), "keyctl", "Operation not permitted");
    }

    @Test
    void bpfFails() {
        assertProbeFails(attack("bpf(2)", containers.spec("probe", "bpf"), s -> s), "bpf", "Operation not permitted");
    }

    @Test
    void ptraceFails() {
        assertProbeFails(attack("ptrace(2)", containers.spec("probe", "ptrace"), s -> s), "ptrace", "Operation not permitted");
    }

    @Test
    void procKcoreGivesNothing() {
        CommandResult result = attack("read /proc/kcore (containerd spec without its masked paths)", containers.spec("probe", "kcore"), spec -> {
            spec.with("linux").remove("maskedPaths");
            return spec;
        });
        assertNotEquals(0, result.exitCode(), result.describe());
        assertFalse(result.stdout().matches("kcore: read [1-9].*"), result.stdout());
    }

    @Test
    void forkBombHitsThePidsLimit() {
        ObjectNode spec = containers.spec("sh", "-c",
                "i=0; while [ $i -lt 200 ]; do sleep 10 & i=$((i+1)); done; echo started $i");
        CommandResult viaStockade = containers.run(Runtime.STOCKADE, fewPids, spec.deepCopy());
        CommandResult viaRunc = runc(spec.deepCopy());
        TABLE.put("fork bomb (200 processes; profile pidsLimit 64)", cell(viaStockade) + " | " + cell(viaRunc));
        assertFalse(viaStockade.stdout().contains("started 200"), viaStockade.describe());
        assertTrue(viaStockade.stderr().contains("can't fork") || viaStockade.stderr().contains("Resource temporarily unavailable"),
                viaStockade.describe());
    }

    /** The container's pids.max as its own cgroup shows it (cgroup v1 or v2). */
    private static String pidsMax(SleepingContainer container) {
        CommandResult result = container.stockade("exec", container.id(), "sh", "-c",
                "cat /sys/fs/cgroup/pids/pids.max 2>/dev/null || cat /sys/fs/cgroup/pids.max");
        assertEquals(0, result.exitCode(), result.describe());
        return result.stdout().strip();
    }

    /**
     * runc update, as containerd (the kubelet's in-place resize), Docker (docker update) and CRI-O
     * send it, writes new limits into a running container's cgroups: it must not lift the fork-bomb
     * guard, by option or through --resources on stdin, while CPU and memory updates still apply.
     */
    @Test
    void anUpdateCannotLiftThePidsLimitOfARunningContainer() throws Exception {
        withSleepingContainer(fewPids, container -> {
            assertEquals("64", pidsMax(container));
            CommandResult option = container.stockade("update", "--pids-limit", "100000", "--memory", "134217728", container.id());
            assertEquals(0, option.exitCode(), option.describe());
            assertEquals("64", pidsMax(container));
            CommandResult memory = container.stockade("exec", container.id(), "sh", "-c",
                    "cat /sys/fs/cgroup/memory/memory.limit_in_bytes 2>/dev/null || cat /sys/fs/cgroup/memory.max");
            assertEquals("134217728", memory.stdout().strip(), "the memory update applies: " + memory.describe());

            CommandResult stdin = container.stockade("sh", "-c", "printf '%s' '{\"pids\":{\"limit\":-1},\"cpu\":{\"shares\":256}}' | \"$0\" \"$@\"",
                    "update", "--resources", "-", container.id());
            assertEquals(0, stdin.exitCode(), stdin.describe());
            assertEquals("64", pidsMax(container), "-1 on stdin (no limit) must not lift the profile's limit");

            CommandResult procs = container.stockade("sh", "-c", "printf '%s' '{\"unified\":{\"cgroup.procs\":\"1\"}}' | \"$0\" \"$@\"",
                    "update", "--resources=-", container.id());
            assertNotEquals(0, procs.exitCode());
            assertTrue(procs.stderr().contains("cgroup.procs") && procs.stderr().contains("rule cgroup-files"), procs.describe());
            CommandResult rdt = container.stockade("update", "--l3-cache-schema", "L3:0=1", container.id());
            assertNotEquals(0, rdt.exitCode());
            assertTrue(rdt.stderr().contains("rule intel-rdt"), rdt.describe());
        });
    }

    // ---- what a hostile pod spec could still do (issue 11) ----

    static final String POD_UID = "7d3c9a1e-5b2f-4c8d-9e0a-1f2b3c4d5e6f";

    /** The kubelet's root directory of these tests, handed to the launcher as STOCKADE_KUBELET_ROOT. */
    static Path kubeletRoot() {
        return dir.resolve("kubelet");
    }

    /** An emptyDir volume of pod {@link #POD_UID}, where the kubelet would make it. */
    static Path podVolume(String name) throws Exception {
        return Files.createDirectories(kubeletRoot().resolve("pods/" + POD_UID + "/volumes/kubernetes.io~empty-dir/" + name));
    }

    /** The pod's sandbox: a container runc runs under the tests' --root, as containerd's CRI runs a pod's pause container. */
    static final String SANDBOX_ID = "5a4d0c3b2a1908f7e6d5c4b3a29180f7e6d5c4b3a2918f0e7d6c5b4a39281706";
    private static long sandboxPid;

    /** containerd's state directory of these tests, handed to the launcher as STOCKADE_ENGINE_DIRECTORIES. */
    static Path containerdState() {
        return dir.resolve("containerd-state");
    }

    /**
     * Starts the pod's sandbox once: a sleeping container, and the bundle containerd's CRI keeps
     * for it, whose spec names the pod's uid (io.kubernetes.cri.sandbox-uid). Returns its init's pid.
     */
    static synchronized long podSandbox() throws Exception {
        if (sandboxPid == 0) {
            ObjectNode spec = containers.spec("sleep", "3600");
            Path bundle = containers.bundle(spec);
            CommandResult created = Commands.run(java.time.Duration.ofSeconds(60), Map.of(), List.of("sh", "-c",
                    "\"$0\" --root \"$1\" create --bundle \"$2\" \"$3\" </dev/null >/dev/null 2>&1 && \"$0\" --root \"$1\" start \"$3\"",
                    containers.runc.toString(), containers.stateRoot.toString(), bundle.toString(), SANDBOX_ID));
            assertEquals(0, created.exitCode(), created.describe());
            String state = Commands.run(containers.runc.toString(), "--root", containers.stateRoot.toString(), "state", SANDBOX_ID)
                    .requireSuccess().stdout();
            sandboxPid = Containers.JSON.readTree(state).path("pid").asLong();
            ObjectNode recorded = spec.deepCopy();
            recorded.putObject("annotations").put("io.kubernetes.cri.container-type", "sandbox").put("io.kubernetes.cri.sandbox-id", SANDBOX_ID)
                    .put("io.kubernetes.cri.sandbox-uid", POD_UID);
            Path record = Files.createDirectories(containerdState().resolve("io.containerd.runtime.v2.task/k8s.io/" + SANDBOX_ID));
            Files.write(record.resolve("config.json"), Containers.JSON.writeValueAsBytes(recorded));
        }
        return sandboxPid;
    }

    /**
     * {@code run} of {@code spec} as a container of the pod, shaped as containerd's CRI shapes one:
     * it joins the sandbox's network namespace and names the sandbox; the launcher knows the
     * kubelet's root and containerd's state directory.
     */
    static CommandResult inPod(Runtime runtime, ObjectNode spec) {
        try {
            for (JsonNode namespace : spec.path("linux").path("namespaces")) {
                if (namespace.path("type").asText().equals("network")) {
                    ((ObjectNode) namespace).put("path", "/proc/" + podSandbox() + "/ns/net");
                }
            }
        } catch (Exception e) {
            throw new AssertionError("the pod sandbox did not start", e);
        }
        spec.putObject("annotations").put("io.kubernetes.cri.container-type", "container").put("io.kubernetes.cri.sandbox-id", SANDBOX_ID);
        return asContainerOfNoPod(runtime, spec);
    }

    /** {@code run} of {@code spec} as it is, with the launcher configured as for {@link #inPod}. */
    static CommandResult asContainerOfNoPod(Runtime runtime, ObjectNode spec) {
        Path bundle = containers.bundle(spec);
        Map<String, String> environment = new java.util.HashMap<>(runtime.environment(containers, untrusted));
        environment.put("STOCKADE_KUBELET_ROOT", kubeletRoot().toString());
        environment.put("STOCKADE_ENGINE_DIRECTORIES", "containerd:" + containerdState());
        List<String> command = new ArrayList<>(runtime.command(containers));
        command.addAll(List.of("--root", containers.stateRoot.toString(), "--log", bundle.resolve("log.json").toString(),
                "--log-format", "json", "run", "--bundle", bundle.toString(), Containers.newId()));
        return Commands.run(java.time.Duration.ofSeconds(60), environment, command);
    }

    /**
     * A container that is not in the pod mounts the pod's volume: runc mounts it, Stockade refuses,
     * even when the spec's annotations name the pod's sandbox and uid (docker and podman users
     * write annotations: a new user's trial of issue 10).
     */
    @Test
    void aContainerOutsideThePodGetsNoneOfItsVolumes() throws Exception {
        Path volume = podVolume("secrets");
        Files.writeString(volume.resolve("token"), "the pod's token\n");
        ObjectNode spec = containers.spec("cat", "/stolen/token");
        ((ArrayNode) spec.get("mounts")).add(bind("/stolen", volume, "rbind", "rprivate", "ro"));
        podSandbox();
        spec.putObject("annotations").put("io.kubernetes.cri.sandbox-id", SANDBOX_ID).put("io.kubernetes.cri.sandbox-uid", POD_UID);
        String field = "mounts[" + mountIndex(spec, "/stolen") + "].source";
        CommandResult viaRunc = asContainerOfNoPod(Runtime.RUNC, spec.deepCopy());
        assertEquals("the pod's token\n", viaRunc.stdout(), viaRunc.describe());
        CommandResult viaStockade = asContainerOfNoPod(Runtime.STOCKADE, spec.deepCopy());
        assertRefused(viaStockade, field, "rule host-mount", "belongs to pod " + POD_UID,
                "joins the network namespace of no pod sandbox");
        record("a pod's volume mounted by a container outside the pod, whose annotations name the pod's sandbox and uid", viaStockade,
                viaRunc);
        // The same spec as a member of the pod (in the sandbox's network namespace) reads it.
        CommandResult member = inPod(Runtime.STOCKADE, spec.deepCopy());
        assertEquals("the pod's token\n", member.stdout(), member.describe());
    }

    static ObjectNode bind(String destination, Path source, String... options) {
        ObjectNode mount = Containers.JSON.createObjectNode().put("destination", destination).put("type", "bind")
                .put("source", source.toString());
        ArrayNode array = mount.putArray("options");
        for (String option : options.length == 0 ? new String[] {"rbind", "rprivate", "rw"} : options) {
            array.add(option);
        }
        return mount;
    }

    /**
     * A bind source inside a pod volume that a container of the pod swaps, between a link to a
     * directory of the volume and a link to /, while containers are created (the swap is one
     * rename, so the source always exists): whatever was checked must be what runc mounts, so the
     * host's / never shows.
     */
    @Test
    void aBindSourceSwappedForALinkToTheHostsRootNeverMountsIt() throws Exception {
        Path volume = podVolume("swapped");
        Path inside = Files.createDirectories(volume.resolve("inside"));
        Path sub = volume.resolve("sub");
        ObjectNode spec = containers.spec("sh", "-c", "if [ -e /data/usr/sbin/runc ]; then echo host-root-visible; else echo volume; fi");
        ((ArrayNode) spec.get("mounts")).add(bind("/data", sub, "bind", "ro"));
        Files.createSymbolicLink(sub, Path.of("/"));
        CommandResult viaRunc = inPod(Runtime.RUNC, spec.deepCopy());

        java.util.concurrent.atomic.AtomicBoolean stop = new java.util.concurrent.atomic.AtomicBoolean();
        Thread swapper = Thread.ofPlatform().start(() -> {
            Path next = volume.resolve("sub.next");
            for (int round = 0; !stop.get(); round++) {
                try {
                    Files.deleteIfExists(next);
                    Files.createSymbolicLink(next, round % 2 == 0 ? inside : Path.of("/"));
                    Files.move(next, sub, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
                    Thread.sleep(2);
                } catch (java.io.IOException | InterruptedException e) {
                    throw new IllegalStateException(e);
                }
            }
        });
        List<CommandResult> creates = new ArrayList<>();
        try {
            for (int i = 0; i < 60; i++) {
                creates.add(inPod(Runtime.STOCKADE, spec.deepCopy()));
            }
        } finally {
            stop.set(true);
            swapper.join();
        }
        long refusedCreates = creates.stream().filter(r -> r.exitCode() != 0 && r.stderr().contains("rule host-mount")).count();
        TABLE.put("bind source inside a pod volume, swapped between a directory and a link to / during 60 creates", "refused in "
                + refusedCreates + " of 60 creates (rule host-mount), the host's / never mounted | " + cell(viaRunc) + " (the link alone)");
        assertEquals("host-root-visible\n", viaRunc.stdout(), "runc follows the link: " + viaRunc.describe());
        List<String> hostRoot = creates.stream().filter(r -> r.stdout().contains("host-root-visible")).map(CommandResult::describe).toList();
        assertEquals(List.of(), hostRoot, "the host's / was mounted in " + hostRoot.size() + " of 60 creates");
        for (CommandResult create : creates) {
            assertRefused(create, "mounts[" + (spec.get("mounts").size() - 1) + "].source", "rule host-mount");
        }
        ObjectNode wholeVolume = containers.spec("ls", "/data");
        ((ArrayNode) wholeVolume.get("mounts")).add(bind("/data", volume, "bind", "ro"));
        CommandResult mounted = inPod(Runtime.STOCKADE, wholeVolume);
        assertEquals(0, mounted.exitCode(), "the volume itself still mounts: " + mounted.describe());
        assertTrue(mounted.stdout().contains("inside\n"), mounted.describe());
    }

    /**
     * An engine's binary as a hook runs as root on the host with whatever arguments the spec
     * gives: only the exact hooks the engines add pass.
     */
    @Test
    void anEngineBinaryAsAHookWithOtherArgumentsIsRefused() throws Exception {
        ObjectNode spec = containers.spec("echo", "container ran");
        spec.with("hooks").withArray("prestart").addObject().put("path", "/usr/bin/containerd")
                .putArray("args").add("containerd").add("--anything");
        CommandResult viaStockade = stockade(spec.deepCopy());
        CommandResult viaRunc = runc(spec.deepCopy());
        record("prestart hook running `containerd --anything` on the host", viaStockade, viaRunc);
        assertTrue(viaRunc.stderr().contains("flag provided but not defined: -anything"), "runc runs containerd: " + viaRunc.describe());
        assertRefused(viaStockade, "hooks.prestart[0]", "rule hook");
    }

    /**
     * Docker's own network hook, as Docker 20.10 writes it: /proc/&lt;dockerd&gt;/exe with
     * libnetwork-setkey, the exec root, the container's id and the controller's short id. A fake
     * dockerd lies in /usr/local/sbin of a private mount namespace; it records how the hook ran it.
     */
    @Test
    void dockersNetworkHookStillRuns() throws Exception {
        Path marker = dir.resolve("setkey-args");
        Path source = dir.resolve("fake-dockerd.c");
        Files.writeString(source, """
                #include <stdio.h>
                #include <string.h>
                #include <unistd.h>
                int main(int argc, char **argv) {
                    if (strcmp(argv[0], "libnetwork-setkey") != 0) {
                        pause();
                        return 0;
                    }
                    FILE *out = fopen(MARKER, "w");
                    for (int i = 0; i < argc; i++) fprintf(out, "%s\\n", argv[i]);
                    return fclose(out) == 0 ? 0 : 1;
                }
                """);
        Path fake = dir.resolve("fake-dockerd");
        Commands.run("gcc", "-static", "-O2", "-DMARKER=\"" + marker + "\"", "-o", fake.toString(), source.toString()).requireSuccess();
        String containerId = "8f".repeat(32);
        ObjectNode spec = containers.spec("echo", "container ran");
        spec.with("hooks").withArray("prestart").addObject().put("path", "/proc/DOCKERD/exe")
                .putArray("args").add("libnetwork-setkey").add("-exec-root=/var/run/docker").add(containerId).add("0bf16d27a1b4");
        Path bundle = containers.bundle(spec);
        Map<String, String> environment = new java.util.HashMap<>(containers.launcherEnvironment(untrusted));
        // This test's own JVM runs in the private mount namespace; a spec server would not see the fake.
        environment.put("STOCKADE_SPEC_SERVER", dir.resolve("no-spec-server").toString());
        String script = "mount -t tmpfs -o size=4m tmpfs /usr/local/sbin && cp %s /usr/local/sbin/dockerd && { /usr/local/sbin/dockerd & }"
                + " && pid=$! && sed -i \"s|/proc/DOCKERD/exe|/proc/$pid/exe|\" %s/config.json"
                + " && %s --root %s --log %s/log.json --log-format json run --bundle %s %s; status=$?; kill $pid; exit $status";
        CommandResult result = Commands.run(java.time.Duration.ofSeconds(60), environment, List.of("unshare", "--mount", "sh", "-c",
                script.formatted(fake, bundle, containers.payload.resolve("bin/stockade-runtime"), containers.stateRoot, bundle, bundle,
                        Containers.newId())));
        assertEquals(0, result.exitCode(), result.describe());
        assertEquals("container ran\n", result.stdout());
        assertEquals("libnetwork-setkey\n-exec-root=/var/run/docker\n" + containerId + "\n0bf16d27a1b4\n", Files.readString(marker));
    }

    /** The spec without runc's /dev tmpfs and the mounts under it; {@code replacement} (if any) takes /dev's place. */
    static ObjectNode withDevReplacedBy(ObjectNode spec, ObjectNode replacement) {
        ArrayNode mounts = (ArrayNode) spec.get("mounts");
        for (int i = mounts.size() - 1; i >= 0; i--) {
            String destination = mounts.get(i).get("destination").asText();
            if (destination.equals("/dev")) {
                if (replacement == null) {
                    mounts.remove(i);
                } else {
                    mounts.set(i, replacement);
                }
            } else if (destination.startsWith("/dev/")) {
                mounts.remove(i);
            }
        }
        return spec;
    }

    /** What Stockade and plain runc did with the same container of the pod. */
    record Outcomes(CommandResult stockade, CommandResult runc) {
    }

    /** {@code spec} as a container of the pod under Stockade and under plain runc, recorded for the table. */
    static Outcomes podAttack(String name, ObjectNode spec) {
        Outcomes outcomes = new Outcomes(inPod(Runtime.STOCKADE, spec.deepCopy()), inPod(Runtime.RUNC, spec.deepCopy()));
        record(name, outcomes.stockade(), outcomes.runc());
        return outcomes;
    }

    static int mountIndex(ObjectNode spec, String destination) {
        ArrayNode mounts = (ArrayNode) spec.get("mounts");
        for (int i = 0; i < mounts.size(); i++) {
            if (mounts.get(i).get("destination").asText().equals(destination)) {
                return i;
            }
        }
        throw new AssertionError("no mount at " + destination);
    }

    /**
     * CVE-2025-31133: runc masks /proc/keys, /proc/timer_list… by bind-mounting the container's
     * /dev/null over them. A pod volume at /dev decides what that is: here a link to a file of the
     * image, which then stands in for those /proc files, writable.
     */
    @Test
    void aPodVolumeOverDevWhoseNullIsALinkIsRefused() throws Exception {
        Path volume = podVolume("dev");
        Files.createSymbolicLink(volume.resolve("null"), Path.of("/canary-dev"));
        Files.writeString(containers.rootfs.resolve("canary-dev"), "canary\n");
        ObjectNode spec = withDevReplacedBy(containers.spec("sh", "-c", "echo written > /proc/keys; cat /proc/timer_list"),
                bind("/dev", volume));
        Outcomes outcomes = podAttack("pod volume at /dev whose `null` links to a file (CVE-2025-31133)", spec);
        assertEquals("written\n", outcomes.runc().stdout(),
                "runc masks /proc/keys and /proc/timer_list with the file, writable: " + outcomes.runc().describe());
        assertRefused(outcomes.stockade(), "mounts[" + mountIndex(spec, "/dev") + "].destination", "rule mount-destination");
    }

    /**
     * The same with no /dev mount at all: runc keeps the image's own /dev/null, a link here. (runc
     * also reopens the container's stdio from that /dev/null, so what it wrote is read on the host;
     * the container must not read the file to its stdout, which would then be the same file.)
     */
    @Test
    void anImageWhoseDevNullIsALinkIsRefused() throws Exception {
        Path rootfs = dir.resolve("rootfs-dev-null-link");
        Commands.run("cp", "-a", containers.rootfs.toString(), rootfs.toString()).requireSuccess();
        Files.deleteIfExists(rootfs.resolve("dev/null"));
        Files.createSymbolicLink(rootfs.resolve("dev/null"), Path.of("/canary-image"));
        Path canary = Files.writeString(rootfs.resolve("canary-image"), "canary\n");
        ObjectNode spec = withDevReplacedBy(containers.spec("sh", "-c", "echo written > /proc/keys"), null);
        spec.with("root").put("path", rootfs.toString());
        CommandResult viaStockade = stockade(spec.deepCopy());
        assertEquals("canary\n", Files.readString(canary));
        CommandResult viaRunc = runc(spec.deepCopy());
        TABLE.put("image whose /dev/null is a link to a file, no /dev mount (CVE-2025-31133)", cell(viaStockade) + " | "
                + cell(viaRunc) + " /proc/keys is the image's file: it now reads " + Files.readString(canary).lines().findFirst().orElse(""));
        assertTrue(Files.readString(canary).startsWith("written\n"), "runc masks /proc/keys with the link's target: " + viaRunc.describe());
        assertRefused(viaStockade, "root.path", "/dev/null", "rule rootfs");
    }

    /**
     * CVE-2025-52565: runc bind-mounts the container's terminal from /dev/pts; a pod volume there
     * decides what /dev/pts/N is (here a link to a /proc file).
     */
    @Test
    void aPodVolumeOverDevPtsIsRefused() throws Exception {
        Path volume = podVolume("pts");
        Files.createSymbolicLink(volume.resolve("0"), Path.of("/proc/sys/kernel/core_pattern"));
        ObjectNode spec = containers.spec("ls", "/dev/pts");
        ((ArrayNode) spec.get("mounts")).set(mountIndex(spec, "/dev/pts"), bind("/dev/pts", volume));
        Outcomes outcomes = podAttack("pod volume at /dev/pts (CVE-2025-52565)", spec);
        assertEquals("0\n", outcomes.runc().stdout(), "under runc /dev/pts is the pod's volume: " + outcomes.runc().describe());
        assertRefused(outcomes.stockade(), "mounts[" + mountIndex(spec, "/dev/pts") + "].destination", "rule mount-destination");
    }

    /** CVE-2025-52881: runc writes sysctls and masks through /proc; a tmpfs over /proc/sys takes those writes. */
    @Test
    void aTmpfsOverProcSysIsRefused() throws Exception {
        ObjectNode spec = containers.spec("grep", " /proc/sys ", "/proc/mounts");
        ((ArrayNode) spec.get("mounts")).addObject().put("destination", "/proc/sys").put("type", "tmpfs").put("source", "tmpfs")
                .putArray("options").add("nosuid");
        CommandResult viaStockade = stockade(spec.deepCopy());
        CommandResult viaRunc = runc(spec.deepCopy());
        record("tmpfs over /proc/sys (CVE-2025-52881)", viaStockade, viaRunc);
        assertTrue(viaRunc.stdout().startsWith("tmpfs /proc/sys tmpfs"), "under runc /proc/sys is a tmpfs: " + viaRunc.describe());
        assertRefused(viaStockade, "mounts[" + mountIndex(spec, "/proc/sys") + "].destination", "rule mount-destination");
    }

    /**
     * A volume nested inside a pod volume that another container of the pod writes (the family of
     * CVE-2025-52881): container A, allowed, makes b in the shared emptyDir a link to /dev;
     * runc 1.1.5 looks /a/b up when it mounts container B's second volume, follows the link and
     * puts the volume over B's /dev, although B mounts the emptyDir read-only. On a runc without
     * the fixes Stockade refuses the nesting itself, before any link is there too, since A can make
     * one between the check and the mount.
     */
    @Test
    void aVolumeInsideAVolumeAnotherContainerWritesIsRefusedOnThisRunc() throws Exception {
        Path shared = podVolume("shared");
        Files.createDirectory(shared.resolve("b"));
        Path inner = podVolume("inner");
        Files.writeString(inner.resolve("marker"), "from the inner volume\n");
        ObjectNode containerB = containers.spec("cat", "/dev/marker");
        ((ArrayNode) containerB.get("mounts")).add(bind("/a", shared, "rbind", "rprivate", "ro")).add(bind("/a/b", inner));
        String field = "mounts[" + mountIndex(containerB, "/a/b") + "].destination";
        assertRefused(inPod(Runtime.STOCKADE, containerB.deepCopy()), field, "rule nested-mount");

        ObjectNode containerA = containers.spec("sh", "-c", "rmdir /a/b && ln -s /dev /a/b && echo planted");
        ((ArrayNode) containerA.get("mounts")).add(bind("/a", shared));
        CommandResult planted = inPod(Runtime.STOCKADE, containerA);
        assertEquals("planted\n", planted.stdout(), "a container of the pod may write its volume: " + planted.describe());
        assertEquals(Path.of("/dev"), Files.readSymbolicLink(shared.resolve("b")));

        Outcomes outcomes = podAttack("pod volume at `/a/b` inside an emptyDir at `/a` (read-only here) in which another container of the pod "
                + "made `b` a link to `/dev` (CVE-2025-52881 family)", containerB);
        assertEquals("from the inner volume\n", outcomes.runc().stdout(), "runc mounts the inner volume over /dev: " + outcomes.runc().describe());
        assertRefused(outcomes.stockade(), field, "rule nested-mount", "runc 1.1.5", "upgrade runc to 1.2.8, 1.3.3 or 1.4.0-rc.3 or later");
    }

    /**
     * What the kubelet and the container runtime put under /dev still works: the termination log
     * (a file of the kubelet's pod directory) and /dev/shm as a pod volume (emptyDir, medium Memory).
     */
    @Test
    void theKubeletsTerminationLogAndAShmVolumeUnderDevStillWork() throws Exception {
        Path shm = podVolume("dshm");
        Files.writeString(shm.resolve("from-the-pod"), "");
        Path terminationLog = Files.createDirectories(kubeletRoot().resolve("pods/" + POD_UID + "/containers/app")).resolve("5f2a9c1d");
        Files.writeString(terminationLog, "");
        ObjectNode spec = containers.spec("sh", "-c", "echo finished > /dev/termination-log && ls /dev/shm && cat /dev/null");
        ArrayNode mounts = (ArrayNode) spec.get("mounts");
        mounts.set(mountIndex(spec, "/dev/shm"), bind("/dev/shm", shm));
        mounts.add(bind("/dev/termination-log", terminationLog));
        CommandResult result = inPod(Runtime.STOCKADE, spec);
        assertEquals(0, result.exitCode(), result.describe());
        assertEquals("from-the-pod\n", result.stdout());
        assertEquals("finished\n", Files.readString(terminationLog));
    }

    // ---- what the kernel lets a container reach ----

    private static Path profileWithDefaultCapabilitiesAnd(String name, String capability) {
        return containers.profile(name, "{\"allowedCapabilities\":[\"CHOWN\",\"DAC_OVERRIDE\",\"FOWNER\",\"FSETID\",\"KILL\",\"SETGID\","
                + "\"SETUID\",\"SETPCAP\",\"NET_BIND_SERVICE\",\"" + capability + "\"]}");
    }

    private static void assertEveryLineEndsWith(CommandResult result, int lines, String error) {
        List<String> output = result.stdout().lines().toList();
        assertEquals(lines, output.size(), result.describe());
        output.forEach(line -> assertTrue(line.endsWith(": " + error), line + "\n" + result.describe()));
    }

    /** This machine is a VM with a vsock device: under runc a container reaches the hypervisor's sockets. */
    @Test
    void vsockSocketsFailAlsoWithTheHighHalfOfTheArgumentSet() {
        CommandResult result = attack("socket(AF_VSOCK); also as 0x100000028 (the kernel reads the low 32 bits)",
                containers.spec("sh", "-c", "probe socket vsock; probe socket-raw 0x100000028"), s -> s);
        assertEquals("vsock: Address family not supported by protocol\nsocket(0x100000028): Address family not supported by protocol\n",
                result.stdout(), result.describe());
    }

    /** Packet and XDP sockets need NET_RAW, which the default profile drops; the rest are rarely built or used at all. */
    @Test
    void rarelyUsedSocketFamiliesFailAsOnAKernelBuiltWithoutThem() {
        CommandResult result = attack("socket(AF_PACKET / AF_XDP / AF_ALG / AF_LLC / AF_TIPC / AF_RDS / AF_KEY / AF_CAN / AF_BLUETOOTH)",
                containers.spec("probe", "socket", "packet", "xdp", "alg", "llc", "tipc", "rds", "key", "can", "bluetooth"), s -> s);
        assertEveryLineEndsWith(result, 9, "Address family not supported by protocol");
    }

    @Test
    void netlinkProtocolsButRoutingFailAsOnAKernelBuiltWithoutThem() {
        CommandResult result = attack("netlink AUDIT / SOCK_DIAG / NETFILTER / KOBJECT_UEVENT / GENERIC / XFRM sockets",
                containers.spec("probe", "socket", "netlink-audit", "netlink-sock-diag", "netlink-netfilter", "netlink-kobject-uevent",
                        "netlink-generic", "netlink-xfrm"), s -> s);
        assertEveryLineEndsWith(result, 6, "Protocol not supported");
    }

    @Test
    void unixInetAndRoutingNetlinkSocketsWorkAndIpListsTheInterfaces() {
        CommandResult result = stockade(containers.spec("sh", "-c",
                "probe socket unix inet inet6 netlink-route && probe socketpair unix && ip addr show lo"));
        assertEquals(0, result.exitCode(), result.describe());
        assertTrue(result.stdout().startsWith("unix: ok\ninet: ok\ninet6: ok\nnetlink-route: ok\nunix: ok\n1: lo: <LOOPBACK"), result.stdout());
        assertTrue(result.stdout().contains("inet 127.0.0.1/8 scope host lo"), result.stdout());
    }

    @Test
    void aProfileOpensASocketFamilyOrNetlinkProtocolByItsKernelName() {
        Path profile = containers.profile("vsock-and-audit", "{\"allowedSocketFamilies\":[\"AF_VSOCK\",\"NETLINK_AUDIT\"]}");
        CommandResult result = containers.run(Runtime.STOCKADE, profile,
                containers.spec("probe", "socket", "vsock", "netlink-audit", "netlink-sock-diag", "packet"));
        assertEquals("vsock: ok\nnetlink-audit: ok\nnetlink-sock-diag: Protocol not supported\npacket: Address family not supported by protocol\n",
                result.stdout(), result.describe());
    }

    @Test
    void aProfileNamingNoSocketFamilyOfTheKernelRefusesEveryContainer() throws Exception {
        Path profile = containers.profile("wifi", "{\"allowedSocketFamilies\":[\"AF_WIFI\"]}");
        CommandResult result = containers.run(Runtime.STOCKADE, profile, containers.spec("true"));
        assertEquals(1, result.exitCode(), result.describe());
        assertTrue(result.stderr().contains("cannot read sandbox profile " + profile + " (allowedSocketFamilies has no value AF_WIFI; "
                + "the kernel's names are [AF_UNIX, AF_INET"), result.describe());
    }

    /** What ZGC and NUMA-aware programs, OpenSSL's secure heap, self-sandboxing programs and systemd's tools call. */
    @Test
    void numaPolicyProtectionKeysLandlockFileHandlesAndTheClocksStateWorkAsUnderRunc() {
        ObjectNode spec = containers.spec("sh", "-c", "probe mempolicy; probe pkey; probe name-to-handle /; probe adjtimex; probe landlock");
        CommandResult viaStockade = stockade(spec.deepCopy());
        CommandResult viaRunc = runc(spec.deepCopy());
        assertEquals(viaRunc.stdout(), viaStockade.stdout(), viaStockade.describe());
        assertFalse(viaStockade.stdout().contains("Operation not permitted"), viaStockade.stdout());
        assertTrue(viaStockade.stdout().contains("get_mempolicy: ok\nset_mempolicy: ok\nmbind: ok\n"), viaStockade.stdout());
        assertTrue(viaStockade.stdout().contains("name_to_handle_at: ok\nadjtimex (read): ok\n"), viaStockade.stdout());
    }

    /** sshd's pre-authentication child chroots into /run/sshd; the default profile drops SYS_CHROOT. */
    @Test
    void chrootWorksWhenTheProfileAllowsSysChroot() {
        ObjectNode spec = containers.spec("probe", "chroot", "/tmp");
        assertEquals("chroot: Operation not permitted\n", stockade(spec.deepCopy()).stdout());
        CommandResult allowed = containers.run(Runtime.STOCKADE, profileWithDefaultCapabilitiesAnd("chroot", "SYS_CHROOT"), spec.deepCopy());
        assertEquals("chroot: ok\n", allowed.stdout(), allowed.describe());
    }

    /** strace, gdb and ASan's leak checker trace the container's own processes. */
    @Test
    void ptraceWorksWhenTheProfileAllowsSysPtraceAndThePodAsksForIt() {
        Path profile = profileWithDefaultCapabilitiesAnd("ptrace", "SYS_PTRACE");
        ObjectNode notAsked = containers.spec("probe", "trace-child");
        assertEquals("ptrace: Operation not permitted\n", containers.run(Runtime.STOCKADE, profile, notAsked.deepCopy()).stdout());
        ObjectNode asked = notAsked.deepCopy();
        for (String set : List.of("bounding", "effective", "permitted")) {
            asked.with("process").with("capabilities").withArray(set).add("CAP_SYS_PTRACE");
        }
        CommandResult result = containers.run(Runtime.STOCKADE, profile, asked);
        assertEquals("ptrace: ok\nprocess_vm_readv: ok\n", result.stdout(), result.describe());
    }

    /** In Kubernetes' safe set since v1.32. */
    @Test
    void tcpBufferSysctlsOfTheKubernetesSafeSetAreAllowed() {
        ObjectNode spec = containers.spec("cat", "/proc/sys/net/ipv4/tcp_rmem", "/proc/sys/net/ipv4/tcp_wmem");
        spec.with("linux").with("sysctl").put("net.ipv4.tcp_rmem", "4096 131072 6291456").put("net.ipv4.tcp_wmem", "4096 20480 4194304");
        CommandResult result = stockade(spec);
        assertEquals("4096\t131072\t6291456\n4096\t20480\t4194304\n", result.stdout(), result.describe());
    }

    /**
     * Debian's ping carries cap_net_raw as a file capability: with NET_RAW outside the container's
     * bounding set the kernel refuses to run it at all. The default profile keeps NET_RAW off; one
     * line of profile brings ping back.
     */
    @Test
    void pingWithItsFileCapabilityNeedsNetRawInTheProfile() throws Exception {
        Path ping = containers.rootfs.resolve("opt/iputils/ping");
        if (!Files.exists(ping)) {
            Files.createDirectories(ping.getParent());
            Files.copy(containers.rootfs.resolve("bin/busybox"), ping);
            Commands.run("setcap", "cap_net_raw+ep", ping.toString()).requireSuccess();
        }
        String netns = "stockade-ping-" + ProcessHandle.current().pid();
        Commands.run("ip", "netns", "add", netns).requireSuccess();
        try {
            Commands.run("ip", "-n", netns, "link", "set", "lo", "up").requireSuccess();
            ObjectNode spec = containers.spec("/opt/iputils/ping", "-c", "1", "-W", "2", "127.0.0.1");
            for (var namespace : spec.get("linux").get("namespaces")) {
                if (namespace.get("type").asText().equals("network")) {
                    ((ObjectNode) namespace).put("path", "/var/run/netns/" + netns);
                }
            }
            CommandResult refused = stockade(spec.deepCopy());
            assertNotEquals(0, refused.exitCode(), refused.describe());
            assertTrue(refused.stderr().contains("exec /opt/iputils/ping: operation not permitted"), refused.describe());
            CommandResult withNetRaw = containers.run(Runtime.STOCKADE, profileWithDefaultCapabilitiesAnd("ping", "NET_RAW"), spec.deepCopy());
            assertEquals(0, withNetRaw.exitCode(), withNetRaw.describe());
            assertTrue(withNetRaw.stdout().contains("1 packets transmitted, 1 packets received"), withNetRaw.describe());
            assertEquals(0, runc(spec.deepCopy()).exitCode());
        } finally {
            Commands.run("ip", "netns", "delete", netns);
        }
    }

    /** One environment variable of 20 million characters: refused by the limit, naming it and the file. */
    @Test
    void aSpecOverTheSizeLimitIsRefusedNamingTheLimitAndTheFile() throws Exception {
        ObjectNode spec = containers.spec("true");
        spec.with("process").withArray("env").add("HUGE=" + "x".repeat(20_000_000));
        CommandResult result = stockade(spec);
        assertEquals(1, result.exitCode(), result.describe());
        assertTrue(result.stderr().contains("/config.json: cannot be read: it is 2000"), result.describe());
        assertTrue(result.stderr().contains(" bytes, more than the 4194304 bytes (4 MiB) the sandbox runtime reads; make the container's "
                + "environment, arguments or annotations smaller (envFrom and service links add to its environment) (rule spec)"), result.describe());
        assertTrue(Files.readString(containers.log(result)).contains("more than the 4194304 bytes (4 MiB)"));
    }

    // ---- what runc sets as root before the container starts: process settings and cgroup files (issue 11) ----

    /** This machine's root lacks CAP_SYS_RESOURCE: no process here may lower oom_score_adj below 0 or raise a hard rlimit. */
    private static final String NO_SYS_RESOURCE_HERE = " (here root lacks CAP_SYS_RESOURCE; on a node runc sets it)";

    /** At -1000 the kernel's OOM killer never takes the container; the node would lose the kubelet and the engine first. */
    @Test
    void anOomScoreAdjBelowTheSandboxContainersIsRefused() throws Exception {
        CommandResult viaStockade = stockade(withProcess(containers.spec("cat", "/proc/self/oom_score_adj"), p -> p.put("oomScoreAdj", -1000)));
        CommandResult viaRunc = runc(withProcess(containers.spec("cat", "/proc/self/oom_score_adj"), p -> p.put("oomScoreAdj", -1000)));
        TABLE.put("`oomScoreAdj: -1000` (never OOM-killed)", cell(viaStockade) + " | " + cell(viaRunc) + NO_SYS_RESOURCE_HERE);
        assertTrue(Files.readString(containers.log(viaRunc)).contains("failed to update /proc/self/oom_score_adj"),
                "runc writes it: " + viaRunc.describe());
        assertRefused(viaStockade, "process.oomScoreAdj", "allows no less than -998", "rule oom-score-adj");
    }

    /** The kubelet's BestEffort and Burstable values reach the container as written. */
    @Test
    void theKubeletsOomScoreAdjReachesTheContainer() {
        for (int value : List.of(1000, 500)) {
            CommandResult result = stockade(withProcess(containers.spec("cat", "/proc/self/oom_score_adj"), p -> p.put("oomScoreAdj", value)));
            assertEquals(value + "\n", result.stdout(), result.describe());
        }
    }

    @Test
    void aRealtimePriorityRlimitIsRefused() throws Exception {
        ObjectNode spec = withRlimit(containers.spec("sh", "-c", "ulimit -r"), "RLIMIT_RTPRIO", 99);
        CommandResult viaStockade = stockade(spec.deepCopy());
        CommandResult viaRunc = runc(spec.deepCopy());
        TABLE.put("`rlimits: RLIMIT_RTPRIO 99` (`--ulimit rtprio=99`: SCHED_FIFO 99 without CAP_SYS_NICE)", cell(viaStockade) + " | "
                + cell(viaRunc) + NO_SYS_RESOURCE_HERE);
        assertTrue(viaRunc.stderr().contains("error setting rlimit type 14"), "runc sets it: " + viaRunc.describe());
        // runc spec's own RLIMIT_NOFILE 1024 comes first, as in containerd's default spec.
        assertRefused(viaStockade, "process.rlimits[1].soft", "RLIMIT_RTPRIO soft 99", "rule rlimits");
    }

    /**
     * This machine's hard RLIMIT_MEMLOCK is 8 MiB, so the effect shows with a profile bounding it at
     * 4 MiB: runc gives the container the 8 MiB asked for, Stockade refuses; unlimited is refused by
     * the default profile, and 8 MiB passes it.
     */
    @Test
    void lockedMemoryAboveTheProfilesBoundIsRefused() throws Exception {
        Path fourMiB = containers.profile("memlock-4mib", "{\"maxLockedMemoryBytes\":4194304}");
        ObjectNode eightMiB = withRlimit(containers.spec("sh", "-c", "ulimit -l"), "RLIMIT_MEMLOCK", 8L << 20);
        CommandResult bounded = containers.run(Runtime.STOCKADE, fourMiB, eightMiB.deepCopy());
        CommandResult viaRunc = runc(eightMiB.deepCopy());
        assertEquals("8192\n", viaRunc.stdout(), "runc gives the container what the spec asks: " + viaRunc.describe());
        assertNotEquals(0, bounded.exitCode(), bounded.describe());
        assertTrue(bounded.stderr().contains("process.rlimits[1].soft: RLIMIT_MEMLOCK soft 8388608 would let the container lock that much "
                + "of the node's memory") && bounded.stderr().contains("allows at most 4194304 bytes (4 MiB)")
                && bounded.stderr().contains("(rule rlimits)"), bounded.describe());
        CommandResult kernelDefault = stockade(eightMiB.deepCopy());
        assertEquals("8192\n", kernelDefault.stdout(), "the default profile's 64 MiB lets it through: " + kernelDefault.describe());

        ObjectNode unlimited = withRlimit(containers.spec("sh", "-c", "ulimit -l"), "RLIMIT_MEMLOCK", -1);
        CommandResult viaStockade = stockade(unlimited.deepCopy());
        CommandResult unlimitedViaRunc = runc(unlimited.deepCopy());
        TABLE.put("`rlimits: RLIMIT_MEMLOCK unlimited` (`--ulimit memlock=-1`)", cell(viaStockade) + " | " + cell(unlimitedViaRunc)
                + NO_SYS_RESOURCE_HERE + "; a profile bounding it at 4 MiB refuses 8 MiB, which runc gives: " + cell(viaRunc));
        assertRefused(viaStockade, "RLIMIT_MEMLOCK soft unlimited", "rule rlimits");
    }

    /** runc exec applies the rlimits of an exec's process file: they are checked like the container's. */
    @Test
    void anExecProcessFileIsCheckedLikeTheContainers() throws Exception {
        withSleepingContainer(containers.profile("memlock-4mib-exec", "{\"maxLockedMemoryBytes\":4194304}"), container -> {
            ObjectNode process = (ObjectNode) withRlimit(containers.spec("sh", "-c", "ulimit -l"), "RLIMIT_MEMLOCK", 8L << 20).get("process");
            String processFile = container.processFile(process).toString();
            CommandResult viaRunc = Commands.run(containers.runc.toString(), "--root", containers.stateRoot.toString(), "exec", "--process",
                    processFile, container.id());
            assertEquals("8192\n", viaRunc.stdout(), "runc exec applies the file's rlimits: " + viaRunc.describe());
            CommandResult viaStockade = container.stockade("exec", "--process", processFile, container.id());
            assertNotEquals(0, viaStockade.exitCode(), viaStockade.describe());
            assertTrue(viaStockade.stderr().contains("process.rlimits[1].soft: RLIMIT_MEMLOCK soft 8388608")
                    && viaStockade.stderr().contains("(rule rlimits)"), viaStockade.describe());
        });
    }

    /**
     * runc writes linux.resources.unified's files as root into the container's cgroup (cgroup v2):
     * cgroup.procs takes a host process in, under the container's limits, freezing and kill. This
     * machine mounts cgroup v2 beside v1, so runc runs in a mount namespace where /sys/fs/cgroup is
     * the v2 hierarchy.
     */
    @Test
    void aCgroupFileMovingAHostProcessIntoTheContainerIsRefused() throws Exception {
        Process hostProcess = new ProcessBuilder("sleep", "120").start();
        try {
            String before = cgroupV2Of(hostProcess.pid());
            ObjectNode spec = containers.spec("echo", "container ran");
            spec.with("linux").put("cgroupsPath", "/stockade-it-cgroup-" + ProcessHandle.current().pid());
            spec.with("linux").with("resources").with("unified").put("cgroup.procs", Long.toString(hostProcess.pid()));
            CommandResult viaStockade = inCgroupV2(Runtime.STOCKADE, spec.deepCopy());
            String afterStockade = cgroupV2Of(hostProcess.pid());
            CommandResult viaRunc = inCgroupV2(Runtime.RUNC, spec.deepCopy());
            String afterRunc = cgroupV2Of(hostProcess.pid());
            TABLE.put("`linux.resources.unified: {cgroup.procs: <host pid>}`", cell(viaStockade) + " | " + cell(viaRunc)
                    + "; the host's process is now in the container's cgroup " + afterRunc);
            assertEquals(spec.get("linux").get("cgroupsPath").asText(), afterRunc, "runc moves the host's process: " + viaRunc.describe());
            assertEquals(before, afterStockade, "Stockade leaves it where it was");
            assertNotEquals(0, viaStockade.exitCode(), viaStockade.describe());
            for (String text : List.of("linux.resources.unified.cgroup.procs", "moves any process, the host's included", "sandbox profile untrusted",
                    "rule cgroup-files")) {
                assertTrue(viaStockade.stderr().contains(text), viaStockade.describe());
            }
        } finally {
            hostProcess.destroyForcibly().waitFor();
            Path cgroup = cgroupV2Root().resolve("stockade-it-cgroup-" + ProcessHandle.current().pid());
            if (Files.isDirectory(cgroup)) {
                Files.delete(cgroup);
            }
        }
    }

    /** Where this machine mounts the cgroup v2 hierarchy: beside v1 (hybrid) or at /sys/fs/cgroup. */
    private static Path cgroupV2Root() {
        Path hybrid = Path.of("/sys/fs/cgroup/unified");
        return Files.exists(hybrid.resolve("cgroup.procs")) ? hybrid : Path.of("/sys/fs/cgroup");
    }

    private static String cgroupV2Of(long pid) throws Exception {
        return Files.readAllLines(Path.of("/proc/" + pid + "/cgroup")).stream().filter(line -> line.startsWith("0::"))
                .map(line -> line.substring(3)).findFirst().orElseThrow();
    }

    /** {@code run} of {@code spec} where runc sees cgroup v2 at /sys/fs/cgroup (a private mount namespace on a hybrid machine). */
    private static CommandResult inCgroupV2(Runtime runtime, ObjectNode spec) {
        Path bundle = containers.bundle(spec);
        String run = String.join(" ", runtime.command(containers)) + " --root " + containers.stateRoot + " --log " + bundle.resolve("log.json")
                + " --log-format json run --bundle " + bundle + " " + Containers.newId();
        String script = (cgroupV2Root().equals(Path.of("/sys/fs/cgroup")) ? "" : "mount --bind /sys/fs/cgroup/unified /sys/fs/cgroup && ")
                + "exec " + run;
        return Commands.run(java.time.Duration.ofSeconds(60), runtime.environment(containers, untrusted),
                List.of("unshare", "--mount", "--propagation", "private", "sh", "-c", script));
    }

    private static ObjectNode withProcess(ObjectNode spec, java.util.function.Consumer<ObjectNode> change) {
        change.accept((ObjectNode) spec.get("process"));
        return spec;
    }

    private static ObjectNode withRlimit(ObjectNode spec, String type, long both) {
        java.math.BigInteger value = both < 0 ? java.math.BigInteger.ONE.shiftLeft(64).subtract(java.math.BigInteger.ONE)
                : java.math.BigInteger.valueOf(both);
        spec.with("process").withArray("rlimits").addObject().put("type", type).put("hard", value).put("soft", value);
        return spec;
    }

    private static String capabilityName(int number) {
        return "CAP_" + Capabilities.LINUX.get(number);
    }
}
