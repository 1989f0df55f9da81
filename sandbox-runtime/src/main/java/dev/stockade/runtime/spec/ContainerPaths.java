package dev.stockade.runtime.spec;

import dev.stockade.runtime.spec.HostView.Entry;

import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;

/**
 * Where runc 1.1 puts a path of the container. It resolves mount destinations and device nodes in
 * the root filesystem as filepath-securejoin does: links are followed, an absolute link from the
 * container's root, and ".." never climbs above it. Only the image is examined: below a mount
 * that comes earlier in the spec a path is taken as written, since kernel filesystems and a fresh
 * tmpfs hold nothing the container placed (what a bind mount holds is the host's, and
 * {@link SpecValidator} decides which bind mounts there may be).
 */
final class ContainerPaths {

    /** filepath-securejoin gives up after this many links (ELOOP), and so does runc. */
    static final int MAX_LINKS = 255;

    /** One link of the image that resolving a path followed: where it is and what it says. */
    record Link(String path, String target) {

        @Override
        public String toString() {
            return path + " -> " + target;
        }
    }

    /** Where a path ends up, the links of the image it followed on the way, and what is there in the image. */
    record Resolved(String path, List<Link> links, Entry entry) {
    }

    /** The image could not be examined, or its links loop: the caller refuses the container. */
    static final class Unresolvable extends Exception {
        Unresolvable(String message) {
            super(message);
        }
    }

    private final HostView host;
    private final String rootfs;

    /** {@code rootfs} is the root filesystem's real path on the host. */
    ContainerPaths(HostView host, String rootfs) {
        this.host = host;
        this.rootfs = rootfs.equals("/") ? "" : rootfs;
    }

    String rootfs() {
        return rootfs.isEmpty() ? "/" : rootfs;
    }

    /**
     * Resolves {@code containerPath} as runc will, with the destinations of the mounts done before
     * it ({@code mountedBefore}, themselves resolved) in place.
     */
    Resolved resolve(String containerPath, List<String> mountedBefore) throws Unresolvable {
        Deque<String> remaining = new ArrayDeque<>(List.of(containerPath.split("/")));
        List<String> resolved = new ArrayList<>();
        List<Link> links = new ArrayList<>();
        Entry entry = Entry.DIRECTORY;
        while (!remaining.isEmpty()) {
            String component = remaining.pop();
            if (component.isEmpty() || component.equals(".")) {
                continue;
            }
            if (component.equals("..")) {
                if (!resolved.isEmpty()) {
                    resolved.removeLast();
                }
                entry = Entry.DIRECTORY;
                continue;
            }
            resolved.add(component);
            String path = "/" + String.join("/", resolved);
            if (isMountedAt(path, mountedBefore)) {
                entry = Entry.MISSING;
                continue;
            }
            entry = host.entry(rootfs + path);
            switch (entry.kind()) {
                case UNREADABLE -> throw new Unresolvable(path + " in the root filesystem " + rootfs() + " cannot be examined");
                case LINK -> {
                    if (links.size() == MAX_LINKS) {
                        throw new Unresolvable(containerPath + " in the root filesystem " + rootfs() + " goes through more than "
                                + MAX_LINKS + " symbolic links");
                    }
                    links.add(new Link(path, entry.linkTarget()));
                    resolved.removeLast();
                    if (entry.linkTarget().startsWith("/")) {
                        resolved.clear();
                    }
                    List<String> target = List.of(entry.linkTarget().split("/"));
                    for (int i = target.size() - 1; i >= 0; i--) {
                        remaining.push(target.get(i));
                    }
                    entry = Entry.DIRECTORY;
                }
                default -> {
                    // A directory, a file or nothing: runc goes on by name.
                }
            }
        }
        return new Resolved("/" + String.join("/", resolved), List.copyOf(links), entry);
    }

    /** Whether {@code path} is a mount point of, or lies below, one of {@code mountPoints}. */
    static boolean isMountedAt(String path, List<String> mountPoints) {
        for (String mountPoint : mountPoints) {
            if (isAtOrBelow(path, mountPoint)) {
                return true;
            }
        }
        return false;
    }

    static boolean isAtOrBelow(String path, String directory) {
        return path.equals(directory) || directory.equals("/") || path.startsWith(directory + "/");
    }

    /**
     * A mount destination as runc cleans it: relative ones are taken from the container's root
     * (runc 1.1 warns and does so), "." and ".." are resolved by name.
     */
    static String cleaned(String destination) {
        return Path.of("/").resolve(destination).normalize().toString();
    }
}
