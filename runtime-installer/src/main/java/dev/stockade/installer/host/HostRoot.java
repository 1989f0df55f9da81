package dev.stockade.installer.host;

import dev.stockade.installer.InstallerException;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * The host's root file system as the installer sees it: {@code /host} in the pod, a temporary
 * tree in tests. Paths written into the host's configuration stay host-absolute
 * ({@code /opt/stockade/...}); only the installer's own file access goes through {@link #resolve}.
 */
public record HostRoot(Path path) {

    public HostRoot {
        path = path.toAbsolutePath().normalize();
    }

    /** The installer-visible location of a host-absolute path. */
    public Path resolve(String hostAbsolutePath) {
        if (!hostAbsolutePath.startsWith("/")) {
            throw new IllegalArgumentException("not a host-absolute path: " + hostAbsolutePath);
        }
        Path resolved = path.resolve(hostAbsolutePath.substring(1)).normalize();
        if (!resolved.startsWith(path)) {
            throw new IllegalArgumentException("path leaves the host root: " + hostAbsolutePath);
        }
        return resolved;
    }

    /** The host-absolute form of an installer-visible path under this root. */
    public String hostPath(Path visible) {
        Path relative = path.relativize(visible.toAbsolutePath().normalize());
        return "/" + relative;
    }

    /** A host file's text, or empty when it does not exist. */
    public Optional<String> read(String hostAbsolutePath) throws InstallerException {
        try {
            return HostFiles.readIfExists(resolve(hostAbsolutePath));
        } catch (IOException e) {
            throw new InstallerException("cannot read " + hostAbsolutePath + ": " + e.getMessage(), e);
        }
    }

    /**
     * The host's processes of root's named {@code name} (their /proc/PID/comm), as their /proc/PID
     * directories, lowest pid first. Root's only: any user can name a process dockerd (a rootless
     * Docker), and it is not the node's engine. A process that ends while it is read is left out.
     *
     * @throws IOException when the host's /proc cannot be listed
     */
    public List<Path> rootProcesses(String name) throws IOException {
        try (Stream<Path> entries = Files.list(resolve("/proc"))) {
            return entries.filter(p -> p.getFileName().toString().matches("[0-9]+"))
                    .sorted(Comparator.comparingLong(p -> Long.parseLong(p.getFileName().toString())))
                    .filter(p -> {
                        try {
                            return Files.readString(p.resolve("comm"), StandardCharsets.UTF_8).strip().equals(name)
                                    && Integer.valueOf(0).equals(Files.getAttribute(p, "unix:uid"));
                        } catch (IOException e) {
                            return false;
                        }
                    })
                    .toList();
        }
    }

    public boolean isSystemRoot() {
        return path.getParent() == null;
    }
}
