package dev.stockade.installer;

import dev.stockade.api.InstallerEnvironment;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * A {@link FakeHost} for tests in other packages, with the environment that points the command
 * line at it: stock containerd, installed-files verification, and a restart command that only
 * counts (the fake tree has no container runtime; the real one is exercised in RealContainerdTest).
 */
public final class FakeHostAccess {

    private final FakeHost host;
    private final Path restartLog;

    public FakeHostAccess(Path directory) throws IOException {
        host = new FakeHost(directory);
        restartLog = directory.resolve("restarts.log");
    }

    public void write(String hostPath, String content) {
        host.write(hostPath, content);
    }

    /** The payload the installer copies (write a {@code bin/...} here to give it one). */
    public Path payload() {
        return host.payload;
    }

    public Path root() {
        return host.root;
    }

    public Path profileSource() {
        return host.profileSource;
    }

    public Map<String, String> snapshot() {
        return host.snapshot();
    }

    /** How often the restart command ran. */
    public long restarts() throws IOException {
        return java.nio.file.Files.exists(restartLog) ? java.nio.file.Files.readAllLines(restartLog).size() : 0;
    }

    public Map<String, String> environment() {
        return Map.of(
                InstallerEnvironment.HOST_ROOT, host.root.toString(),
                InstallerEnvironment.HANDLERS, FakeHost.HANDLERS.stream().map(h -> h.runtimeClass() + "=" + h.name()).collect(Collectors.joining(",")),
                InstallerEnvironment.CONTAINER_RUNTIME, "containerd",
                InstallerEnvironment.PROFILE_SOURCE, host.profileSource.toString(),
                InstallerConfig.PAYLOAD, host.payload.toString(),
                InstallerConfig.RESTART, "command:echo restart >> " + restartLog,
                InstallerConfig.RUNTIME_SOCKET, "none",
                InstallerConfig.VERIFY, "files");
    }
}
