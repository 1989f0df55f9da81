package dev.stockade.runtime.host;

import dev.stockade.runtime.spec.HostView;

import java.io.IOException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Map;
import java.util.Objects;

/** The host as this process sees it: it runs in the host's namespaces, started by the shim. */
public final class LinuxHostView implements HostView {

    /** st_mode's file type bits (sys/stat.h). */
    private static final int S_IFMT = 0170000;
    private static final int S_IFDIR = 0040000;
    private static final int S_IFREG = 0100000;
    private static final int S_IFLNK = 0120000;
    private static final int S_IFCHR = 0020000;

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

    @Override
    public Entry entry(String hostPath) {
        Path path = Path.of(hostPath);
        try {
            Map<String, Object> attributes = Files.readAttributes(path, "unix:mode,rdev", LinkOption.NOFOLLOW_LINKS);
            int mode = (Integer) attributes.get("mode");
            long device = (Long) attributes.get("rdev");
            return switch (mode & S_IFMT) {
                case S_IFDIR -> Entry.DIRECTORY;
                case S_IFREG -> Entry.REGULAR_FILE;
                case S_IFLNK -> Entry.link(Files.readSymbolicLink(path).toString());
                // gnu_dev_major / gnu_dev_minor (sys/sysmacros.h)
                case S_IFCHR -> Entry.characterDevice((int) (((device >>> 8) & 0xfff) | ((device >>> 32) & ~0xfffL)),
                        (int) ((device & 0xff) | ((device >>> 12) & ~0xffL)));
                default -> Entry.OTHER;
            };
        } catch (NoSuchFileException e) {
            return Entry.MISSING;
        } catch (FileSystemException e) {
            // ENOTDIR: a component on the way is not a directory, so nothing is there.
            return "Not a directory".equals(e.getReason()) ? Entry.MISSING : Entry.UNREADABLE;
        } catch (IOException | UnsupportedOperationException | IllegalArgumentException | ClassCastException e) {
            return Entry.UNREADABLE;
        }
    }
}
