package dev.stockade.runtime.host;

import dev.stockade.runtime.spec.HostView;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Objects;

/** The host as this process sees it: it runs in the host's namespaces, started by the shim. */
public final class LinuxHostView implements HostView {

    @Override
    public String realPath(String hostPath) {
        Path path = Path.of(hostPath).normalize();
        Path missing = Path.of("");
        while (path != null) {
            try {
                return path.toRealPath().resolve(missing).normalize().toString();
            } catch (IOException e) {
                if (path.getFileName() == null) {
                    break;
                }
                missing = path.getFileName().resolve(missing);
                path = path.getParent();
            }
        }
        return hostPath;
    }

    @Override
    public boolean isHostNamespace(String type, String path) {
        String procName = switch (type) {
            case "network" -> "net";
            case "mount" -> "mnt";
            default -> type;
        };
        try {
            Path own = Path.of("/proc/self/ns", procName);
            Path other = Path.of(path);
            return Objects.equals(Files.getAttribute(own, "unix:ino"), Files.getAttribute(other, "unix:ino"))
                    && Objects.equals(Files.getAttribute(own, "unix:dev"), Files.getAttribute(other, "unix:dev"));
        } catch (IOException | UnsupportedOperationException | IllegalArgumentException e) {
            // Fail closed: a namespace we cannot examine might be the host's.
            return true;
        }
    }
}
