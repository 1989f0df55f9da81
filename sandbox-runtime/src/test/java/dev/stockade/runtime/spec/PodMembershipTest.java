package dev.stockade.runtime.spec;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.stockade.api.InstallerEnvironment;
import dev.stockade.api.node.EngineDirectories;
import dev.stockade.api.profile.SandboxProfile;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.Map;
import java.util.Set;

import static dev.stockade.runtime.spec.Specs.assertRefusal;
import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * A kubelet pod directory (a volume, a subPath, etc-hosts, the termination-message file) goes only
 * into a container of that pod: one that joins the network namespace of the sandbox its engine
 * created for the pod. What the spec's annotations say proves nothing; Docker and Podman users on a
 * node write any annotation, and a pod's secrets are below the kubelet's root.
 */
class PodMembershipTest {

    static final String VICTIM = "0000aaaa-0000-0000-0000-000000000000";
    static final String VICTIMS_SECRET = "/var/lib/kubelet/pods/" + VICTIM + "/volumes/kubernetes.io~secret/db-password";
    static final String OTHER_SANDBOX = "213fd4694719a6a752d67c5258da36813f28e0e18e69c568a081fb091530ba1f";

    private static SpecValidator on(String engines, HostView host) {
        return new SpecValidator(SandboxProfile.defaults(), "untrusted", host, InstallerEnvironment.DEFAULT_KUBELET_ROOT,
                EngineDirectories.parse(engines), "runc");
    }

    private static final SpecValidator CONTAINERD = on("containerd:/var/lib/containerd containerd:/run/containerd", Specs.PLAIN_HOST);

    private static String last(ObjectNode spec) {
        return "mounts[" + (spec.get("mounts").size() - 1) + "].source";
    }

    /** The sample app container without containerd's sandbox files: the kubelet's pod directories and the kernel mounts. */
    private static ObjectNode kubeletMountsOnly() {
        return Specs.appWithoutMounts(source -> source.contains("containerd"));
    }

    @Test
    void aPodsContainerMountsItsOwnPodsDirectories() {
        assertDoesNotThrow(() -> CONTAINERD.validate(Specs.app(), Specs.BUNDLE, Specs.ID));
    }

    @Test
    void anotherPodsSecretIsRefusedNamingBothPods() {
        ObjectNode spec = Specs.withHostPath(Specs.app(), VICTIMS_SECRET, "/stolen");
        assertRefusal(assertThrows(Refusal.class, () -> CONTAINERD.validate(spec, Specs.BUNDLE, Specs.ID)), last(spec), "host-mount",
                "belongs to pod " + VICTIM + ", not to this container's pod " + Specs.POD_UID);
    }

    /** docker run / podman run on a Kubernetes node, with the victim's uid and sandbox written into the annotations. */
    @Test
    void annotationsNamingAPodProveNothing() {
        ObjectNode spec = Specs.withHostPath(Specs.joining(Specs.app(), "network", null), VICTIMS_SECRET, "/stolen");
        ((ObjectNode) spec.get("annotations")).put("io.kubernetes.cri.sandbox-uid", VICTIM).put("io.kubernetes.pod.uid", VICTIM);
        // Only the victim's secret: the sample pod's own directories would fail first.
        ((ObjectNode) spec).set("mounts", Specs.JSON.createArrayNode().add(spec.get("mounts").get(spec.get("mounts").size() - 1)));
        assertRefusal(assertThrows(Refusal.class, () -> CONTAINERD.validate(spec, Specs.BUNDLE, Specs.ID)), "mounts[0].source", "host-mount",
                "belongs to pod " + VICTIM + ", and this container joins the network namespace of no pod sandbox");
        // Claiming the sample sandbox while not in its network namespace.
        ObjectNode elsewhere = Specs.joining(spec.deepCopy(), "network", "/proc/5151/ns/net");
        assertRefusal(assertThrows(Refusal.class, () -> CONTAINERD.validate(elsewhere, Specs.BUNDLE, Specs.ID)), "mounts[0].source",
                "host-mount", "joins the network namespace of no pod sandbox");
    }

    /** A sandbox the runtime cannot see running (another runtime's, or gone) makes no container a member of its pod. */
    @Test
    void aSandboxThatDoesNotRunMakesNoMembers() {
        HostView stopped = Specs.host(Map.of(), Set.of(), Map.of(), Map.of(), Map.of(Specs.SANDBOX_RECORD, Specs.pause()));
        // The sandbox's own files (hostname, hosts, resolv.conf) are refused too; here only the pod's directories are mounted.
        assertRefusal(assertThrows(Refusal.class, () -> on("containerd:/run/containerd", stopped).validate(kubeletMountsOnly(), Specs.BUNDLE, Specs.ID)),
                "mounts[6].source", "host-mount", "belongs to pod " + Specs.POD_UID + ", and this container joins the network namespace of no pod");
    }

    /** CRI-O keeps the sandbox's spec in containers/storage, with the kubelet's labels; its namespaces are pinned files. */
    @Test
    void aCriOPodsContainerIsAMemberThroughTheSandboxSpecCriOKeeps() {
        ObjectNode sandbox = Specs.JSON.createObjectNode();
        sandbox.putObject("linux").putArray("namespaces").addObject().put("type", "network").put("path", "/var/run/netns/6b1f");
        sandbox.putObject("annotations").put("io.kubernetes.cri-o.Labels", "{\"io.kubernetes.pod.uid\":\"" + Specs.POD_UID + "\"}");
        HostView host = Specs.host(Map.of(), Set.of(), Map.of(), Map.of(),
                Map.of("/var/lib/containers/storage/overlay-containers/" + OTHER_SANDBOX + "/userdata/config.json", sandbox));
        ObjectNode spec = Specs.joining(kubeletMountsOnly(), "network", "/var/run/netns/6b1f");
        spec.set("annotations", Specs.JSON.createObjectNode().put("io.kubernetes.cri-o.SandboxID", OTHER_SANDBOX));
        SpecValidator crio = on("containers-storage:/var/lib/containers/storage", host);
        assertDoesNotThrow(() -> crio.validate(spec, Specs.BUNDLE, Specs.ID));
        ObjectNode stolen = Specs.withHostPath(spec.deepCopy(), VICTIMS_SECRET, "/stolen");
        assertRefusal(assertThrows(Refusal.class, () -> crio.validate(stolen, Specs.BUNDLE, Specs.ID)), last(stolen), "host-mount",
                "not to this container's pod " + Specs.POD_UID);
    }

    /**
     * Docker keeps a container's labels, which its user writes: a container labelled with a pod's
     * uid is no sandbox of that pod (a new user's trial read a pod's secret through
     * {@code docker run --label io.kubernetes.pod.uid=<uid>} and {@code --network container:} it).
     */
    @Test
    void aDockerContainerLabelledWithAPodsUidMakesNoMembers() {
        ObjectNode config = Specs.JSON.createObjectNode();
        config.putObject("Config").putObject("Labels").put("io.kubernetes.pod.uid", VICTIM);
        HostView host = Specs.host(Map.of(), Set.of(), Map.of(), Map.of(OTHER_SANDBOX, 5151L),
                Map.of("/var/lib/docker/containers/" + OTHER_SANDBOX + "/config.v2.json", config));
        ObjectNode spec = Specs.joining(kubeletMountsOnly(), "network", "/proc/5151/ns/net");
        spec.remove("annotations");
        spec.set("mounts", Specs.JSON.createArrayNode());
        Specs.withHostPath(spec, "/var/lib/docker/containers/" + OTHER_SANDBOX + "/resolv.conf", "/etc/resolv.conf");
        Specs.withHostPath(spec, VICTIMS_SECRET, "/stolen");
        assertRefusal(assertThrows(Refusal.class, () -> on("docker:/var/lib/docker", host).validate(spec,
                        Path.of("/run/docker/containerd/daemon/io.containerd.runtime.v2.task/moby/" + Specs.ID), Specs.ID)),
                last(spec), "host-mount", "belongs to pod " + VICTIM + ", and this container joins the network namespace of no pod sandbox");
    }
}
