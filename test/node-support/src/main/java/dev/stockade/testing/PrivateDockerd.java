package dev.stockade.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Debian's Docker engine (docker.io) started as root for one test: its own socket, pid file and
 * daemon.json under a work directory, no bridge and no iptables rules, and either Docker's default
 * layout ({@code /var/lib/docker}, {@code /var/run/docker}: they must not exist before, and are
 * removed by {@link #close}) or a data-root and exec-root under the work directory. Talk to it with
 * {@link #docker}, which uses Debian's client (/usr/local/bin/docker on these machines is a newer,
 * client-only build).
 */
public final class PrivateDockerd implements AutoCloseable {

    public static final String CLIENT = "/usr/bin/docker";
    public static final String DEFAULT_DATA_ROOT = "/var/lib/docker";
    public static final String DEFAULT_EXEC_ROOT = "/var/run/docker";
    private static final Duration START_TIMEOUT = Duration.ofSeconds(120);
    /** What dockerd makes on the host whatever its roots: /run/docker/plugins, and /etc/docker unless told otherwise. */
    private static final List<String> HOST_PATHS = List.of("/run/docker", "/etc/docker");

    private final Path workDir;
    private final boolean defaultLayout;
    private final Map<String, Boolean> existed = new LinkedHashMap<>();
    private Process process;

    private PrivateDockerd(Path workDir, boolean defaultLayout) {
        this.workDir = workDir;
        this.defaultLayout = defaultLayout;
    }

    /**
     * Starts dockerd under {@code workDir}, with Docker's default data-root and exec-root when
     * {@code defaultLayout}; fails (CI) or skips without root, dockerd or the client.
     */
    public static PrivateDockerd start(Path workDir, boolean defaultLayout) {
        HostPrerequisites.requireRoot();
        HostPrerequisites.requireExecutable("dockerd");
        HostPrerequisites.requireExecutable(CLIENT);
        HostPrerequisites.requireExecutable("containerd");
        PrivateDockerd dockerd = new PrivateDockerd(workDir, defaultLayout);
        List<String> hostPaths = new ArrayList<>(HOST_PATHS);
        if (defaultLayout) {
            if (Files.exists(Path.of(DEFAULT_DATA_ROOT))) {
                throw new AssertionError(DEFAULT_DATA_ROOT + " exists: another Docker engine's data is on this machine");
            }
            hostPaths.add(DEFAULT_DATA_ROOT);
        }
        hostPaths.forEach(path -> dockerd.existed.put(path, Files.exists(Path.of(path))));
        try {
            Files.createDirectories(workDir);
            // Docker 20.10 writes its trust key to /etc/docker/key.json whatever --config-file says, unless told.
            Files.writeString(dockerd.configFile(), "{\n  \"deprecated-key-path\": \"" + workDir.resolve("key.json") + "\"\n}\n");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        dockerd.launch();
        return dockerd;
    }

    public Path socket() {
        return workDir.resolve("docker.sock");
    }

    public Path configFile() {
        return workDir.resolve("daemon.json");
    }

    public Path pidFile() {
        return workDir.resolve("dockerd.pid");
    }

    public Path logFile() {
        return workDir.resolve("dockerd.log");
    }

    public Path dataRoot() {
        return defaultLayout ? Path.of(DEFAULT_DATA_ROOT) : workDir.resolve("data");
    }

    public Path execRoot() {
        return defaultLayout ? Path.of(DEFAULT_EXEC_ROOT) : workDir.resolve("exec");
    }

    /** A shell command that has this dockerd, and no other one, re-read its daemon.json. */
    public String reloadCommand() {
        return "kill -HUP $(cat " + pidFile() + ")";
    }

    /** Debian's docker client against this daemon, classic builder (no BuildKit: it would want a registry). */
    public CommandResult docker(String... arguments) {
        List<String> command = new ArrayList<>(List.of(CLIENT));
        command.addAll(List.of(arguments));
        return Commands.run(START_TIMEOUT, Map.of("DOCKER_HOST", "unix://" + socket(), "DOCKER_BUILDKIT", "0"), command);
    }

    /** Builds image {@code tag} FROM scratch with {@code rootfs} (a {@link BusyboxImage#rootfs}) as its only layer. */
    public void buildImage(Path rootfs, String tag) {
        try {
            Path context = Files.createDirectories(workDir.resolve("image-" + tag));
            Commands.run("cp", "-a", rootfs.toString(), context.resolve("rootfs").toString()).requireSuccess();
            Files.writeString(context.resolve("Dockerfile"), "FROM scratch\nCOPY rootfs/ /\nCMD [\"sh\"]\n");
            docker("build", "-q", "-t", tag, context.toString()).requireSuccess();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Stops dockerd (and with it its containerd and containers) and starts it again with the same flags. */
    public void restart() {
        stopDaemon();
        launch();
    }

    /** Stops dockerd, unmounts what it left, and removes the host directories it made that were not there before. */
    @Override
    public void close() {
        stopDaemon();
        unmountBelow(List.of(dataRoot().toString(), execRoot().toString(), "/run/docker"));
        for (Map.Entry<String, Boolean> path : existed.entrySet()) {
            if (!path.getValue() && Files.exists(Path.of(path.getKey()))) {
                Commands.run("rm", "-rf", "--one-file-system", path.getKey());
            }
        }
    }

    private List<String> arguments() {
        List<String> arguments = new ArrayList<>(List.of("dockerd", "-H", "unix://" + socket(), "--pidfile", pidFile().toString(),
                "--config-file", configFile().toString(), "--bridge=none", "--iptables=false", "--ip-masq=false"));
        if (!defaultLayout) {
            arguments.addAll(List.of("--data-root", dataRoot().toString(), "--exec-root", execRoot().toString()));
        }
        return arguments;
    }

    private void launch() {
        process = TestDaemons.start("dockerd", arguments(), logFile(), () -> Files.exists(socket()) && docker("version").exitCode() == 0,
                START_TIMEOUT);
    }

    private void stopDaemon() {
        if (process != null) {
            TestDaemons.stop(process, Duration.ofSeconds(60));
            process = null;
        }
    }

    /** Unmounts whatever an engine left mounted at or below these directories, deepest first. */
    public static void unmountBelow(List<String> directories) {
        List<String> mountPoints = new ArrayList<>();
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/mounts"))) {
                String mountPoint = line.split(" ")[1].replace("\\040", " ");
                if (directories.stream().anyMatch(directory -> mountPoint.equals(directory) || mountPoint.startsWith(directory + "/"))) {
                    mountPoints.add(mountPoint);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        mountPoints.sort(Comparator.comparingInt(String::length).reversed());
        for (String mountPoint : mountPoints) {
            Commands.run("umount", "-l", mountPoint);
        }
    }
}
