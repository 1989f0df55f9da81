package dev.stockade.runtime.spec;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.stockade.api.InstallerEnvironment;
import dev.stockade.api.node.EngineDirectories;
import dev.stockade.api.profile.SandboxProfile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static dev.stockade.runtime.spec.Specs.assertRefusal;
import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * The files a container engine keeps for each container or pod sandbox: a container may mount its
 * own, found below the directories the launcher names, and never another container's. Mount
 * shapes are those Docker 20.10 and Podman 4.3 (Debian) and containerd's CRI write.
 */
class EngineFilesTest {

    static final String ID = "968e6cb2df53300983c6d8bb713aa207c0f786d9c47a37b1010afa1ca434fab7";
    static final String OTHER = "213fd4694719a6a752d67c5258da36813f28e0e18e69c568a081fb091530ba1f";
    static final Path DOCKER_BUNDLE = Path.of("/run/docker/containerd/daemon/io.containerd.runtime.v2.task/moby/" + ID);

    private static SpecValidator on(String engines) {
        return on(engines, Specs.PLAIN_HOST);
    }

    private static SpecValidator on(String engines, HostView host) {
        return new SpecValidator(SandboxProfile.defaults(), "untrusted", host, InstallerEnvironment.DEFAULT_KUBELET_ROOT,
                EngineDirectories.parse(engines), "runc");
    }

    /** A container of an engine that names no pod: no CRI annotations, none of the kubelet's or containerd's files. */
    private static ObjectNode plain() {
        ObjectNode spec = Specs.appWithoutMounts(source -> source.startsWith("/"));
        spec.remove("annotations");
        return spec;
    }

    /** The field of the last mount of {@code spec}'s: where the tests add the one that matters. */
    private static String last(ObjectNode spec) {
        return "mounts[" + (spec.get("mounts").size() - 1) + "].source";
    }

    /** Docker's three files and, with --ipc=shareable, its shm, all of the container {@code owner}. */
    private static ObjectNode dockers(String dataRoot, String owner) {
        ObjectNode spec = plain();
        String directory = dataRoot + "/containers/" + owner;
        Specs.withHostPath(spec, directory + "/resolv.conf", "/etc/resolv.conf");
        Specs.withHostPath(spec, directory + "/hostname", "/etc/hostname");
        Specs.withHostPath(spec, directory + "/hosts", "/etc/hosts");
        return withShm(spec, directory + "/mounts/shm");
    }

    /** {@code source} bound at /dev/shm in place of the tmpfs there. */
    private static ObjectNode withShm(ObjectNode spec, String source) {
        ArrayNode mounts = (ArrayNode) spec.get("mounts");
        for (int i = 0; i < mounts.size(); i++) {
            if (mounts.get(i).path("destination").asText().equals("/dev/shm")) {
                mounts.remove(i);
                break;
            }
        }
        mounts.addObject().put("destination", "/dev/shm").put("type", "bind").put("source", source)
                .putArray("options").add("rbind").add("rprivate");
        return spec;
    }

    @ParameterizedTest
    @ValueSource(strings = {"/var/lib/docker", "/srv/engines/docker-data"})
    void aDockerContainersOwnFilesPassBelowTheDataRootTheLauncherNames(String dataRoot) {
        assertDoesNotThrow(() -> on("docker:" + dataRoot).validate(dockers(dataRoot, ID), DOCKER_BUNDLE, ID));
    }

    /** Another container's files, with OTHER running as pid 5151 beside the sample sandbox (pid 4242, which plain() joins). */
    private static final HostView OTHER_RUNS = Specs.host(Map.of(), Set.of(), Map.of(), Map.of(Specs.SANDBOX_ID, Specs.SANDBOX_PID, OTHER, 5151L),
            Map.of(Specs.SANDBOX_RECORD, Specs.pause()));

    /** docker run --network container:OTHER --ipc container:OTHER: Docker hands the new container OTHER's four files. */
    @Test
    void aDockerContainerThatJoinsAnothersNamespacesUsesItsFiles() {
        ObjectNode spec = Specs.joining(Specs.joining(dockers("/var/lib/docker", OTHER), "network", "/proc/5151/ns/net"), "ipc", "/proc/5151/ns/ipc");
        assertDoesNotThrow(() -> on("docker:/var/lib/docker", OTHER_RUNS).validate(spec, DOCKER_BUNDLE, ID));
    }

    @Test
    void anotherDockerContainersFilesAreRefusedWithoutItsNamespace() {
        SpecValidator validator = on("docker:/var/lib/docker", OTHER_RUNS);
        String resolvConf = "/var/lib/docker/containers/" + OTHER + "/resolv.conf";
        // Its own network namespace.
        ObjectNode own = Specs.withHostPath(Specs.joining(plain(), "network", null), resolvConf, "/etc/resolv.conf");
        assertRefusal(assertThrows(Refusal.class, () -> validator.validate(own, DOCKER_BUNDLE, ID)), last(own), "host-mount",
                "resolv.conf the docker engine keeps for " + OTHER + ", not for this container " + ID,
                "only when it joins " + OTHER + "'s network namespace (--network container:" + OTHER + "), and this one does not");
        // Another container's network namespace (the sandbox's).
        ObjectNode elsewhere = Specs.withHostPath(plain(), resolvConf, "/etc/resolv.conf");
        assertRefusal(assertThrows(Refusal.class, () -> validator.validate(elsewhere, DOCKER_BUNDLE, ID)), last(elsewhere), "host-mount",
                "joins the network namespace at /proc/4242/ns/net, which is not " + OTHER + "'s");
        // The network namespace is not the IPC one: OTHER's shm needs --ipc container:OTHER.
        ObjectNode shm = withShm(Specs.joining(plain(), "network", "/proc/5151/ns/net"), "/var/lib/docker/containers/" + OTHER + "/mounts/shm");
        assertRefusal(assertThrows(Refusal.class, () -> validator.validate(shm, DOCKER_BUNDLE, ID)), last(shm), "host-mount",
                "joins the ipc namespace at /proc/4242/ns/ipc, which is not " + OTHER + "'s");
        // OTHER runs under another runtime or not at all.
        ObjectNode stopped = Specs.withHostPath(Specs.joining(plain(), "network", "/proc/5151/ns/net"), resolvConf, "/etc/resolv.conf");
        assertRefusal(assertThrows(Refusal.class, () -> on("docker:/var/lib/docker").validate(stopped, DOCKER_BUNDLE, ID)), last(stopped),
                "host-mount", OTHER + " is not a running container of runc under --root /run/runc", "with the same runtime root");
    }

    /**
     * dockerd with {@code "userns-remap"} keeps its containers under {@code <data-root>/<uid>.<gid>}
     * (Docker 20.10: {@code /var/lib/docker/200000.200000}); a new user's trial found every such
     * container refused. Nothing else between the data-root and {@code containers} passes.
     */
    @Test
    void aDockerContainersOwnFilesPassUnderAUsernsRemappedRoot() {
        assertDoesNotThrow(() -> on("docker:/var/lib/docker").validate(dockers("/var/lib/docker/200000.200000", ID), DOCKER_BUNDLE, ID));
        for (String between : List.of("/volumes", "/200000", "/200000.200000/x", "/a.b")) {
            ObjectNode spec = Specs.withHostPath(plain(), "/var/lib/docker" + between + "/containers/" + ID + "/hosts", "/etc/hosts");
            assertRefusal(assertThrows(Refusal.class, () -> on("docker:/var/lib/docker").validate(spec, DOCKER_BUNDLE, ID), between), last(spec),
                    "host-mount", "is not allowed by sandbox profile untrusted");
        }
    }

    /** A Docker layout below a directory the launcher does not name is just a host path. */
    @Test
    void dockerFilesBelowAnotherDataRootThanTheLaunchersAreRefused() {
        ObjectNode spec = dockers("/var/lib/docker", ID);
        Refusal refusal = assertThrows(Refusal.class, () -> on("docker:/srv/engines/docker-data").validate(spec, DOCKER_BUNDLE, ID));
        // The first of Docker's four mounts, resolv.conf.
        assertRefusal(refusal, "mounts[" + (spec.get("mounts").size() - 4) + "].source", "host-mount", "bind mount of host path /var/lib/docker/containers/" + ID + "/resolv.conf");
    }

    /** Only the files the engine makes: the container's directory itself, its config or its logs are not among them. */
    @ParameterizedTest
    @ValueSource(strings = {"", "/config.v2.json", "/" + ID + "-json.log", "/mounts", "/mounts/shm/x", "/checkpoints"})
    void nothingElseOfTheContainersDirectoryPasses(String below) {
        ObjectNode spec = Specs.withHostPath(plain(), "/var/lib/docker/containers/" + ID + below, "/data");
        Refusal refusal = assertThrows(Refusal.class, () -> on("docker:/var/lib/docker").validate(spec, DOCKER_BUNDLE, ID));
        assertRefusal(refusal, last(spec), "host-mount", "is not allowed by sandbox profile untrusted");
    }

    /** The data root is compared as its real path, as the sources are. */
    @Test
    void aDataRootReachedThroughALinkMatchesItsRealPath() {
        HostView host = Specs.host(Map.of("/var/lib/docker", "/mnt/disk/docker"), Set.of());
        ObjectNode spec = dockers("/mnt/disk/docker", ID);
        assertDoesNotThrow(() -> on("docker:/var/lib/docker", host).validate(spec, DOCKER_BUNDLE, ID));
    }

    @Test
    void aPodmanContainersOwnFilesPassBelowItsGraphrootAndRunroot() {
        String runroot = "/srv/podman/run/overlay-containers/" + ID + "/userdata";
        ObjectNode spec = plain();
        Specs.withHostPath(spec, runroot + "/hosts", "/etc/hosts");
        Specs.withHostPath(spec, runroot + "/.containerenv", "/run/.containerenv");
        Specs.withHostPath(spec, runroot + "/hostname", "/etc/hostname");
        withShm(spec, "/srv/podman/root/overlay-containers/" + ID + "/userdata/shm");
        SpecValidator validator = on("containers-storage:/srv/podman/root containers-storage:/srv/podman/run");
        assertDoesNotThrow(() -> validator.validate(spec, Path.of("/srv/podman/root/overlay-containers/" + ID + "/userdata"), ID));
        ObjectNode others = Specs.withHostPath(plain(), "/srv/podman/run/overlay-containers/" + OTHER + "/userdata/hosts", "/etc/hosts");
        assertRefusal(assertThrows(Refusal.class, () -> validator.validate(others, DOCKER_BUNDLE, ID)), last(others), "host-mount",
                "hosts the containers-storage engine keeps for " + OTHER);
    }

    /** Podman with --storage-driver vfs (and btrfs, zfs… nodes) keeps them under <driver>-containers (a new user's trial). */
    @Test
    void aPodmanContainersOwnFilesPassUnderEveryStorageDriver() {
        SpecValidator validator = on("containers-storage:/srv/podman/root containers-storage:/srv/podman/run");
        for (String driver : List.of("vfs", "btrfs", "zfs")) {
            ObjectNode spec = Specs.withHostPath(plain(), "/srv/podman/run/" + driver + "-containers/" + ID + "/userdata/.containerenv",
                    "/run/.containerenv");
            assertDoesNotThrow(() -> validator.validate(spec, DOCKER_BUNDLE, ID), driver);
        }
        ObjectNode unknown = Specs.withHostPath(plain(), "/srv/podman/run/other-containers/" + ID + "/userdata/hosts", "/etc/hosts");
        assertThrows(Refusal.class, () -> validator.validate(unknown, DOCKER_BUNDLE, ID));
    }

    /** containerd's CRI keeps a pod's files under the sandbox's id; every container of the pod joins the sandbox's namespaces. */
    @Test
    void containerdsSandboxFilesPassForTheContainersOfThatPodOnly() {
        SpecValidator validator = on("containerd:/var/lib/containerd containerd:/run/containerd containerd:/data/containerd", OTHER_RUNS);
        ObjectNode own = Specs.withHostPath(Specs.app(), "/data/containerd/io.containerd.grpc.v1.cri/sandboxes/" + Specs.SANDBOX_ID + "/hosts",
                "/etc/hosts");
        assertDoesNotThrow(() -> validator.validate(own, Specs.BUNDLE, Specs.ID));
        ObjectNode another = Specs.withHostPath(Specs.app(), "/data/containerd/io.containerd.grpc.v1.cri/sandboxes/" + OTHER + "/hosts", "/etc/hosts");
        assertRefusal(assertThrows(Refusal.class, () -> validator.validate(another, Specs.BUNDLE, Specs.ID)), last(another), "host-mount",
                "hosts the containerd engine keeps for " + OTHER, "joins the network namespace at /proc/4242/ns/net, which is not " + OTHER + "'s");
    }

    /** Where containerd's CRI keeps its containers' own directories (its root, Debian's default). */
    private static final String CRI_CONTAINERS = "/var/lib/containerd/io.containerd.grpc.v1.cri/containers/";
    /** A volume id as containerd generates it. */
    private static final String VOLUME_ID = "4fc36192faac1cf2edd514ee5f2fdf523ce8538fffdf873e2db322db67d2c9dd";

    /**
     * An image that declares a volume (VOLUME /data: the official postgres, mysql and redis images)
     * gets a directory containerd's CRI makes below the container's own directory and binds at that
     * path, for this container only. A new user's trial found every such pod refused (containerd
     * 2.2.9, crictl); another container's volume stays refused.
     */
    @Test
    void containerdsImageVolumesPassForTheirOwnContainerOnly() {
        SpecValidator validator = on("containerd:/var/lib/containerd containerd:/run/containerd", OTHER_RUNS);
        ObjectNode own = Specs.withHostPath(Specs.app(), CRI_CONTAINERS + Specs.ID + "/volumes/" + VOLUME_ID, "/data");
        assertDoesNotThrow(() -> validator.validate(own, Specs.BUNDLE, Specs.ID));
        ObjectNode another = Specs.withHostPath(Specs.app(), CRI_CONTAINERS + OTHER + "/volumes/" + VOLUME_ID, "/data");
        assertRefusal(assertThrows(Refusal.class, () -> validator.validate(another, Specs.BUNDLE, Specs.ID)), last(another), "host-mount",
                "is the volumes/" + VOLUME_ID + " the containerd engine keeps for " + OTHER + ", not for this container " + Specs.ID,
                "only " + OTHER + " itself may mount it");
    }

    /** Only a volume's own directory: nothing else of the container's directory, nor anything inside a volume. */
    @ParameterizedTest
    @ValueSource(strings = {"", "/volumes", "/volumes/" + VOLUME_ID + "/sub", "/volumes/../../sandboxes", "/volumes/not-hex", "/status"})
    void nothingElseOfAContainerdContainersDirectoryPasses(String below) {
        ObjectNode spec = Specs.withHostPath(Specs.app(), Path.of(CRI_CONTAINERS + Specs.ID + below).normalize().toString(), "/data");
        Refusal refusal = assertThrows(Refusal.class, () -> on("containerd:/var/lib/containerd containerd:/run/containerd").validate(spec, Specs.BUNDLE,
                Specs.ID));
        assertRefusal(refusal, last(spec), "host-mount", "is not allowed by sandbox profile untrusted");
    }

    /**
     * An annotation is no proof: engine users write them ({@code podman --annotation
     * io.kubernetes.cri-o.SandboxID=<victim>}, {@code ctr run --label}). A new user's trial mounted and
     * wrote a running container's hosts and resolv.conf that way.
     */
    @Test
    void aSandboxAnnotationNamingAnotherContainerOpensNothing() {
        for (String key : List.of("io.kubernetes.cri-o.SandboxID", "io.kubernetes.cri.sandbox-id")) {
            ObjectNode storage = Specs.joining(plain(), "network", null);
            storage.putObject("annotations").put(key, OTHER);
            Specs.withHostPath(storage, "/run/containers/storage/overlay-containers/" + OTHER + "/userdata/hosts", "/etc/hosts");
            assertRefusal(assertThrows(Refusal.class, () -> on("containers-storage:/run/containers/storage", OTHER_RUNS)
                    .validate(storage, Specs.BUNDLE, Specs.ID)), last(storage), "host-mount", "only when it joins " + OTHER + "'s network namespace");
            ObjectNode containerd = plain();
            containerd.putObject("annotations").put(key, OTHER);
            Specs.withHostPath(containerd, "/var/lib/containerd/io.containerd.grpc.v1.cri/sandboxes/" + OTHER + "/resolv.conf", "/etc/resolv.conf");
            assertRefusal(assertThrows(Refusal.class, () -> on("containerd:/var/lib/containerd", OTHER_RUNS)
                    .validate(containerd, Specs.BUNDLE, Specs.ID)), last(containerd), "host-mount", "which is not " + OTHER + "'s");
        }
    }

    /**
     * CRI-O without an infra container (drop_infra_ctr, its default) runs no process for the
     * sandbox: the namespaces pinns pinned are in the sandbox's spec that CRI-O keeps.
     */
    @Test
    void aCriOSandboxWithoutInfraContainerIsFoundThroughItsPinnedNamespaces() {
        String userdata = "/var/lib/containers/storage/overlay-containers/" + OTHER + "/userdata";
        ObjectNode sandboxSpec = Specs.JSON.createObjectNode();
        sandboxSpec.putObject("linux").putArray("namespaces").addObject().put("type", "network").put("path", "/var/run/netns/6b1f");
        ObjectNode pidSpec = sandboxSpec.deepCopy();
        ((ObjectNode) pidSpec.get("linux").get("namespaces").get(0)).put("path", "/proc/5151/ns/net");
        String engines = "containers-storage:/var/lib/containers/storage containers-storage:/run/containers/storage";
        ObjectNode spec = Specs.withHostPath(Specs.joining(plain(), "network", "/var/run/netns/6b1f"),
                "/run/containers/storage/overlay-containers/" + OTHER + "/userdata/resolv.conf", "/etc/resolv.conf");
        HostView pinned = Specs.host(Map.of(), Set.of(), Map.of(), Map.of(), Map.of(userdata + "/config.json", sandboxSpec));
        assertDoesNotThrow(() -> on(engines, pinned).validate(spec, Specs.BUNDLE, Specs.ID));
        ObjectNode elsewhere = Specs.joining(spec.deepCopy(), "network", "/var/run/netns/9c2d");
        assertRefusal(assertThrows(Refusal.class, () -> on(engines, pinned).validate(elsewhere, Specs.BUNDLE, Specs.ID)), last(elsewhere),
                "host-mount", "joins the network namespace at /var/run/netns/9c2d, which is not " + OTHER + "'s");
        // A pid's namespace named in a kept spec proves nothing: the pid may be another process's by now.
        HostView byPid = Specs.host(Map.of(), Set.of(), Map.of(), Map.of(), Map.of(userdata + "/config.json", pidSpec));
        ObjectNode joiningPid = Specs.joining(spec.deepCopy(), "network", "/proc/5151/ns/net");
        assertRefusal(assertThrows(Refusal.class, () -> on(engines, byPid).validate(joiningPid, Specs.BUNDLE, Specs.ID)), last(joiningPid),
                "host-mount", OTHER + " is not a running container of runc");
    }

    /** A Podman pod member: its SandboxID annotation names the pod, its files are its own (a new user's trial found them refused). */
    @Test
    void aContainersOwnFilesPassWhateverSandboxItsAnnotationNames() {
        ObjectNode spec = plain();
        spec.putObject("annotations").put("io.kubernetes.cri-o.SandboxID", OTHER);
        Specs.withHostPath(spec, "/run/containers/storage/overlay-containers/" + Specs.ID + "/userdata/hostname", "/etc/hostname");
        assertDoesNotThrow(() -> on("containers-storage:/run/containers/storage").validate(spec, Specs.BUNDLE, Specs.ID));
    }

    /** Podman's .containerenv and secrets are one container's only, whatever namespaces another shares with it. */
    @Test
    void anotherContainersOwnOnlyFilesAreRefusedEvenInItsNamespaces() {
        ObjectNode spec = Specs.withHostPath(Specs.joining(Specs.joining(plain(), "network", "/proc/5151/ns/net"), "ipc", "/proc/5151/ns/ipc"),
                "/run/containers/storage/overlay-containers/" + OTHER + "/userdata/.containerenv", "/run/.containerenv");
        assertRefusal(assertThrows(Refusal.class, () -> on("containers-storage:/run/containers/storage", OTHER_RUNS)
                .validate(spec, Specs.BUNDLE, Specs.ID)), last(spec), "host-mount", "only " + OTHER + " itself may mount it");
    }

    /** The plain host mount stays refused with its message, whatever the engine directories. */
    @Test
    void theRootOfTheHostIsStillRefused() {
        ObjectNode spec = Specs.withHostPath(plain(), "/", "/pesc");
        assertRefusal(assertThrows(Refusal.class, () -> on("docker:/var/lib/docker").validate(spec, DOCKER_BUNDLE, ID)),
                last(spec), "host-mount", "bind mount of host path / at /pesc is not allowed by sandbox profile untrusted");
    }

    /**
     * A Docker volume is refused, and the message does not send the admin to allowedHostPaths for
     * it: a new user's trial with Docker 20.10 and a profile allowing {@code <data-root>/volumes}
     * read-only read the host's /etc/shadow through {@code docker volume create --opt type=none
     * --opt o=bind --opt device=/}, and with {@code <data-root>/volumes/myvol/_data} writable wrote
     * into a host directory the same way.
     */
    @Test
    void aDockerVolumeIsRefusedWithAWarningAgainstAllowingVolumes() {
        ObjectNode spec = Specs.withHostPath(plain(), "/var/lib/docker/volumes/myvol/_data", "/data");
        Refusal refusal = assertThrows(Refusal.class, () -> on("docker:/var/lib/docker").validate(spec, DOCKER_BUNDLE, ID));
        assertRefusal(refusal, last(spec), "host-mount", "bind mount of host path /var/lib/docker/volumes/myvol/_data at /data is not allowed",
                "it lies in /var/lib/docker, where the container engine keeps every container's files and volumes, which allowedHostPaths "
                        + "never opens: for a volume use --tmpfs, or bind a directory the admin controls");
        // A Podman volume of a storage the launcher does not name: the general advice, with its warning.
        ObjectNode podman = Specs.withHostPath(plain(), "/srv/podman/volumes/myvol/_data", "/data");
        assertRefusal(assertThrows(Refusal.class, () -> on("docker:/var/lib/docker").validate(podman, DOCKER_BUNDLE, ID)), last(podman),
                "host-mount", "never a Docker or Podman volume (<data-root>/volumes/…): whoever creates a volume chooses what is mounted there");
    }

    /**
     * allowedHostPaths never opens an engine's own directories: a second new user's trial noted the
     * refusal's advice would, for containerd's {@code io.containerd.grpc.v1.cri/containers} (every
     * container's image volumes) or a Docker data-root; and the first trial read the host's
     * /etc/shadow through an allowed Docker volume. The engine's files for this container still pass.
     */
    @Test
    void allowedHostPathsNeverOpenAnEnginesOwnDirectories() {
        SandboxProfile profile = Specs.profile("{\"allowedHostPaths\":[{\"path\":\"/var/lib/containerd/io.containerd.grpc.v1.cri\"},"
                + "{\"path\":\"/var/lib/docker\",\"readOnly\":false}]}");
        SpecValidator validator = new SpecValidator(profile, "untrusted", OTHER_RUNS, InstallerEnvironment.DEFAULT_KUBELET_ROOT,
                EngineDirectories.parse("containerd:/var/lib/containerd containerd:/run/containerd docker:/var/lib/docker"), "runc");
        ObjectNode another = Specs.withHostPath(Specs.app(), CRI_CONTAINERS + OTHER + "/volumes/" + VOLUME_ID, "/data");
        assertRefusal(assertThrows(Refusal.class, () -> validator.validate(another, Specs.BUNDLE, Specs.ID)), last(another), "host-mount",
                "only " + OTHER + " itself may mount it");
        for (String source : List.of(CRI_CONTAINERS.substring(0, CRI_CONTAINERS.length() - 1), "/var/lib/docker/volumes/myvol/_data",
                "/var/lib/docker")) {
            ObjectNode spec = Specs.withHostPath(plain(), source, "/data");
            assertRefusal(assertThrows(Refusal.class, () -> validator.validate(spec, DOCKER_BUNDLE, ID)), last(spec), "host-mount",
                    "is not allowed by sandbox profile untrusted", "where the container engine keeps every container's files and volumes, "
                            + "which allowedHostPaths never opens: for a volume use --tmpfs");
        }
        ObjectNode own = Specs.withHostPath(Specs.app(), CRI_CONTAINERS + Specs.ID + "/volumes/" + VOLUME_ID, "/data");
        assertDoesNotThrow(() -> validator.validate(own, Specs.BUNDLE, Specs.ID));
    }
}
