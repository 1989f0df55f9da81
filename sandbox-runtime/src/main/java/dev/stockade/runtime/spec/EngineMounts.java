package dev.stockade.runtime.spec;

import com.fasterxml.jackson.databind.JsonNode;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * What container engines themselves mount over runc's own /dev, /proc and /sys, and nothing else.
 * runc sets those up and then trusts them as root: it creates device nodes in /dev, masks /proc
 * and /sys files by bind-mounting /dev/null over them, takes the terminal from /dev/pts, writes
 * sysctls through /proc/sys (CVE-2025-31133, CVE-2025-52565, CVE-2025-52881). A mount there that
 * the pod chose decides what runc does as root.
 *
 * <p>The shapes are those of containerd's defaults and CRI, Docker, CRI-O and {@code runc spec}:
 * the kernel filesystems at their places, runc's fresh tmpfs at /dev, and three binds of files the
 * engines own: the sandbox's or container's /dev/shm that the engine keeps ({@link EngineFiles}), a pod
 * volume at /dev/shm (the usual emptyDir with medium Memory; runc creates nothing there), and the
 * kubelet's termination-message file anywhere under /dev that runc does not use itself.
 */
final class EngineMounts {

    /** runc's own trees: a mount on or below one of them must be an engine's. */
    static final List<String> RUNC_TREES = List.of("/dev", "/proc", "/sys");

    /** What runc does as root in each of its trees, for refusals. */
    static final Map<String, String> RUNC_USE = Map.of(
            "/dev", "where runc creates the device nodes, takes the terminal from /dev/pts and finds the /dev/null it masks /proc "
                    + "and /sys files with",
            "/proc", "through which runc writes sysctls and the process's settings as root, and whose files it masks",
            "/sys", "whose firmware and kernel files runc masks");

    /** What runc itself makes or uses under /dev: device nodes, the terminal, its links, the kernel mounts. */
    static final Set<String> RUNC_DEV_NAMES = Set.of("null", "zero", "full", "random", "urandom", "tty", "console", "ptmx",
            "pts", "shm", "mqueue", "fd", "stdin", "stdout", "stderr", "core");

    /** Options that only restrict, or that only say how to bind: any engine mount may carry them. */
    static final Set<String> RESTRICTING_OPTIONS = Set.of("ro", "rw", "nosuid", "nodev", "noexec", "relatime", "strictatime",
            "noatime", "nodiratime", "private", "rprivate", "slave", "rslave", "unbindable", "runbindable");
    static final Set<String> BIND_OPTIONS = Set.of("bind", "rbind");
    private static final Pattern TMPFS_OPTION = Pattern.compile("mode=[0-7]{3,4}|size=[0-9]+[kmg%]?|nr_inodes=[0-9]+[kmg]?");
    private static final Pattern DEVPTS_OPTION = Pattern.compile("newinstance|ptmxmode=[0-7]{3,4}|mode=[0-7]{3,4}|gid=[0-9]+");
    private static final Pattern NO_OPTION = Pattern.compile("(?!)");

    /** A kernel filesystem or tmpfs an engine mounts at one of runc's places. */
    private record Filesystem(Set<String> types, Set<String> sources, Pattern ownOptions) {
    }

    private static final Map<String, Filesystem> FILESYSTEMS = Map.of(
            "/proc", new Filesystem(Set.of("proc"), Set.of("proc"), NO_OPTION),
            "/sys", new Filesystem(Set.of("sysfs"), Set.of("sysfs"), NO_OPTION),
            "/sys/fs/cgroup", new Filesystem(Set.of("cgroup", "cgroup2"), Set.of("cgroup", "cgroup2"), NO_OPTION),
            "/dev", new Filesystem(Set.of("tmpfs"), Set.of("tmpfs"), TMPFS_OPTION),
            "/dev/pts", new Filesystem(Set.of("devpts"), Set.of("devpts"), DEVPTS_OPTION),
            "/dev/shm", new Filesystem(Set.of("tmpfs"), Set.of("shm", "tmpfs"), TMPFS_OPTION),
            "/dev/mqueue", new Filesystem(Set.of("mqueue"), Set.of("mqueue"), NO_OPTION));

    /** What a bind mount's source is, as far as these rules care. */
    enum Source {
        /** The /dev/shm an engine keeps for the pod sandbox or the container ({@link EngineFiles}). */
        SANDBOX_SHM,
        /** A pod volume's own directory or the kubelet's prepared subPath. */
        POD_VOLUME,
        /** A file of the kubelet's per-container directory: the termination message. */
        KUBELET_CONTAINER_FILE,
        OTHER
    }

    static boolean inRuncTree(String path) {
        return RUNC_TREES.stream().anyMatch(tree -> ContainerPaths.isAtOrBelow(path, tree));
    }

    /**
     * Why {@code mount} at {@code destination} (in one of runc's trees) is not what an engine
     * mounts there, or empty when it is. {@code source} says what a bind mount's source is.
     */
    static Optional<String> mismatch(String destination, JsonNode mount, boolean bind, Source source) {
        List<String> options = SpecValidator.options(mount);
        if (bind) {
            if (destination.equals("/dev/shm") && (source == Source.SANDBOX_SHM || source == Source.POD_VOLUME)) {
                return unexpectedOption(options, BIND_OPTIONS, NO_OPTION);
            }
            if (ContainerPaths.isAtOrBelow(destination, "/dev") && !destination.equals("/dev") && source == Source.KUBELET_CONTAINER_FILE) {
                String name = destination.substring("/dev/".length()).split("/")[0];
                return RUNC_DEV_NAMES.contains(name)
                        ? Optional.of("/dev/" + name + " is runc's own; the termination message may go anywhere else under /dev")
                        : unexpectedOption(options, BIND_OPTIONS, NO_OPTION);
            }
            return Optional.of(expected(destination));
        }
        Filesystem filesystem = FILESYSTEMS.get(destination);
        String type = mount.path("type").asText();
        if (filesystem == null || !filesystem.types().contains(type) || !filesystem.sources().contains(mount.path("source").asText())) {
            return Optional.of(expected(destination));
        }
        return unexpectedOption(options, Set.of(), filesystem.ownOptions());
    }

    private static Optional<String> unexpectedOption(List<String> options, Set<String> alsoAllowed, Pattern own) {
        for (String option : options) {
            if (!RESTRICTING_OPTIONS.contains(option) && !alsoAllowed.contains(option) && !own.matcher(option).matches()) {
                return Optional.of("option " + option + " is not one the container runtime sets there");
            }
        }
        return Optional.empty();
    }

    /** What the engines mount at {@code destination}, for the refusal. */
    static String expected(String destination) {
        return switch (destination) {
            case "/proc" -> "only the runtime's proc mount (type proc, source proc) may be there";
            case "/sys" -> "only the runtime's sysfs mount (type sysfs, source sysfs) may be there";
            case "/sys/fs/cgroup" -> "only the runtime's cgroup mount (type cgroup or cgroup2) may be there";
            case "/dev" -> "only the runtime's own tmpfs (type tmpfs, source tmpfs) may be there";
            case "/dev/pts" -> "only the runtime's devpts mount (type devpts, source devpts) may be there";
            case "/dev/shm" -> "only the runtime's tmpfs, the sandbox's shared shm directory or a pod volume may be there";
            case "/dev/mqueue" -> "only the runtime's mqueue mount (type mqueue, source mqueue) may be there";
            default -> ContainerPaths.isAtOrBelow(destination, "/dev")
                    ? "below /dev only the runtime's kernel mounts and the kubelet's termination-message file may be mounted"
                    : "nothing may be mounted there besides the runtime's own proc, sysfs and cgroup mounts";
        };
    }

    private EngineMounts() {
    }
}
