package dev.stockade.demo;

import dev.stockade.api.InstallerEnvironment;
import dev.stockade.api.node.HostLayout;
import dev.stockade.api.profile.KernelIdentity;
import dev.stockade.api.profile.Profiles;
import dev.stockade.api.profile.SandboxProfile;
import dev.stockade.installer.InstallerConfig;
import dev.stockade.testing.BusyboxImage;
import dev.stockade.testing.CommandResult;
import dev.stockade.testing.PrivateContainerd;
import dev.stockade.testing.PrivateDockerd;
import dev.stockade.testing.RestartRequests;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * The README's first command. Starts a throwaway containerd under a scratch directory, lets the
 * real installer register a Stockade handler in it, runs the same busybox container under plain
 * runc and under Stockade for each scenario, prints what happened side by side, then uninstalls;
 * then the same with a throwaway Docker engine (Debian's dockerd, {@code docker run --runtime=runc}
 * beside {@code docker run --runtime=stockade}), and removes the scratch directory.
 */
public final class SideBySideDemo {

    private static final String POLICY = "demo";
    private static final String RUNTIME_CLASS = "sandboxed";
    private static final String HANDLER = "stockade-" + RUNTIME_CLASS;
    private static final String LAUNCHER = HostLayout.handlerLauncher(HANDLER);
    /** Docker's runtime name for the handler: {@code docker run --runtime=stockade}. */
    private static final String DOCKER_HANDLER = "stockade";
    private static final String DOCKER_IMAGE = "busybox";
    private static final long PIDS_LIMIT = 64;
    private static final String KERNEL_RELEASE = "4.4.0";

    /** One row of the table: what the container tries, and extra {@code ctr run} and {@code docker run} options. */
    record Scenario(String title, List<String> runOptions, List<String> dockerOptions, String... command) {
    }

    private static final List<Scenario> SCENARIOS = List.of(
            new Scenario("kernel release (uname -r)", List.of(), List.of(), "uname", "-r"),
            new Scenario("normal program: shell, files, pipes", List.of(), List.of(),
                    "sh", "-c", "echo hello > /tmp/f && cat /tmp/f | tr a-z A-Z"),
            new Scenario("mount the host's / (-v /:/pesc)",
                    List.of("--mount", "type=bind,src=/,dst=/pesc,options=rbind:ro"), List.of("-v", "/:/pesc:ro"),
                    "sh", "-c", "ls /pesc/etc | head -3 | tr '\\n' ' '"),
            new Scenario("privileged container", List.of("--privileged"), List.of("--privileged"),
                    "sh", "-c", "grep CapEff /proc/self/status"),
            new Scenario("namespace escape (unshare -U -m)", List.of(), List.of(),
                    "sh", "-c", "unshare -U -m sh -c 'echo new namespaces as uid $(id -u)' 2>&1"),
            // Counting by glob, not ls: under the pids limit the shell cannot fork any more.
            new Scenario("fork bomb (300 processes)", List.of(), List.of(),
                    "sh", "-c", "i=0; while [ $i -lt 300 ]; do sleep 5 & i=$((i+1)); [ $((i % 50)) = 0 ] && echo -n \"$i \"; done; "
                            + "set -- /proc/[0-9]*; echo started, $# processes running"));

    public static void main(String[] args) throws Exception {
        Path payload = Path.of(args.length > 0 ? args[0] : "test/demo/target/payload").toAbsolutePath();
        if (!Files.isExecutable(payload.resolve(HostLayout.RUNTIME_LAUNCHER))) {
            System.err.println("no runtime payload at " + payload + ": build it with ./mvnw -pl test/demo -am install");
            System.exit(1);
        }
        if (Files.exists(Path.of(HostLayout.RUNTIME_DIR))) {
            System.err.println(HostLayout.RUNTIME_DIR + " exists: Stockade is installed on this machine already; the demo will not touch it.");
            System.exit(1);
        }
        Path scratch = Files.createTempDirectory("stockade-demo-");
        int exitCode = 1;
        try {
            exitCode = new SideBySideDemo(payload, scratch).run();
        } finally {
            deleteTree(scratch);
        }
        System.exit(exitCode);
    }

    private final Path payload;
    private final Path scratch;
    private final Path containerdDir;
    private final Path config;

    private SideBySideDemo(Path payload, Path scratch) {
        this.payload = payload;
        this.scratch = scratch;
        this.containerdDir = scratch.resolve("containerd");
        this.config = containerdDir.resolve("config.toml");
    }

    private int run() throws Exception {
        Files.createDirectories(containerdDir);
        Files.writeString(config, PrivateContainerd.baseConfig(containerdDir)
                .replace("disabled_plugins = [\"io.containerd.grpc.v1.cri\"]\n", "") + """

                [plugins."io.containerd.grpc.v1.cri"]
                  restrict_oom_score_adj = true
                  [plugins."io.containerd.grpc.v1.cri".cni]
                    bin_dir = "%1$s/cni/bin"
                    conf_dir = "%1$s/cni/net.d"
                """.formatted(containerdDir));
        Path profiles = Files.createDirectories(scratch.resolve("profiles"));
        // A kernel identity: uname is answered by the node's supervisor, which the installer starts for it.
        SandboxProfile profile = new SandboxProfile(null, null, null, null, null, PIDS_LIMIT, null, null, null,
                new KernelIdentity(null, KERNEL_RELEASE, null, null), null);
        Files.writeString(profiles.resolve(RUNTIME_CLASS + ".json"), Profiles.render(profile));

        System.out.println("1. throwaway containerd in " + containerdDir);
        try (PrivateContainerd containerd = PrivateContainerd.start(containerdDir, config);
             RestartRequests restarts = new RestartRequests(containerd)) {
            String image = containerd.importImage(BusyboxImage.ociArchive(BusyboxImage.rootfs(scratch.resolve("rootfs")), scratch));
            Map<String, String> installerEnvironment = installerEnvironment(containerd, restarts, profiles);

            System.out.println("2. the Stockade installer registers handler " + HANDLER + " (profile: default, pids limit "
                    + PIDS_LIMIT + ", kernel release " + KERNEL_RELEASE + ") and starts the seccomp supervisor and the spec server");
            int installed = installer(installerEnvironment, "install");
            if (installed != 0) {
                System.err.println("the installer failed (exit " + installed + "); containerd's log: " + containerd.logFile());
                return installed;
            }
            try {
                System.out.println("3. the same busybox container under runc and under Stockade\n");
                List<String[]> rows = new ArrayList<>();
                int n = 0;
                for (Scenario scenario : SCENARIOS) {
                    n++;
                    String runc = outcome(containerd.run(image, "runc-" + n, scenario.runOptions(), scenario.command()));
                    List<String> sandboxed = new ArrayList<>(List.of("--runc-binary", LAUNCHER));
                    sandboxed.addAll(scenario.runOptions());
                    String stockade = outcome(containerd.run(image, "stockade-" + n, sandboxed, scenario.command()));
                    rows.add(new String[] {scenario.title(), runc, stockade});
                }
                printTable(rows);
                System.out.println("Both share the host's kernel: under Stockade the supervisor answers uname with the\n"
                        + "profile's kernel identity, the host's kernel is untouched.");
            } finally {
                System.out.println("\n4. uninstall: the supervisor and the spec server stop; the handler, the drop-in and /opt/stockade go; config.toml is as before");
                installer(installerEnvironment, "uninstall", "--force");
            }
        }
        return docker(profiles);
    }

    /** The same scenarios with Debian's Docker engine: {@code docker run --runtime=runc} beside {@code --runtime=stockade}. */
    private int docker(Path profiles) throws Exception {
        System.out.println("\n5. throwaway Docker engine (Debian's dockerd, its own socket, data-root and exec-root) in " + scratch.resolve("docker"));
        try (PrivateDockerd dockerd = PrivateDockerd.start(scratch.resolve("docker"), false)) {
            dockerd.buildImage(scratch.resolve("rootfs"), DOCKER_IMAGE);
            Map<String, String> environment = dockerEnvironment(dockerd, profiles);
            System.out.println("6. the Stockade installer reads the running dockerd's flags and daemon.json, registers runtime "
                    + DOCKER_HANDLER + " there and has dockerd reload it");
            int installed = installer(environment, "install");
            if (installed != 0) {
                System.err.println("the installer failed (exit " + installed + "); dockerd's log: " + dockerd.logFile());
                return installed;
            }
            // dockerd re-reads daemon.json after answering the signal.
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
            while (!dockerd.docker("info", "--format", "{{json .Runtimes}}").stdout().contains("\"" + DOCKER_HANDLER + "\"")
                    && System.nanoTime() < deadline) {
                Thread.sleep(200);
            }
            try {
                System.out.println("7. docker run --rm --runtime=runc … and docker run --rm --runtime=" + DOCKER_HANDLER + " …\n");
                List<String[]> rows = new ArrayList<>();
                for (Scenario scenario : SCENARIOS) {
                    rows.add(new String[] {scenario.title(), outcome(dockerRun(dockerd, "runc", scenario)),
                            outcome(dockerRun(dockerd, DOCKER_HANDLER, scenario))});
                }
                printTable(rows);
            } finally {
                System.out.println("\n8. uninstall: daemon.json is as before; the supervisor, the spec server and /opt/stockade go");
                installer(environment, "uninstall", "--force");
            }
        }
        return 0;
    }

    private static CommandResult dockerRun(PrivateDockerd dockerd, String runtime, Scenario scenario) {
        List<String> arguments = new ArrayList<>(List.of("run", "--rm", "--network", "none", "--runtime=" + runtime));
        arguments.addAll(scenario.dockerOptions());
        arguments.add(DOCKER_IMAGE);
        arguments.addAll(List.of(scenario.command()));
        return dockerd.docker(arguments.toArray(String[]::new));
    }

    /** The installer's settings both engines share: this policy, the one runtime class as {@code handler}, the payload. */
    private Map<String, String> environment(String containerRuntime, String handler, Path profiles) {
        Map<String, String> environment = new HashMap<>();
        environment.put("PATH", System.getenv().getOrDefault("PATH", "/usr/sbin:/usr/bin:/sbin:/bin"));
        environment.put(InstallerEnvironment.POLICY, POLICY);
        environment.put(InstallerEnvironment.HANDLERS, RUNTIME_CLASS + "=" + handler);
        environment.put(InstallerEnvironment.HOST_ROOT, "/");
        environment.put(InstallerEnvironment.CONTAINER_RUNTIME, containerRuntime);
        environment.put(InstallerEnvironment.PROFILE_SOURCE, profiles.toString());
        environment.put(InstallerConfig.PAYLOAD, payload.toString());
        return environment;
    }

    private Map<String, String> dockerEnvironment(PrivateDockerd dockerd, Path profiles) {
        Map<String, String> environment = environment("docker", DOCKER_HANDLER, profiles);
        environment.put(InstallerConfig.RESTART, "command:" + dockerd.reloadCommand());
        environment.put(InstallerConfig.RUNTIME_SOCKET, dockerd.socket().toString());
        // Files only: dockerd reloads its runtimes after answering the signal, and the table's first row runs a container anyway.
        environment.put(InstallerConfig.VERIFY, "files");
        return environment;
    }

    private Map<String, String> installerEnvironment(PrivateContainerd containerd, RestartRequests restarts, Path profiles) {
        String ctrRun = "ctr --address " + containerd.socket() + " run --rm " + String.join(" ", containerd.privateRunOptions());
        Map<String, String> environment = environment("containerd", HANDLER, profiles);
        environment.put(InstallerConfig.CONTAINERD_CONFIG, config.toString());
        environment.put(InstallerConfig.RESTART, "command:" + restarts.command());
        environment.put(InstallerConfig.RUNTIME_SOCKET, containerd.socket().toString());
        environment.put(InstallerConfig.VERIFY, "command:" + ctrRun + " --runc-binary \"$2\" "
                + BusyboxImage.DEFAULT_REFERENCE + " verify-$1 /bin/true");
        return environment;
    }

    /** Runs the installer's command line as its own process, its output indented under ours. */
    private static int installer(Map<String, String> environment, String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), "dev.stockade.installer.InstallerMain"));
        command.addAll(List.of(args));
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
        builder.environment().clear();
        builder.environment().putAll(environment);
        Process process = builder.start();
        try (var lines = process.inputReader().lines()) {
            lines.forEach(line -> System.out.println("   | " + line));
        }
        if (!process.waitFor(5, TimeUnit.MINUTES)) {
            process.destroyForcibly();
            return 1;
        }
        return process.exitValue();
    }

    /** The container's output when it ran, or why it did not (the refusal from the runtime). */
    static String outcome(CommandResult result) {
        if (result.exitCode() == 0) {
            return "ran: " + oneLine(result.stdout());
        }
        String stderr = result.stderr();
        if (stderr.contains("failed to create shim task")) {
            // ctr and docker wrap the runtime's refusal in their own words; show the refusal itself.
            int refusal = stderr.indexOf("stockade:");
            String why = (refusal >= 0 ? stderr.substring(refusal) : stderr).strip().replaceFirst("\\.$", "");
            return oneLine("not created: " + (why.endsWith(": unknown") ? why.substring(0, why.length() - ": unknown".length()) : why));
        }
        return "exit " + result.exitCode() + ": " + oneLine(result.stdout() + " " + result.stderr());
    }

    private static String oneLine(String text) {
        // Docker's 64-digit container ids shortened as its CLI prints them, so that the rule at the end still fits.
        String line = text.strip().replaceAll("\\s+", " ").replaceAll("\\b([0-9a-f]{12})[0-9a-f]{52}\\b", "$1…");
        return line.length() > 600 ? line.substring(0, 597) + "..." : line;
    }

    private static void printTable(List<String[]> rows) {
        int width = rows.stream().mapToInt(r -> r[0].length()).max().orElse(10);
        for (String[] row : rows) {
            System.out.println(pad(row[0], width) + "  runc:     " + row[1]);
            System.out.println(pad("", width) + "  stockade: " + row[2]);
            System.out.println();
        }
    }

    private static String pad(String text, int width) {
        return text + " ".repeat(Math.max(0, width - text.length()));
    }

    private static void deleteTree(Path root) throws IOException {
        if (!Files.exists(root)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(root)) {
            for (Path path : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(path);
            }
        }
    }
}
