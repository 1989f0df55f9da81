package dev.stockade.supervisor.it;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.stockade.api.profile.Capabilities;
import dev.stockade.api.profile.SandboxProfile;
import dev.stockade.testing.BuiltTools;
import dev.stockade.testing.CommandResult;
import dev.stockade.testing.Commands;
import dev.stockade.testing.HostPrerequisites;
import dev.stockade.testing.RuncBundles;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import java.util.function.Supplier;
import java.util.function.UnaryOperator;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The README's tables beside gVisor (issue 14): the same bundles, shaped as containerd shapes a
 * pod's container, run by plain runc, by the Stockade launcher of the built payload (default
 * profile) and by gVisor's runsc (systrap, this VM has no KVM; from {@code test/cluster/build-tools
 * gvisor}). Each security row asserts that Stockade blocks the attack, and that the same bundle gets
 * through with the profile in Passthrough (so the row tests Stockade's own layer); each
 * compatibility row that runc runs the program and Stockade does too, with runc's stdout and
 * stderr. runsc's outcomes are recorded, not asserted. Writes target/side-by-side-security.md and target/side-by-side-compatibility.md.
 *
 * <p>runsc is given the pod's network namespace as a CRI runtime would (a namespace made here with
 * its loopback up): with a fresh one its network stack finds no interface at all.
 */
class SideBySideWithGvisorIT {

    enum Runtime {
        RUNC("plain runc"), STOCKADE("Stockade (default profile)"), RUNSC("runsc (gVisor, systrap)");

        final String label;

        Runtime(String label) {
            this.label = label;
        }
    }

    static final String DEFAULT_PROFILE = "{}";
    private static final Pattern RULE = Pattern.compile("\\(rule ([a-z-]+)\\)");

    @TempDir
    static Path dir;
    static RuncBundles bundles;
    static Path launcher;
    static Path runsc;
    static String netns;
    static final Map<String, Map<Runtime, String>> SECURITY = new LinkedHashMap<>();
    static final Map<String, Map<Runtime, String>> COMPATIBILITY = new LinkedHashMap<>();

    @BeforeAll
    static void setUp() throws Exception {
        bundles = new RuncBundles(dir);
        Path payload = Path.of(System.getProperty("stockade.payload", "../target/payload")).toAbsolutePath().normalize();
        launcher = payload.resolve("bin/stockade-runtime");
        HostPrerequisites.require(Files.isExecutable(launcher), "the runtime payload at " + payload + " (./mvnw -pl sandbox-runtime package)");
        runsc = BuiltTools.runsc();
        bundles.addProbe("probe", Path.of("../src/test/resources/probe/probe.c"));
        ProgramImage.addTo(bundles.rootfs(), payload, dir);
        netns = "stockade-gvisor-it-" + ProcessHandle.current().pid();
        Commands.run("ip", "netns", "add", netns).requireSuccess();
        Commands.run("ip", "netns", "exec", netns, "ip", "link", "set", "lo", "up").requireSuccess();
    }

    @AfterAll
    static void tearDown() throws Exception {
        if (netns != null) {
            Commands.run("ip", "netns", "delete", netns);
        }
        if (!SECURITY.isEmpty()) {
            Files.writeString(Path.of("target/side-by-side-security.md"), table("attack (busybox, containerd's default capabilities)", SECURITY));
        }
        if (!COMPATIBILITY.isEmpty()) {
            Files.writeString(Path.of("target/side-by-side-compatibility.md"), table("program", COMPATIBILITY));
        }
    }

    private static String table(String first, Map<String, Map<Runtime, String>> rows) {
        StringBuilder table = new StringBuilder("| " + first + " |");
        for (Runtime runtime : Runtime.values()) {
            table.append(' ').append(runtime.label).append(" |");
        }
        table.append("\n|---|---|---|---|\n");
        rows.forEach((name, cells) -> {
            table.append("| ").append(name).append(" |");
            for (Runtime runtime : Runtime.values()) {
                table.append(' ').append(cells.getOrDefault(runtime, "not run")).append(" |");
            }
            table.append('\n');
        });
        return table.toString();
    }

    // ---- running one bundle under each runtime ----

    private static CommandResult run(Runtime runtime, ObjectNode spec, String profileJson, Map<String, String> extraEnvironment) {
        ObjectNode bundleSpec = spec.deepCopy();
        String id = NotifiedContainers.newId();
        List<String> command = new ArrayList<>();
        Map<String, String> environment = new java.util.HashMap<>(extraEnvironment);
        switch (runtime) {
            case RUNC -> command.addAll(List.of(bundles.runc().toString(), "--root", dir.resolve("runc-state").toString()));
            case STOCKADE -> {
                command.addAll(List.of(launcher.toString(), "--root", dir.resolve("runc-state").toString()));
                environment.put("STOCKADE_PROFILE", writeProfile(profileJson).toString());
                environment.put("STOCKADE_SPEC_SERVER", dir.resolve("no-spec-server").toString());
            }
            case RUNSC -> {
                command.addAll(List.of(runsc.toString(), "--root", dir.resolve("runsc-state").toString()));
                joinTheTestsNetworkNamespace(bundleSpec);
                // runsc reads the CRI's container-type annotation to join a pod sandbox; these bundles run alone.
                bundleSpec.remove("annotations");
            }
        }
        Path bundle = bundles.bundle(bundleSpec);
        command.addAll(List.of("--log", bundle.resolve("log.json").toString(), "--log-format", "json", "run", "--bundle", bundle.toString(), id));
        return Commands.run(Duration.ofSeconds(120), environment, command);
    }

    private static Path writeProfile(String json) {
        try {
            return Files.writeString(dir.resolve("profile-" + Integer.toHexString(json.hashCode()) + ".json"), json);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /** A fresh network namespace of the spec becomes this test's (loopback up), as the CRI gives runsc the pod's. */
    private static void joinTheTestsNetworkNamespace(ObjectNode spec) {
        for (var namespace : spec.get("linux").get("namespaces")) {
            if (namespace.get("type").asText().equals("network") && !namespace.has("path")) {
                ((ObjectNode) namespace).put("path", "/var/run/netns/" + netns);
            }
        }
    }

    /** What a reader of the table needs: refused with its rule, or the program's exit and first words. */
    static String cell(CommandResult result) {
        Matcher rule = RULE.matcher(result.stderr());
        if (result.exitCode() != 0 && result.stderr().contains("refused") && rule.find()) {
            return "refused (rule " + rule.group(1) + ")";
        }
        String text = result.exitCode() == 0 ? result.stdout() : result.stdout() + result.stderr();
        text = text.strip().replaceAll("\\s*\n\\s*", "; ").replace("|", "/").replace('\t', ' ');
        if (text.length() > 110) {
            text = text.substring(0, 110) + "…";
        }
        return (result.exitCode() == 0 ? "runs" : "fails (exit " + result.exitCode() + ")") + (text.isEmpty() ? "" : ": " + text);
    }

    // ---- security: each row is an attack Stockade must block ----

    /**
     * An attack and what "blocked" means for it. Stockade must block it with {@code stockadeProfile};
     * with that profile in Passthrough mode the same bundle must get through, so that the row
     * proves Stockade's own layer and not only what containerd's defaults or this machine already stop.
     */
    record Attack(String name, Supplier<ObjectNode> spec, String stockadeProfile, Predicate<CommandResult> blocked, String blockedMeans) {
        @Override
        public String toString() {
            return name;
        }
    }

    private static ObjectNode spec(String... args) {
        return bundles.containerdSpec(args);
    }

    private static ObjectNode withoutNamespace(ObjectNode spec, String type) {
        ArrayNode namespaces = (ArrayNode) spec.get("linux").get("namespaces");
        for (int i = namespaces.size() - 1; i >= 0; i--) {
            if (namespaces.get(i).get("type").asText().equals(type)) {
                namespaces.remove(i);
            }
        }
        return spec;
    }

    private static ObjectNode withCapabilities(ObjectNode spec, List<String> capabilities) {
        for (String set : List.of("bounding", "effective", "permitted")) {
            ArrayNode array = spec.with("process").with("capabilities").withArray(set);
            capabilities.forEach(array::add);
        }
        return spec;
    }

    /** A profile that allows {@code capability} besides the default ones, so that the call's seccomp rule is what stays. */
    private static String allowing(String capability) {
        List<String> allowed = new ArrayList<>(SandboxProfile.DEFAULT_CAPABILITIES);
        allowed.add(capability);
        return "{\"allowedCapabilities\":[" + String.join(",", allowed.stream().map(name -> "\"" + name + "\"").toList()) + "]}";
    }

    private static Attack refusedBy(String name, Supplier<ObjectNode> spec, String rule) {
        return new Attack(name, spec, DEFAULT_PROFILE, result -> result.exitCode() != 0 && result.stderr().contains("(rule " + rule + ")"),
                "refused (rule " + rule + ")");
    }

    private static Attack probe(String name, Supplier<ObjectNode> spec, String profile, String line) {
        return new Attack(name, spec, profile, result -> result.exitCode() != 0 && result.stdout().equals(line + "\n"), line);
    }

    private static Attack probe(String name, String probe) {
        return probe(name, () -> spec("probe", probe), DEFAULT_PROFILE, probe + ": Operation not permitted");
    }

    /** The call with its capability granted (in the spec, and by the profile): only the seccomp allowlist stops it. */
    private static Attack probeWithCapability(String name, String probe, String capability) {
        return probe(name + " with CAP_" + capability + " (Stockade: profile allows " + capability + ")",
                () -> withCapabilities(spec("probe", probe), List.of("CAP_" + capability)), allowing(capability),
                probe + ": Operation not permitted");
    }

    /**
     * Writes a file's own value back, so that a runtime that lets the write through changes nothing
     * on the host; {@code writable} makes the spec leave the file writable, as a runtime of its own
     * (or a careless one) might, so that Stockade's read-only paths are what stops it.
     */
    private static Attack writeBack(String name, String file, UnaryOperator<ObjectNode> writable) {
        return new Attack(name, () -> writable.apply(spec("sh", "-c", "v=$(cat " + file + ") && echo \"$v\" > " + file + " && echo written")),
                DEFAULT_PROFILE, result -> result.exitCode() != 0 && !result.stdout().contains("written")
                        && result.stderr().contains("Read-only file system"), "read-only file system");
    }

    static Stream<Attack> attacks() {
        List<String> all = Capabilities.LINUX.stream().map(name -> "CAP_" + name).toList();
        return Stream.of(
                refusedBy("bind mount of the host's / (`-v /:/host`), then `ls /host`", () -> {
                    ObjectNode spec = spec("ls", "/host");
                    ((ArrayNode) spec.get("mounts")).addObject().put("destination", "/host").put("type", "bind").put("source", "/")
                            .putArray("options").add("rbind").add("ro");
                    return spec;
                }, "host-mount"),
                refusedBy("privileged (every capability and device), then `grep CapEff /proc/self/status`", () -> {
                    ObjectNode spec = withCapabilities(spec("grep", "CapEff", "/proc/self/status"), all);
                    spec.with("linux").with("resources").putArray("devices").addObject().put("allow", true).put("access", "rwm");
                    return spec;
                }, "privileged"),
                refusedBy("host PID namespace, then `cat /proc/1/cmdline`", () -> withoutNamespace(spec("cat", "/proc/1/cmdline"), "pid"),
                        "host-namespace"),
                refusedBy("host network namespace, then the interfaces in /proc/net/dev", () -> withoutNamespace(
                        spec("sh", "-c", "echo interfaces: $(tail -n +3 /proc/net/dev | cut -d: -f1 | sort)"), "network"), "host-namespace"),
                refusedBy("CAP_SYS_ADMIN requested", () -> withCapabilities(spec("grep", "CapEff", "/proc/self/status"), List.of("CAP_SYS_ADMIN")),
                        "capabilities"),
                probe("unshare(CLONE_NEWUSER)", "unshare-user"),
                probe("unshare(user+mount), then mount(2) a tmpfs", () -> spec("probe", "userns-mount"), DEFAULT_PROFILE,
                        "unshare(user+mount): Operation not permitted"),
                probeWithCapability("mount(2) a tmpfs", "mount", "SYS_ADMIN"),
                probe("keyctl(2)", "keyctl"),
                probe("ptrace(2)", "ptrace"),
                probeWithCapability("bpf(2) array map", "bpf", "BPF"),
                probe("io_uring_setup(2)", "io_uring"),
                probe("perf_event_open(2)", "perf_event_open"),
                probe("userfaultfd(2)", "userfaultfd"),
                probeWithCapability("open_by_handle_at(2) of the root's handle (the \"shocker\" escape)", "open_by_handle_at", "DAC_READ_SEARCH"),
                new Attack("fork bomb: 200 processes (Stockade: profile `pidsLimit: 64`; the spec sets no limit)", () -> spec("sh", "-c",
                        "i=0; while [ $i -lt 200 ]; do sleep 10 & i=$((i+1)); done; echo started $i"), "{\"pidsLimit\":64}",
                        result -> !result.stdout().contains("started 200")
                                && (result.stderr().contains("can't fork") || result.stderr().contains("Resource temporarily unavailable")),
                        "can't fork"),
                writeBack("write to /proc/sys (kernel.core_pattern, its own value; the spec leaves /proc/sys writable)",
                        "/proc/sys/kernel/core_pattern", spec -> {
                            ((ObjectNode) spec.get("linux")).remove("readonlyPaths");
                            return spec;
                        }),
                writeBack("write to /sys (/sys/kernel/mm/ksm/run, its own value; the spec mounts sysfs read-write)",
                        "/sys/kernel/mm/ksm/run", spec -> {
                            for (var mount : spec.get("mounts")) {
                                if (mount.path("type").asText().equals("sysfs")) {
                                    ArrayNode options = ((ObjectNode) mount).putArray("options");
                                    List.of("nosuid", "noexec", "nodev", "rw").forEach(options::add);
                                }
                            }
                            return spec;
                        }),
                probe("device node: mknod the host's first disk (block 8:0), then open it", () -> spec("probe", "device-node"), DEFAULT_PROFILE,
                        "mknod: Operation not permitted"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("attacks")
    void stockadeBlocksTheAttack(Attack attack) {
        ObjectNode spec = attack.spec().get();
        Map<Runtime, String> cells = new EnumMap<>(Runtime.class);
        CommandResult viaStockade = null;
        for (Runtime runtime : Runtime.values()) {
            CommandResult result = run(runtime, spec, attack.stockadeProfile(), Map.of());
            cells.put(runtime, cell(result));
            if (runtime == Runtime.STOCKADE) {
                viaStockade = result;
            }
        }
        SECURITY.put(attack.name(), cells);
        assertTrue(attack.blocked().test(viaStockade), "Stockade must block it (" + attack.blockedMeans() + "): " + viaStockade.describe());
        CommandResult passedThrough = run(Runtime.STOCKADE, spec, passthrough(attack.stockadeProfile()), Map.of());
        assertFalse(attack.blocked().test(passedThrough), "with the profile in Passthrough the attack must get through, or the row "
                + "does not test Stockade's own layer: " + passedThrough.describe());
    }

    private static String passthrough(String profile) {
        try {
            return ((ObjectNode) RuncBundles.JSON.readTree(profile)).put("mode", "Passthrough").toString();
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /**
     * The kernel identity a container sees: Stockade answers uname through the node's supervisor for
     * a profile with {@code kernelIdentity}, as gVisor's Sentry answers with its own.
     */
    @Test
    void theKernelIdentityIsNotTheHosts() {
        String hostRelease = Commands.run("uname", "-r").requireSuccess().stdout().strip();
        String hostVersion = hostRelease.split("-")[0];
        // Then every file of /proc, /proc/sys/kernel and /sys/kernel that names the host's release or version.
        ObjectNode spec = spec("sh", "-c", "echo \"uname $(uname -r); /proc/version [$(cut -d' ' -f3 /proc/version)];"
                + " osrelease [$(cat /proc/sys/kernel/osrelease)]; files naming the host's kernel [$(for f in /proc/* /proc/sys/kernel/*"
                + " /sys/kernel/*; do [ -f $f ] && timeout 2 head -c 65536 $f 2>/dev/null | grep -qF -e $1 -e $2 && echo $f; done;"
                + " zcat /proc/config.gz 2>/dev/null | grep -qF $2 && echo /proc/config.gz)]\"", "sh", hostRelease, hostVersion);
        spec.putObject("annotations")
                .put("io.kubernetes.cri.container-type", "container")
                .put("io.kubernetes.cri.sandbox-namespace", "team-a")
                .put("io.kubernetes.cri.sandbox-name", "web-0")
                .put("io.kubernetes.cri.container-name", "app");
        Map<Runtime, String> cells = new EnumMap<>(Runtime.class);
        try (SupervisorProcess supervisor = SupervisorProcess.start(dir.resolve("supervisor.sock"), dir.resolve("supervisor.log"),
                SupervisorProcess.freePort())) {
            CommandResult viaStockade = null;
            for (Runtime runtime : Runtime.values()) {
                CommandResult result = run(runtime, spec, "{\"kernelIdentity\":{\"release\":\"4.4.0\"}}",
                        Map.of("STOCKADE_SUPERVISOR_SOCKET", supervisor.socket.toString()));
                cells.put(runtime, cell(result));
                if (runtime == Runtime.STOCKADE) {
                    viaStockade = result;
                }
            }
            SECURITY.put("kernel identity: `uname -r`, /proc/version, kernel.osrelease, any file naming the host's kernel (host: " + hostRelease
                    + "; Stockade: profile `kernelIdentity: {release: 4.4.0}` and the node's supervisor)", cells);
            assertEquals(0, viaStockade.exitCode(), viaStockade.describe());
            assertEquals("uname 4.4.0; /proc/version []; osrelease []; files naming the host's kernel []", viaStockade.stdout().strip(),
                    viaStockade.describe());
        }
    }

    // ---- compatibility: each row is an ordinary program Stockade must run as runc does ----

    record Program(String name, Supplier<ObjectNode> spec) {
        @Override
        public String toString() {
            return name;
        }
    }

    static Stream<Program> programs() {
        return Stream.of(
                new Program("shell tools: tar, gzip, sort, awk, sed, sha256sum (busybox)", () -> spec("sh", "-c",
                        "mkdir /tmp/a && for i in 1 2 3; do echo line $i > /tmp/a/f$i; done && tar -C /tmp -czf /tmp/a.tgz a && mkdir /tmp/b"
                                + " && tar -C /tmp/b -xzf /tmp/a.tgz && cat /tmp/b/a/* | sort -r | awk '{print $2}' | sed 's/^/n/' | tr '\\n' ' '"
                                + " && sha256sum /tmp/b/a/f1 | cut -c1-16")),
                new Program("1000 fork+exec of /bin/true from a shell", () -> spec("sh", "-c",
                        "i=0; while [ $i -lt 1000 ]; do /bin/true; i=$((i+1)); done; echo $i")),
                new Program("non-root user (uid 1000) writing /tmp", () -> {
                    ObjectNode spec = spec("sh", "-c", "id -u && touch /tmp/mine && ls -n /tmp/mine | awk '{print $3}'");
                    spec.with("process").putObject("user").put("uid", 1000).put("gid", 1000);
                    return spec;
                }),
                new Program("read-only root filesystem, writes to /tmp", () -> {
                    ObjectNode spec = spec("sh", "-c", "touch /etc/x 2>/dev/null || echo root read-only; echo ok > /tmp/x && cat /tmp/x");
                    spec.with("root").put("readonly", true);
                    return spec;
                }),
                new Program("HTTP on loopback: busybox httpd and wget", () -> spec("sh", "-c",
                        "httpd -p 127.0.0.1:8080 -h /www && sleep 0.5 && wget -q -O - http://127.0.0.1:8080/index.html")),
                new Program("JVM (the payload's JRE, G1): threads, allocation, file I/O", () -> spec("/jre/bin/java", "-XX:+UseG1GC",
                        "-Xmx64m", "-cp", "/app", "Work")),
                new Program("JVM (the payload's JRE, ZGC): the same program", () -> spec("/jre/bin/java", "-XX:+UseZGC",
                        "-Xmx64m", "-cp", "/app", "Work")),
                new Program("Python 3 (Debian's): json, hashlib, threads, subprocess", () -> spec("python3", "/app/work.py")),
                new Program("Python 3 http.server and urllib on loopback", () -> spec("python3", "/app/serve.py")),
                new Program("SQLite 3 (Debian's sqlite3): create, insert, query a database file", () -> spec("sqlite3", "/tmp/db",
                        "create table t(a integer, b text); insert into t values (1, 'x'), (2, 'y'), (3, 'z');"
                                + " create index i on t(b); select count(*), sum(a), group_concat(b) from t;")));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("programs")
    void stockadeRunsTheProgramAsRuncDoes(Program program) {
        ObjectNode spec = program.spec().get();
        Map<Runtime, CommandResult> results = new EnumMap<>(Runtime.class);
        for (Runtime runtime : Runtime.values()) {
            results.put(runtime, run(runtime, spec, DEFAULT_PROFILE, Map.of()));
        }
        CommandResult viaRunc = results.get(Runtime.RUNC);
        Map<Runtime, String> cells = new EnumMap<>(Runtime.class);
        results.forEach((runtime, result) -> cells.put(runtime, runtime == Runtime.RUNC || result.exitCode() != 0
                ? cell(result) : result.stdout().equals(viaRunc.stdout()) ? "runs, same output" : "runs, other output: " + cell(result)));
        COMPATIBILITY.put(program.name(), cells);
        assertEquals(0, viaRunc.exitCode(), "the program must run under plain runc: " + viaRunc.describe());
        CommandResult viaStockade = results.get(Runtime.STOCKADE);
        assertEquals(0, viaStockade.exitCode(), viaStockade.describe());
        assertEquals(viaRunc.stdout(), viaStockade.stdout(), viaStockade.describe());
        assertEquals(viaRunc.stderr(), viaStockade.stderr(), "nothing of Stockade's reaches the container's streams: " + viaStockade.describe());
    }
}
