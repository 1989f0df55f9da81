package dev.stockade.runtime.spec;

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
        ObjectNode spec = Specs.app();
        spec.remove("annotations");
        ArrayNode mounts = (ArrayNode) spec.get("mounts");
        for (int i = mounts.size() - 1; i >= 0; i--) {
            if (mounts.get(i).path("source").asText().startsWith("/")) {
                mounts.remove(i);
            }
        }
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

    @Test
    void anotherDockerContainersResolvConfIsRefusedNamingBothContainers() {
        ObjectNode spec = Specs.withHostPath(plain(), "/var/lib/docker/containers/" + OTHER + "/resolv.conf", "/etc/resolv.conf");
        Refusal refusal = assertThrows(Refusal.class, () -> on("docker:/var/lib/docker").validate(spec, DOCKER_BUNDLE, ID));
        assertRefusal(refusal, last(spec), "host-mount", "resolv.conf the docker engine keeps for " + OTHER,
                "not for this container's container " + ID, "does not allow mounting another container's files");
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

    /** containerd's CRI keeps a pod's files under the sandbox's id, which it names in every container of the pod. */
    @Test
    void containerdsSandboxFilesPassForTheContainersOfThatPodOnly() {
        String sandbox = "4a7d1f0c9be2e83a5f6c0d1e2b3a4c5d6e7f8091a2b3c4d5e6f708192a3b4c5d";
        SpecValidator validator = on("containerd:/var/lib/containerd containerd:/run/containerd containerd:/data/containerd");
        ObjectNode own = Specs.withHostPath(Specs.app(), "/data/containerd/io.containerd.grpc.v1.cri/sandboxes/" + sandbox + "/hosts", "/etc/hosts");
        assertDoesNotThrow(() -> validator.validate(own, Specs.BUNDLE, Specs.ID));
        ObjectNode another = Specs.withHostPath(Specs.app(), "/data/containerd/io.containerd.grpc.v1.cri/sandboxes/" + OTHER + "/hosts", "/etc/hosts");
        assertRefusal(assertThrows(Refusal.class, () -> validator.validate(another, Specs.BUNDLE, Specs.ID)), last(another), "host-mount",
                "not for this container's sandbox " + sandbox);
    }

    /** With no annotation naming a sandbox, only the container's own id counts: never any sandbox's files. */
    @Test
    void aSpecNamingNoSandboxMayMountNoSandboxsFiles() {
        ObjectNode spec = Specs.withHostPath(plain(), "/var/lib/containerd/io.containerd.grpc.v1.cri/sandboxes/" + OTHER + "/resolv.conf",
                "/etc/resolv.conf");
        assertRefusal(assertThrows(Refusal.class, () -> on("containerd:/var/lib/containerd").validate(spec, Specs.BUNDLE, Specs.ID)),
                last(spec), "host-mount", "not for this container's container " + Specs.ID);
    }

    /** CRI-O names the sandbox with its own annotation. */
    @Test
    void criOsSandboxAnnotationNamesThePodsFiles() {
        ObjectNode spec = plain();
        spec.putObject("annotations").put("io.kubernetes.cri-o.SandboxID", OTHER);
        Specs.withHostPath(spec, "/run/containers/storage/overlay-containers/" + OTHER + "/userdata/resolv.conf", "/etc/resolv.conf");
        assertDoesNotThrow(() -> on("containers-storage:/run/containers/storage").validate(spec, Specs.BUNDLE, Specs.ID));
    }

    /** A Podman pod member: its SandboxID annotation names the pod, its files are its own (a new user's trial found them refused). */
    @Test
    void aContainersOwnFilesPassWhateverSandboxItsAnnotationNames() {
        ObjectNode spec = plain();
        spec.putObject("annotations").put("io.kubernetes.cri-o.SandboxID", OTHER);
        Specs.withHostPath(spec, "/run/containers/storage/overlay-containers/" + Specs.ID + "/userdata/hostname", "/etc/hostname");
        assertDoesNotThrow(() -> on("containers-storage:/run/containers/storage").validate(spec, Specs.BUNDLE, Specs.ID));
    }

    /** Only the layout's own engine names a sandbox: containerd's key does not open containers/storage files, nor CRI-O's containerd's. */
    @Test
    void anotherEnginesSandboxAnnotationOpensNothing() {
        ObjectNode storage = plain();
        storage.putObject("annotations").put("io.kubernetes.cri.sandbox-id", OTHER);
        Specs.withHostPath(storage, "/run/containers/storage/overlay-containers/" + OTHER + "/userdata/resolv.conf", "/etc/resolv.conf");
        assertThrows(Refusal.class, () -> on("containers-storage:/run/containers/storage").validate(storage, Specs.BUNDLE, Specs.ID));
        ObjectNode containerd = plain();
        containerd.putObject("annotations").put("io.kubernetes.cri-o.SandboxID", OTHER);
        Specs.withHostPath(containerd, "/var/lib/containerd/io.containerd.grpc.v1.cri/sandboxes/" + OTHER + "/hosts", "/etc/hosts");
        assertThrows(Refusal.class, () -> on("containerd:/var/lib/containerd").validate(containerd, Specs.BUNDLE, Specs.ID));
    }

    /** The plain host mount stays refused with its message, whatever the engine directories. */
    @Test
    void theRootOfTheHostIsStillRefused() {
        ObjectNode spec = Specs.withHostPath(plain(), "/", "/pesc");
        assertRefusal(assertThrows(Refusal.class, () -> on("docker:/var/lib/docker").validate(spec, DOCKER_BUNDLE, ID)),
                last(spec), "host-mount", "bind mount of host path / at /pesc is not allowed by sandbox profile untrusted");
    }
}
