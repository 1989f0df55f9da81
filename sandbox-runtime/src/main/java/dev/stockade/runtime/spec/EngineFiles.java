package dev.stockade.runtime.spec;

import dev.stockade.api.node.EngineDirectories;
import dev.stockade.api.node.EngineDirectories.Layout;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The files a container engine keeps for one container or pod sandbox below its directories
 * ({@link EngineDirectories}), recognised by their exact place: which container or sandbox they
 * belong to, and which file they are. Pure: the directories come in already resolved (real paths).
 */
final class EngineFiles {

    /** One of those files: the layout, the id of the container or sandbox whose file it is, and the file (shm, hosts…). */
    record Owned(Layout layout, String owner, String file) {
        boolean isShm() {
            return file.equals("shm") || file.equals("mounts/shm");
        }

        /**
         * The namespace a container must share with the owner to use this file: the network one
         * for hostname, hosts and resolv.conf (Docker and Podman hand them to containers that join
         * it, --network container:X), the IPC one for the shm (--ipc container:X; every container
         * of a CRI pod joins both of its sandbox's). Empty for the files only their own container uses.
         */
        Optional<String> namespaceType() {
            return switch (file) {
                case "hostname", "hosts", "resolv.conf" -> Optional.of("network");
                case "shm", "mounts/shm" -> Optional.of("ipc");
                default -> Optional.empty();
            };
        }
    }

    private static final String ID = "([0-9a-f]+)";
    private static final Pattern ID_PATTERN = Pattern.compile("[0-9a-f]+");

    /** Whether {@code id} has the shape of the engines' container and sandbox ids (lower-case hex), so it names no other path. */
    static boolean isId(String id) {
        return ID_PATTERN.matcher(id).matches();
    }

    /**
     * containers/storage keeps a container's files under {@code <driver>-containers}, the driver
     * being one of its graph drivers (containers/storage {@code drivers/}: overlay, vfs, btrfs, zfs,
     * devicemapper, aufs).
     */
    static final List<String> STORAGE_DRIVERS = List.of("overlay", "vfs", "btrfs", "zfs", "devicemapper", "aufs");
    private static final String STORAGE_DRIVER = "(?:" + String.join("|", STORAGE_DRIVERS) + ")";

    /**
     * With {@code userns-remap}, dockerd keeps everything in {@code <data-root>/<uid>.<gid>}, the
     * first ids of the remapped root (moby daemon_unix.go setupRemappedRoot); the launcher names
     * the data-root as daemon.json or the command line gives it.
     */
    private static final String DOCKER_REMAPPED_ROOT = "(?:/[0-9]+\\.[0-9]+)?";

    /**
     * Below a directory of each layout: the owner's id, then the file. containerd's CRI also keeps,
     * per container, one directory for each volume its image declares (image config
     * {@code Volumes}, as the official postgres, mysql and redis images do), which it makes and
     * bind-mounts into that container only (containerd pkg/cri volumeMounts:
     * {@code <root>/io.containerd.grpc.v1.cri/containers/<container id>/volumes/<generated id>}).
     */
    private static final java.util.Map<Layout, List<String>> BELOW = java.util.Map.of(
            Layout.CONTAINERD, List.of("/io\\.containerd\\.grpc\\.v1\\.cri/sandboxes/" + ID + "/(hostname|hosts|resolv\\.conf|shm)",
                    "/io\\.containerd\\.grpc\\.v1\\.cri/containers/" + ID + "/(volumes/[0-9a-f]+)"),
            Layout.CONTAINERS_STORAGE, List.of("/" + STORAGE_DRIVER + "-containers/" + ID
                    + "/userdata/(hostname|hosts|resolv\\.conf|shm|\\.containerenv|run/secrets)"),
            Layout.DOCKER, List.of(DOCKER_REMAPPED_ROOT + "/containers/" + ID + "/(hostname|hosts|resolv\\.conf|mounts/shm)"));

    private record Place(Layout layout, Pattern pattern) {
    }

    private final List<Place> places = new ArrayList<>();

    /** {@code directories} with each path already the real path on this host. */
    EngineFiles(EngineDirectories directories) {
        for (EngineDirectories.Entry entry : directories.entries()) {
            for (String below : BELOW.get(entry.layout())) {
                places.add(new Place(entry.layout(), Pattern.compile(Pattern.quote(entry.path()) + below)));
            }
        }
    }

    /** The engine file {@code realPath} is, if it is one. */
    Optional<Owned> match(String realPath) {
        for (Place place : places) {
            Matcher matcher = place.pattern().matcher(realPath);
            if (matcher.matches()) {
                return Optional.of(new Owned(place.layout(), matcher.group(1), matcher.group(2)));
            }
        }
        return Optional.empty();
    }
}
