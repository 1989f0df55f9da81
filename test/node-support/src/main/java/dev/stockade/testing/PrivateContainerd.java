package dev.stockade.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * A containerd of its own for one test: own config, root, state and socket under a work directory,
 * running in a private mount namespace with the work directory's {@code run/} mounted over
 * /run/containerd (containerd 1.6 puts shim sockets there whatever its config says), so the host's
 * containerd, if any, is never touched. Always {@link #close()} it (try-with-resources).
 *
 * <pre>{@code
 * try (PrivateContainerd containerd = PrivateContainerd.start(tempDir)) {
 *     String image = containerd.importImage(BusyboxImage.ociArchive(BusyboxImage.rootfs(tempDir.resolve("rootfs")), tempDir));
 *     CommandResult result = containerd.run(image, "c1", List.of("--runc-binary", runtime), "sh", "-c", "echo hi");
 * }
 * }</pre>
 */
public final class PrivateContainerd implements AutoCloseable {

    private static final Duration START_TIMEOUT = Duration.ofSeconds(20);

    private final Path workDir;
    private final Path configFile;
    private final Optional<Path> binDirectory;
    private final Path socket;
    private Process process;

    private PrivateContainerd(Path workDir, Path configFile, Optional<Path> binDirectory, Path socket) {
        this.workDir = workDir;
        this.configFile = configFile;
        this.binDirectory = binDirectory;
        this.socket = socket;
    }

    /** Starts containerd with {@link #baseConfig(Path)} (the CRI plugin disabled) under {@code workDir}. */
    public static PrivateContainerd start(Path workDir) {
        try {
            Files.createDirectories(workDir);
            Path config = workDir.resolve("config.toml");
            Files.writeString(config, baseConfig(workDir));
            return start(workDir, config);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write a containerd config under " + workDir, e);
        }
    }

    /**
     * Starts containerd with a config file the caller wrote, which must keep root, state and the
     * socket addresses of {@link #baseConfig(Path)} for this {@code workDir} (it may add imports,
     * runtimes, the CRI plugin…).
     */
    public static PrivateContainerd start(Path workDir, Path configFile) {
        return start(workDir, configFile, Optional.empty());
    }

    /**
     * As {@link #start(Path, Path)}, with {@code containerd}, {@code ctr} and the shims from
     * {@code binDirectory} (another containerd release, such as 2.x from
     * {@link BuiltTools#containerd2()}) instead of PATH's.
     */
    public static PrivateContainerd start(Path workDir, Path configFile, Optional<Path> binDirectory) {
        return start(new PrivateContainerd(workDir, configFile, binDirectory, workDir.resolve("containerd.sock")));
    }

    /**
     * As {@link #start(Path, Path)}, for a config whose gRPC address is {@code socket} instead of the
     * work directory's (a distribution's layout, such as k3s's /run/k3s/containerd/containerd.sock);
     * the work directory still holds the log, the FIFOs, runc's state and what is mounted over
     * /run/containerd.
     */
    public static PrivateContainerd start(Path workDir, Path configFile, Path socket) {
        return start(new PrivateContainerd(workDir, configFile, Optional.empty(), socket.toAbsolutePath()));
    }

    private static PrivateContainerd start(PrivateContainerd containerd) {
        HostPrerequisites.requireRoot();
        HostPrerequisites.requireExecutable(containerd.binary("containerd"));
        HostPrerequisites.requireExecutable(containerd.binary("ctr"));
        HostPrerequisites.requireExecutable("unshare");
        containerd.launch();
        return containerd;
    }

    /** The program {@code name} (containerd, ctr) of this containerd's release: absolute, or a bare name found on PATH. */
    public String binary(String name) {
        return binDirectory.map(directory -> directory.resolve(name).toString()).orElse(name);
    }

    /**
     * A config-version-2 containerd config that keeps everything under {@code workDir} and disables
     * the CRI plugin (which needs CNI); callers extend it for their own needs.
     */
    public static String baseConfig(Path workDir) {
        return """
                version = 2
                root = "%1$s/root"
                state = "%1$s/state"
                disabled_plugins = ["io.containerd.grpc.v1.cri"]

                [grpc]
                  address = "%1$s/containerd.sock"

                [ttrpc]
                  address = "%1$s/containerd.sock.ttrpc"
                """.formatted(workDir.toAbsolutePath());
    }

    public Path workDir() {
        return workDir;
    }

    public Path configFile() {
        return configFile;
    }

    public Path socket() {
        return socket;
    }

    /** containerd's own stdout and stderr. */
    public Path logFile() {
        return workDir.resolve("containerd.log");
    }

    /** {@code ctr --address <socket> args…}. */
    public CommandResult ctr(String... args) {
        return ctr(Commands.DEFAULT_TIMEOUT, List.of(args));
    }

    public CommandResult ctr(Duration timeout, List<String> args) {
        List<String> command = new ArrayList<>(List.of(binary("ctr"), "--address", socket().toString()));
        command.addAll(args);
        return Commands.run(timeout, Map.of(), command);
    }

    /** Imports an OCI-layout tar (see {@link BusyboxImage#ociArchive}) and returns its reference. */
    public String importImage(Path ociArchive) {
        ctr("images", "import", "--base-name", "docker.io/stockade/busybox", ociArchive.toString()).requireSuccess();
        return BusyboxImage.DEFAULT_REFERENCE;
    }

    /**
     * The options {@code ctr run} needs to keep its FIFOs and runc state inside this test's work
     * directory; {@link #run} adds them itself.
     */
    public List<String> privateRunOptions() {
        return List.of("--fifo-dir", workDir.resolve("fifo").toString(), "--runc-root", workDir.resolve("runc").toString());
    }

    /**
     * {@code ctr run --rm} of {@code image} as container {@code id} with extra {@code ctr run}
     * options (for example {@code --runc-binary /path}) and the container's command.
     */
    public CommandResult run(String image, String id, List<String> runOptions, String... command) {
        List<String> args = new ArrayList<>(List.of("run", "--rm"));
        args.addAll(privateRunOptions());
        args.addAll(runOptions);
        args.add(image);
        args.add(id);
        args.addAll(List.of(command));
        return ctr(Commands.DEFAULT_TIMEOUT, args);
    }

    /** Stops containerd (shims and containers keep running, as on a real node) and starts it again. */
    public void restart() {
        stopDaemon();
        launch();
    }

    /** Stops containerd and every shim it started (and so their containers); keeps the work directory. */
    @Override
    public void close() {
        stopDaemon();
        for (ProcessHandle shim : shims()) {
            shim.descendants().forEach(ProcessHandle::destroyForcibly);
            shim.destroyForcibly();
        }
    }

    private void launch() {
        try {
            Files.createDirectories(workDir.resolve("run"));
            Files.createDirectories(workDir.resolve("fifo"));
            Files.createDirectories(workDir.resolve("runc"));
            Files.createDirectories(Path.of("/run/containerd"));
            Files.deleteIfExists(socket());
            // PATH first names the release's directory, where containerd also finds its shims.
            String script = "mount --bind \"$1\" /run/containerd && export PATH=\"$3$PATH\" && exec containerd --config \"$2\"";
            process = TestDaemons.start("containerd", List.of("unshare", "--mount", "--propagation", "private", "sh", "-c", script, "sh",
                    workDir.resolve("run").toString(), configFile.toString(), binDirectory.map(directory -> directory + ":").orElse("")), logFile(),
                    () -> Files.exists(socket()) && ctr("version").exitCode() == 0, START_TIMEOUT);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start containerd under " + workDir, e);
        }
    }

    private void stopDaemon() {
        if (process != null) {
            TestDaemons.stop(process, Duration.ofSeconds(10));
            process = null;
        }
    }

    /** The shims of this containerd: they carry its socket address on their command line. */
    private List<ProcessHandle> shims() {
        String address = socket().toString();
        try (Stream<ProcessHandle> all = ProcessHandle.allProcesses()) {
            return all.filter(p -> commandLine(p.pid()).contains(address)).toList();
        }
    }

    private static String commandLine(long pid) {
        try {
            return new String(Files.readAllBytes(Path.of("/proc", Long.toString(pid), "cmdline")), StandardCharsets.UTF_8)
                    .replace('\0', ' ');
        } catch (IOException e) {
            return "";
        }
    }
}
