package dev.stockade.installer.host;

import dev.stockade.installer.InstallerException;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Optional;

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

    public boolean isSystemRoot() {
        return path.getParent() == null;
    }
}
