package dev.stockade.installer.node;

import dev.stockade.api.InstallerEnvironment;
import dev.stockade.api.node.EngineDirectories;
import dev.stockade.api.node.HostLayout;
import dev.stockade.api.node.LauncherEnvironment;
import dev.stockade.api.profile.KernelIdentity;
import dev.stockade.api.profile.Profiles;
import dev.stockade.api.profile.SandboxProfile;
import dev.stockade.installer.InstallerConfig;
import dev.stockade.testing.BusyboxImage;
import dev.stockade.testing.CommandResult;
import dev.stockade.testing.Commands;
import dev.stockade.testing.HostPrerequisites;
import dev.stockade.testing.PrivateDockerd;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Debian's own Docker engine (docker.io 20.10) and Podman (4.3), for real: the seed article's demo.
 * The test starts dockerd as root with its own socket, pid file and daemon.json, once at Docker's
 * default layout (/var/lib/docker, /var/run/docker) and once with a custom data-root and exec-root,
 * runs the installer against it (STOCKADE_CONTAINER_RUNTIME=docker: the installer reads the running
 * dockerd's flags and daemon.json, registers the handler {@code stockade} there and signals dockerd),
 * and then, through the handler with a profile that sets a kernel identity:
 * <ul>
 * <li>a normal container works, with Docker's own resolv.conf, hostname, hosts and shm;</li>
 * <li>{@code uname -r} prints 4.4.0 (the supervisor), where runc prints the host's release;</li>
 * <li>{@code -v /:/x}, {@code --privileged} and a bind of another container's resolv.conf are
 * refused at {@code docker run}, each with its rule;</li>
 * <li>after uninstall, daemon.json is byte for byte as before, nothing runs through the handler,
 * and once dockerd restarts {@code docker info} lists the runtimes it listed before (its SIGHUP
 * reload keeps runtimes that daemon.json no longer names, and drops its own io.containerd.*
 * aliases: Docker's behaviour, which only a restart undoes).</li>
 * </ul>
 * Podman then runs the same containers with {@code --runtime} pointing at a launcher an admin writes
 * for it (Podman has no daemon configuration to register a handler in), at its default storage and
 * with its own {@code --root} and {@code --runroot}, which that launcher names.
 *
 * <p>Writes /opt/stockade and /etc/stockade/profiles (removed by the uninstall); at the default
 * layout also the engines' default directories, which must not exist before and are removed after.
 * Run under {@code flock /tmp/stockade-host.lock}.
 */
class RealDockerTest {

    static final String HANDLER = "stockade";
    static final String LAUNCHER = "/opt/stockade/handlers/" + HANDLER;
    static final String IMAGE = "stockade-busybox";
    /** Host directories Podman makes at its default layout (its tmpdir /run/libpod and /var/lib/containers/cache even with other roots). */
    static final List<String> PODMAN_HOST_PATHS = List.of("/var/lib/containers", "/run/containers", "/run/libpod");
    static final Duration ENGINE_TIMEOUT = Duration.ofSeconds(120);

    @TempDir
    Path directory;
    private Path rootfs;

    @Test
    void dockerAndPodmanAtTheirDefaultLayout() throws Exception {
        demo(false);
    }

    @Test
    void dockerWithACustomDataRootAndPodmanWithItsOwnRoots() throws Exception {
        demo(true);
    }

    private void demo(boolean custom) throws Exception {
        Path payload = requireHostAndPayload();
        Map<String, Boolean> existed = new LinkedHashMap<>();
        PODMAN_HOST_PATHS.forEach(path -> existed.put(path, Files.exists(Path.of(path))));
        if (!custom) {
            for (String path : List.of("/var/lib/containers/storage", "/run/containers/storage")) {
                assertFalse(Files.exists(Path.of(path)), path + " exists: another engine's data is on this machine");
            }
        }
        Path profiles = Files.createDirectories(directory.resolve("profiles"));
        Files.writeString(profiles.resolve("untrusted.json"), Profiles.render(new SandboxProfile(null, null, null, null, null, null, null,
                null, null, new KernelIdentity(null, "4.4.0", null, null), null)));
        rootfs = BusyboxImage.rootfs(directory.resolve("rootfs"));
        Map<String, String> environment = null;
        try (PrivateDockerd dockerd = PrivateDockerd.start(directory.resolve("docker"), !custom)) {
            try {
                environment = installEnvironment(payload, profiles, dockerd);
                dockerDemo(dockerd, environment);
            } finally {
                if (Files.exists(Path.of("/opt/stockade/installer-state.json"))) {
                    run(environment, "uninstall", "--force");
                }
            }
        } finally {
            for (Map.Entry<String, Boolean> path : existed.entrySet()) {
                if (!path.getValue() && Files.exists(Path.of(path.getKey()))) {
                    PrivateDockerd.unmountBelow(List.of(path.getKey()));
                    Commands.run("rm", "-rf", "--one-file-system", path.getKey());
                }
            }
        }
    }

    private void dockerDemo(PrivateDockerd dockerd, Map<String, String> environment) throws Exception {
        Path dataRoot = dockerd.dataRoot();
        byte[] daemonJsonBefore = Files.readAllBytes(dockerd.configFile());
        dockerd.buildImage(rootfs, IMAGE);
        String runtimesBefore = dockerd.docker("info", "--format", "{{json .Runtimes}}").requireSuccess().stdout();

        RealContainerdTest.Output install = run(environment, "install");
        assertEquals(0, install.exitCode(), install.text());
        // The launcher names the data-root the installer read from the running dockerd.
        String launcher = Files.readString(Path.of(LAUNCHER));
        assertTrue(launcher.contains(LauncherEnvironment.ENGINE_DIRECTORIES + "='docker:" + dataRoot + "'"), launcher);
        assertTrue(dockerd.docker("info", "--format", "{{json .Runtimes}}").requireSuccess().stdout().contains("\"" + HANDLER
                + "\":{\"path\":\"" + LAUNCHER + "\""), "dockerd loaded the handler");

        // The seed's demo: the same image through runc and through Stockade.
        String hostRelease = Commands.run("uname", "-r").requireSuccess().stdout().strip();
        assertEquals(hostRelease, dockerd.docker("run", "--rm", "--runtime=runc", "--network", "none", IMAGE, "uname", "-r")
                .requireSuccess().stdout().strip());
        assertEquals("4.4.0", dockerd.docker("run", "--rm", "--runtime=" + HANDLER, "--network", "none", IMAGE, "uname", "-r")
                .requireSuccess().stdout().strip(), "the container sees the profile's kernel");
        // A normal container with all of Docker's own files (its shm too, with a shareable IPC namespace).
        CommandResult normal = dockerd.docker("run", "--rm", "--runtime=" + HANDLER, "--network", "none", "--ipc=shareable", "--hostname",
                "sandboxed", IMAGE, "sh", "-c", "cat /etc/hostname && grep -cE ' /etc/(hostname|hosts|resolv.conf) | /dev/shm ' "
                        + "/proc/self/mounts && echo x > /dev/shm/y && echo ok");
        assertEquals("sandboxed\n4\nok\n", normal.requireSuccess().stdout(), "Docker's four files are mounted");

        assertRefused(dockerd.docker("run", "--rm", "--runtime=" + HANDLER, "--network", "none", "-v", "/:/x", IMAGE, "true"), "host-mount",
                "bind mount of host path / at /x is not allowed by sandbox profile untrusted");
        assertRefused(dockerd.docker("run", "--rm", "--runtime=" + HANDLER, "--network", "none", "--privileged", IMAGE, "true"), "privileged",
                "privileged containers are not allowed by sandbox profile untrusted");
        String other = dockerd.docker("run", "-d", "--runtime=runc", "--network", "none", IMAGE, "sleep", "300").requireSuccess().stdout().strip();
        String pod = dockerd.docker("run", "-d", "--runtime=" + HANDLER, "--network", "none", "--ipc=shareable", "--hostname", "pod", IMAGE,
                "sleep", "300").requireSuccess().stdout().strip();
        try {
            String othersResolvConf = dataRoot + "/containers/" + other + "/resolv.conf";
            assertTrue(Files.exists(Path.of(othersResolvConf)), othersResolvConf);
            assertRefused(dockerd.docker("run", "--rm", "--runtime=" + HANDLER, "--network", "none", "-v", othersResolvConf + ":/etc/resolv.conf",
                    IMAGE, "true"), "host-mount", "is the resolv.conf the docker engine keeps for " + other + ", not for this container");
            // cri-dockerd's pods and compose's sidecars: a container that joins another's namespaces gets that one's files.
            CommandResult member = dockerd.docker("run", "--rm", "--runtime=" + HANDLER, "--network", "container:" + pod, "--ipc", "container:" + pod,
                    IMAGE, "sh", "-c", "cat /etc/hostname && echo member > /dev/shm/from-member && echo ok");
            assertEquals("pod\nok\n", member.requireSuccess().stdout(), "the member sees the pod's hostname file");
            assertEquals("member\n", dockerd.docker("exec", pod, "cat", "/dev/shm/from-member").requireSuccess().stdout(),
                    "the pod sees what its member wrote to the shared /dev/shm");
            // dockerd gives every runtime the same runc --root (a new user's trial), so a container that runc runs is found too.
            assertEquals("ok\n", dockerd.docker("run", "--rm", "--runtime=" + HANDLER, "--network", "container:" + other, IMAGE, "echo", "ok")
                    .requireSuccess().stdout());
        } finally {
            dockerd.docker("rm", "-f", other, pod);
        }

        podman(!dataRoot.toString().equals(PrivateDockerd.DEFAULT_DATA_ROOT));

        RealContainerdTest.Output uninstall = run(environment, "uninstall");
        assertEquals(0, uninstall.exitCode(), uninstall.text());
        assertArrayEquals(daemonJsonBefore, Files.readAllBytes(dockerd.configFile()), "daemon.json is as before");
        assertFalse(Files.exists(Path.of("/opt/stockade")));
        // dockerd's SIGHUP reload replaces its runtimes only when daemon.json names some (moby daemon/reload.go), so the
        // running daemon keeps the handler's name until it restarts; its launcher is gone, so nothing runs through it.
        assertNotEquals(0, dockerd.docker("run", "--rm", "--runtime=" + HANDLER, "--network", "none", IMAGE, "true").exitCode());
        dockerd.restart();
        assertEquals(runtimesBefore, dockerd.docker("info", "--format", "{{json .Runtimes}}").requireSuccess().stdout(),
                "the restarted dockerd's runtimes are as before the install");
    }

    /**
     * Podman, which has no daemon to register a runtime with: {@code --runtime} names a launcher the
     * admin writes, with the environment an installer-written launcher has; at the default storage
     * it names no directories (the runtime then knows containers/storage's usual ones).
     */
    private void podman(boolean custom) throws Exception {
        List<String> global = new ArrayList<>(List.of("podman", "--cgroup-manager=cgroupfs", "--events-backend=file"));
        Path root = custom ? directory.resolve("podman-root") : Path.of("/var/lib/containers/storage");
        Path runroot = custom ? directory.resolve("podman-run") : Path.of("/run/containers/storage");
        if (custom) {
            global.addAll(List.of("--root", root.toString(), "--runroot", runroot.toString(), "--tmpdir", directory.resolve("podman-tmp").toString()));
        }
        Path launcher = directory.resolve("podman-stockade");
        Files.writeString(launcher, "#!/bin/sh\n"
                + LauncherEnvironment.PROFILE + "=/etc/stockade/profiles/untrusted.json\nexport " + LauncherEnvironment.PROFILE + "\n"
                + LauncherEnvironment.POLICY + "=untrusted-code\nexport " + LauncherEnvironment.POLICY + "\n"
                + (custom ? LauncherEnvironment.ENGINE_DIRECTORIES + "='" + EngineDirectories.of(
                        new EngineDirectories.Entry(EngineDirectories.Layout.CONTAINERS_STORAGE, root.toString()),
                        new EngineDirectories.Entry(EngineDirectories.Layout.CONTAINERS_STORAGE, runroot.toString())).format()
                        + "'\nexport " + LauncherEnvironment.ENGINE_DIRECTORIES + "\n" : "")
                + "exec " + HostLayout.CURRENT + "/" + HostLayout.RUNTIME_LAUNCHER + " \"$@\"\n");
        assertTrue(launcher.toFile().setExecutable(true));
        // Root here lacks CAP_SYS_RESOURCE, and Podman would raise these limits for root.
        List<String> run = List.of("run", "--rm", "--network", "none", "--ulimit", "nofile=1024:1024", "--ulimit", "nproc=1024:1024");
        try {
            Path context = Files.createDirectories(directory.resolve("podman-image"));
            Commands.run("cp", "-a", rootfs.toString(), context.resolve("rootfs").toString()).requireSuccess();
            Files.writeString(context.resolve("Dockerfile"), "FROM scratch\nCOPY rootfs/ /\nCMD [\"sh\"]\n");
            podman(global, List.of("build", "-q", "-t", IMAGE, context.toString())).requireSuccess();
            String hostRelease = Commands.run("uname", "-r").requireSuccess().stdout().strip();
            assertEquals(hostRelease, podman(withRuntime(global, "runc"), concat(run, IMAGE, "uname", "-r")).requireSuccess().stdout().strip());
            List<String> sandboxed = withRuntime(global, launcher.toString());
            assertEquals("4.4.0", podman(sandboxed, concat(run, IMAGE, "uname", "-r")).requireSuccess().stdout().strip());
            assertEquals("sandboxed\n4\nok\n", podman(sandboxed, concat(run, "--hostname", "sandboxed", IMAGE, "sh", "-c",
                    "echo \"$(cat /etc/hostname)\" && grep -cE ' /etc/(hostname|hosts) | /run/\\.containerenv | /dev/shm ' /proc/self/mounts "
                            + "&& echo x > /dev/shm/y && echo ok")).requireSuccess().stdout(), "Podman's four files are mounted");
            assertRefused(podman(sandboxed, concat(run, "-v", "/:/x", IMAGE, "true")), "host-mount",
                    "bind mount of host path / at /x is not allowed by sandbox profile untrusted");
            assertRefused(podman(sandboxed, concat(run, "--privileged", IMAGE, "true")), "privileged",
                    "privileged containers are not allowed by sandbox profile untrusted");
            String other = podman(withRuntime(global, "runc"), List.of("run", "-d", "--network", "none", "--ulimit", "nofile=1024:1024",
                    "--ulimit", "nproc=1024:1024", IMAGE, "sleep", "300")).requireSuccess().stdout().strip();
            String othersHosts = runroot + "/overlay-containers/" + other + "/userdata/hosts";
            assertTrue(Files.exists(Path.of(othersHosts)), othersHosts);
            assertRefused(podman(sandboxed, concat(run, "-v", othersHosts + ":/etc/hosts", IMAGE, "true")), "host-mount",
                    "is the hosts the containers-storage engine keeps for " + other + ", not for this container");
            // A new user's trial: an annotation naming the other container as the sandbox opened its files. It proves nothing now.
            assertRefused(podman(sandboxed, concat(run, "--annotation", "io.kubernetes.cri-o.SandboxID=" + other, "-v",
                    othersHosts + ":/etc/hosts", IMAGE, "true")), "host-mount", "only when it joins " + other + "'s network namespace");
            // A container that joins a sandboxed one's network namespace runs, with whatever files Podman shares.
            String pod = podman(sandboxed, List.of("run", "-d", "--network", "none", "--ulimit", "nofile=1024:1024", "--ulimit",
                    "nproc=1024:1024", "--hostname", "pod", IMAGE, "sleep", "300")).requireSuccess().stdout().strip();
            assertEquals("ok\n", podman(sandboxed, concat(List.of("run", "--rm", "--ulimit", "nofile=1024:1024", "--ulimit", "nproc=1024:1024"),
                    "--network", "container:" + pod, IMAGE, "sh", "-c", "cat /etc/hosts > /dev/null && echo ok")).requireSuccess().stdout());
        } finally {
            podman(withRuntime(global, "runc"), List.of("rm", "-f", "-a", "-t", "0"));
            podman(global, List.of("system", "reset", "-f"));
            PrivateDockerd.unmountBelow(List.of(root.toString(), runroot.toString()));
        }
    }

    private static List<String> withRuntime(List<String> global, String runtime) {
        List<String> all = new ArrayList<>(global);
        all.addAll(List.of("--runtime", runtime));
        return all;
    }

    private static List<String> concat(List<String> first, String... more) {
        List<String> all = new ArrayList<>(first);
        all.addAll(List.of(more));
        return all;
    }

    private static CommandResult podman(List<String> global, List<String> arguments) {
        List<String> command = new ArrayList<>(global);
        command.addAll(arguments);
        return Commands.run(ENGINE_TIMEOUT, Map.of(), command);
    }

    /** A container the engine did not start: the engine's command failed with the runtime's refusal, naming the rule. */
    private static void assertRefused(CommandResult result, String rule, String text) {
        assertNotEquals(0, result.exitCode(), result.describe());
        assertTrue(result.stderr().contains("(rule " + rule + ")") && result.stderr().contains(text), result.describe());
    }

    /** Root, Debian's dockerd, docker and podman, the tools the test uses, and the built payload with its supervisor; no other Stockade install. */
    private static Path requireHostAndPayload() {
        HostPrerequisites.requireRoot();
        for (String executable : List.of("dockerd", PrivateDockerd.CLIENT, "podman", "containerd", "runc", "busybox", "setsid")) {
            HostPrerequisites.requireExecutable(executable);
        }
        Path payload = Path.of(System.getProperty("stockade.payload", "target/payload")).toAbsolutePath();
        HostPrerequisites.require(Files.isExecutable(payload.resolve("bin/stockade-supervisor")),
                "the runtime payload with its supervisor unpacked at " + payload);
        assertFalse(Files.exists(Path.of("/opt/stockade")), "/opt/stockade exists already: another Stockade install is on this machine");
        return payload;
    }

    private static Map<String, String> installEnvironment(Path payload, Path profiles, PrivateDockerd dockerd) {
        String dockerHost = "DOCKER_HOST=unix://" + dockerd.socket() + " ";
        return Map.of(
                InstallerEnvironment.POLICY, "untrusted-code",
                InstallerEnvironment.HANDLERS, "untrusted=" + HANDLER,
                InstallerEnvironment.HOST_ROOT, "/",
                InstallerEnvironment.CONTAINER_RUNTIME, "docker",
                InstallerEnvironment.PROFILE_SOURCE, profiles.toString(),
                InstallerConfig.PAYLOAD, payload.toString(),
                // This dockerd only, not any other one on the machine.
                InstallerConfig.RESTART, "command:" + dockerd.reloadCommand(),
                InstallerConfig.RUNTIME_SOCKET, dockerd.socket().toString(),
                // dockerd reloads its runtimes after answering the signal: the verification waits for the handler, then runs a container.
                InstallerConfig.VERIFY, "command:for i in $(seq 50); do " + dockerHost + PrivateDockerd.CLIENT + " info --format '{{json .Runtimes}}' "
                        + "| grep -q \"\\\"$1\\\"\" && break; sleep 0.2; done; " + dockerHost + PrivateDockerd.CLIENT + " run --rm --runtime=\"$1\" "
                        + "--network none " + IMAGE + " true");
    }

    private static RealContainerdTest.Output run(Map<String, String> environment, String... args) {
        return RealContainerdTest.run(environment, args);
    }
}
