package dev.stockade.runtime.host;

import com.fasterxml.jackson.databind.JsonNode;
import dev.stockade.runtime.json.JsonTrees;
import dev.stockade.runtime.spec.HostView;
import dev.stockade.runtime.spec.RuntimeState;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;

/** The host as this process sees it: it runs in the host's namespaces, started by the shim. */
public final class LinuxHostView implements HostView {

    /** st_mode's file type bits (sys/stat.h). */
    private static final int S_IFMT = 0170000;
    private static final int S_IFDIR = 0040000;
    private static final int S_IFREG = 0100000;
    private static final int S_IFLNK = 0120000;
    private static final int S_IFCHR = 0020000;

    /** How long {@code <delegate> --version} may take; runc answers in about 10 ms. */
    static final long VERSION_TIMEOUT_SECONDS = 5;
    /** More than any runtime's --version prints; what is beyond it is not read. */
    static final int VERSION_OUTPUT_BYTES = 4096;

    /**
     * The file a program's answer was read from: the spec server asks once per binary, and asks
     * again when the file changes (an upgrade writes a new inode; anything else changes its ctime).
     */
    private record ProgramFile(String path, Object device, Object inode, Object size, Object modified, Object changed) {
    }

    private final Map<ProgramFile, String> versionOutputs = new ConcurrentHashMap<>();

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

    /** The name of /proc/&lt;pid&gt;/ns's file for an OCI namespace type (network is net, mount is mnt). */
    private static String procName(String type) {
        return switch (type) {
            case "network" -> "net";
            case "mount" -> "mnt";
            default -> type;
        };
    }

    @Override
    public Optional<Namespace> namespace(String path) {
        try {
            Map<String, Object> attributes = Files.readAttributes(Path.of(path), "unix:dev,ino");
            return Optional.of(new Namespace((Long) attributes.get("dev"), (Long) attributes.get("ino")));
        } catch (IOException | UnsupportedOperationException | IllegalArgumentException | ClassCastException e) {
            return Optional.empty();
        }
    }

    /** What a /proc/&lt;pid&gt;/ns link reads as (proc(5)): the namespace's type and inode, "net:[4026531840]". */
    private static final Pattern NAMESPACE_LINK_TARGET = Pattern.compile("[a-z_]+:\\[[0-9]+\\]");
    private static final Pattern PROC_NAMESPACE = Pattern.compile("/proc/[0-9]+(/task/[0-9]+)?/ns/[a-z_]+");
    /** As many links as the kernel follows in one path lookup (MAXSYMLINKS, path_resolution(7)). */
    private static final int MAX_LINKS = 40;

    @Override
    public Optional<String> namespaceFile(String path) {
        String current = path;
        for (int links = 0; links <= MAX_LINKS; links++) {
            Path lexical = Path.of(current).normalize();
            if (!lexical.isAbsolute() || lexical.getParent() == null) {
                return Optional.empty();
            }
            Path candidate = Path.of(realPath(lexical.getParent().toString())).resolve(lexical.getFileName());
            if (PROC_NAMESPACE.matcher(candidate.toString()).matches()) {
                // The kernel's own link, opened as it is; reading it needs the same access to the
                // process as joining it does, which isHostNamespace then asks for (and fails closed on).
                return Optional.of(candidate.toString());
            }
            Entry entry = entry(candidate.toString());
            if (entry.kind() == Entry.Kind.LINK) {
                if (NAMESPACE_LINK_TARGET.matcher(entry.linkTarget()).matches()) {
                    return Optional.empty(); // a namespace link outside /proc/<pid>/ns: not the kernel's
                }
                current = candidate.getParent().resolve(entry.linkTarget()).toString();
                continue;
            }
            try {
                return entry.kind() == Entry.Kind.REGULAR_FILE && onlyRootMayChange(candidate)
                        ? Optional.of(candidate.toString()) : Optional.empty();
            } catch (IOException e) {
                return Optional.empty();
            }
        }
        return Optional.empty();
    }

    /** S_ISVTX (sys/stat.h): in a sticky directory only an entry's owner may rename or remove it. */
    private static final int STICKY = 01000;

    /**
     * Only root may change {@code file} or what its path names: the file is root's and neither its
     * group nor others may write it, and every directory from its parent up to / is root's, one
     * that others may write (such as /tmp) only if it is sticky and the entry on the way is root's,
     * which nobody else may then rename or remove (the S_ISVTX rule of unlink(2) and rename(2)).
     * Engine records and namespace files are trusted only so.
     */
    private static boolean onlyRootMayChange(Path file) throws IOException {
        Map<String, Object> own = Files.readAttributes(file, "unix:uid,mode", LinkOption.NOFOLLOW_LINKS);
        if ((Integer) own.get("uid") != 0 || ((Integer) own.get("mode") & 0022) != 0) {
            return false;
        }
        Path child = file;
        for (Path directory = file.getParent(); directory != null; child = directory, directory = directory.getParent()) {
            Map<String, Object> attributes = Files.readAttributes(directory, "unix:uid,mode", LinkOption.NOFOLLOW_LINKS);
            int mode = (Integer) attributes.get("mode");
            if ((Integer) attributes.get("uid") != 0) {
                return false;
            }
            if ((mode & 0022) != 0 && ((mode & STICKY) == 0
                    || (Integer) Files.getAttribute(child, "unix:uid", LinkOption.NOFOLLOW_LINKS) != 0)) {
                return false;
            }
        }
        return true;
    }

    @Override
    public Optional<Namespace> containerNamespace(RuntimeState state, String id, String type) {
        if (!List.of("network", "ipc", "uts", "pid", "mount", "cgroup").contains(type)) {
            return Optional.empty();
        }
        try {
            // Checked and read at its real path: runtime roots are often named through links (/var/run).
            Path file = state.file(id).toRealPath();
            if (!onlyRootMayChange(file)) {
                return Optional.empty();
            }
            JsonNode recorded = JsonTrees.read(file);
            long pid = recorded.path(state.format().pidField).asLong(0);
            long start = recorded.path(state.format().startField).asLong(-1);
            if (pid <= 0 || start < 0 || startTime(pid) != start) {
                return Optional.empty();
            }
            Optional<Namespace> namespace = namespace("/proc/" + pid + "/ns/" + procName(type));
            // Still the same process: the namespace read was its own, not a successor's under the same pid.
            return startTime(pid) == start ? namespace : Optional.empty();
        } catch (IOException | RuntimeException e) {
            return Optional.empty();
        }
    }

    /** The start time of {@code pid}, -1 when it is gone. */
    private static long startTime(long pid) {
        return startTicks(Path.of("/proc"), Long.toString(pid)).orElse(-1);
    }

    /**
     * Field 22 of {@code <proc>/<pid>/stat}, the process's start time in clock ticks since boot
     * (proc(5)); empty when it is gone or unreadable.
     */
    public static OptionalLong startTicks(Path proc, String pid) {
        try {
            String stat = Files.readString(proc.resolve(pid).resolve("stat"), StandardCharsets.ISO_8859_1);
            // The command name (field 2) is in parentheses and may hold spaces or parentheses itself.
            String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            return OptionalLong.of(Long.parseLong(fields[22 - 3]));
        } catch (IOException | RuntimeException e) {
            return OptionalLong.empty();
        }
    }

    @Override
    public Optional<JsonNode> engineJson(String path) {
        try {
            Path file = Path.of(path).toRealPath();
            return onlyRootMayChange(file) ? Optional.of(JsonTrees.read(file)) : Optional.empty();
        } catch (IOException | RuntimeException e) {
            return Optional.empty();
        }
    }

    @Override
    public boolean isHostNamespace(String type, String path) {
        String procName = procName(type);
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

    @Override
    public Optional<String> versionOutput(String program) {
        ProgramFile file;
        try {
            Map<String, Object> attributes = Files.readAttributes(Path.of(program), "unix:dev,ino,size,lastModifiedTime,ctime");
            file = new ProgramFile(program, attributes.get("dev"), attributes.get("ino"), attributes.get("size"),
                    attributes.get("lastModifiedTime"), attributes.get("ctime"));
        } catch (IOException | UnsupportedOperationException | IllegalArgumentException e) {
            return Optional.empty();
        }
        String known = versionOutputs.get(file);
        if (known != null) {
            return Optional.of(known);
        }
        Optional<String> output = run(program);
        output.ifPresent(text -> versionOutputs.put(file, text));
        return output;
    }

    /** {@code program --version}'s standard output when it exits 0 in time; a failure is not remembered. */
    private static Optional<String> run(String program) {
        Process process = null;
        try {
            process = new ProcessBuilder(List.of(program, "--version")).redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                    .redirectError(ProcessBuilder.Redirect.DISCARD).start();
            // Wait first, then take what it wrote: a program that hangs, or leaves a child holding
            // the pipe, cannot hold the check up. Its few lines fit the pipe.
            if (!process.waitFor(VERSION_TIMEOUT_SECONDS, TimeUnit.SECONDS) || process.exitValue() != 0) {
                return Optional.empty();
            }
            InputStream stdout = process.getInputStream();
            byte[] output = stdout.readNBytes(Math.min(stdout.available(), VERSION_OUTPUT_BYTES));
            return Optional.of(new String(output, StandardCharsets.UTF_8));
        } catch (IOException e) {
            return Optional.empty();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Optional.empty();
        } finally {
            if (process != null) {
                process.destroyForcibly();
            }
        }
    }
}
