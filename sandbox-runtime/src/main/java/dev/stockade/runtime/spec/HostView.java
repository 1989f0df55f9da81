package dev.stockade.runtime.spec;

import com.fasterxml.jackson.databind.JsonNode;

import java.util.Optional;

/** What validation needs to know about the host; the real one reads /proc, tests give fixed answers. */
public interface HostView {

    /** The path runc will really mount: symlinks resolved, as far as the path exists. */
    String realPath(String hostPath);

    /**
     * Whether the namespace file (for example /proc/1/ns/net) is one of the host's own namespaces.
     * The runtime runs in the host's namespaces (it is started by the containerd shim). A path that
     * cannot be examined counts as the host's: fail closed.
     */
    boolean isHostNamespace(String type, String path);

    /**
     * A namespace as the kernel names it: the device and inode of its nsfs file. Two namespace
     * files are the same namespace when these are equal (namespaces(7), "The /proc/[pid]/ns/
     * directory").
     */
    record Namespace(long device, long inode) {
    }

    /**
     * The namespace the file at {@code path} is (a /proc/&lt;pid&gt;/ns link or a file an engine
     * pinned it on, such as /var/run/netns/&lt;name&gt;), or empty when it cannot be examined.
     */
    default Optional<Namespace> namespace(String path) {
        return Optional.empty();
    }

    /**
     * The namespace file {@code path} leads to, to be opened in its place: links are followed (at
     * most 40) up to a /proc/&lt;pid&gt;/ns/&lt;type&gt; link, or to a file (an engine's pinned
     * namespace, such as /run/netns/&lt;name&gt;) whose directories only root may change. Empty
     * when it leads to neither: whoever asks must then refuse.
     */
    default Optional<String> namespaceFile(String path) {
        return Optional.empty();
    }

    /**
     * The namespace of OCI type {@code type} (network, ipc, uts, pid, mount, cgroup) that container
     * {@code id}'s init process is in, found through the delegate runtime's {@code state} and only
     * while that process runs: its start time is compared before and after, so a pid the kernel
     * has given to another process does not count. Empty when no such container runs or its state
     * cannot be read: whoever asks must then refuse.
     */
    default Optional<Namespace> containerNamespace(RuntimeState state, String id, String type) {
        return Optional.empty();
    }

    /**
     * A JSON record an engine keeps at {@code path} for a container or pod sandbox it created (an
     * OCI spec, Docker's config.v2.json), when the file is root's and neither it nor its directory
     * may be written by anyone else; empty otherwise.
     */
    default Optional<JsonNode> engineJson(String path) {
        return Optional.empty();
    }

    /** What is at {@code hostPath} itself, a last component that is a link not followed (lstat). */
    Entry entry(String hostPath);

    /**
     * What {@code program --version} prints (the delegate runtime: runc or crun), or empty when it
     * cannot be run or does not answer in time. A long-lived view may keep the answer for as long
     * as the program's file is the same.
     */
    Optional<String> versionOutput(String program);

    /** One file's type, with a link's target or a character device's numbers. */
    record Entry(Kind kind, String linkTarget, int major, int minor) {

        public enum Kind {
            MISSING, DIRECTORY, REGULAR_FILE, LINK, CHARACTER_DEVICE, OTHER,
            /** It could not be examined: whoever reads this must fail closed. */
            UNREADABLE
        }

        public static final Entry MISSING = new Entry(Kind.MISSING, null, 0, 0);
        public static final Entry DIRECTORY = new Entry(Kind.DIRECTORY, null, 0, 0);
        public static final Entry REGULAR_FILE = new Entry(Kind.REGULAR_FILE, null, 0, 0);
        public static final Entry OTHER = new Entry(Kind.OTHER, null, 0, 0);
        public static final Entry UNREADABLE = new Entry(Kind.UNREADABLE, null, 0, 0);

        public static Entry link(String target) {
            return new Entry(Kind.LINK, target, 0, 0);
        }

        public static Entry characterDevice(int major, int minor) {
            return new Entry(Kind.CHARACTER_DEVICE, null, major, minor);
        }

        /** For messages: "a link to /canary", "the character device 1:3", "a directory"… */
        public String describe() {
            return switch (kind) {
                case MISSING -> "missing";
                case DIRECTORY -> "a directory";
                case REGULAR_FILE -> "a regular file";
                case LINK -> "a symbolic link to " + linkTarget;
                case CHARACTER_DEVICE -> "the character device " + major + ":" + minor;
                case OTHER -> "a block device, FIFO or socket";
                case UNREADABLE -> "not readable by the runtime";
            };
        }
    }
}
