package dev.stockade.runtime.spec;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.stockade.api.profile.SandboxProfile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.List;
import java.util.Map;
import java.util.Set;

import static dev.stockade.runtime.spec.Specs.PLAIN_HOST;
import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SpecValidatorTest {

    private static final SpecValidator DEFAULTS = new SpecValidator(SandboxProfile.defaults(), "untrusted", PLAIN_HOST);

    private static Refusal refused(SpecValidator validator, ObjectNode spec) {
        return assertThrows(Refusal.class, () -> validator.validate(spec, Specs.BUNDLE, Specs.ID));
    }

    @Test
    void criAppContainerWithProjectedTokenEmptyDirAndConfigMapPasses() {
        assertDoesNotThrow(() -> DEFAULTS.validate(Specs.app(), Specs.BUNDLE, Specs.ID));
    }

    @Test
    void criPauseContainerPasses() {
        assertDoesNotThrow(() -> DEFAULTS.validate(Specs.pause(), Specs.BUNDLE, Specs.SANDBOX_ID));
    }

    @Test
    void privilegedContainerIsRefusedAsPrivileged() {
        Refusal refusal = refused(DEFAULTS, Specs.privileged(Specs.app()));
        assertEquals("privileged", refusal.rule());
        assertTrue(refusal.getMessage().contains("securityContext.privileged"), refusal.getMessage());
        assertTrue(refusal.getMessage().contains("untrusted"), refusal.getMessage());
    }

    @ParameterizedTest
    @ValueSource(strings = {"network", "pid", "ipc", "uts", "mount"})
    void sharingAHostNamespaceIsRefused(String type) {
        Refusal refusal = refused(DEFAULTS, Specs.withoutNamespace(Specs.app(), type));
        assertEquals("host-namespace", refusal.rule());
        assertEquals("linux.namespaces", refusal.field());
        assertTrue(refusal.getMessage().contains(type), refusal.getMessage());
    }

    @Test
    void joiningTheHostsNamespaceByPathIsRefused() {
        SpecValidator validator = new SpecValidator(SandboxProfile.defaults(), "untrusted",
                Specs.host(Map.of(), Set.of("/proc/4242/ns/net")));
        Refusal refusal = refused(validator, Specs.app());
        assertEquals("linux.namespaces[4].path", refusal.field());
        assertEquals("host-namespace", refusal.rule());
    }

    /** A source that is not written normally is refused with what to write instead (a hostPath of "/data/" reaches runc as is). */
    @ParameterizedTest
    @ValueSource(strings = {"/srv/data/", "/srv//data", "/srv/./data", "/srv/x/../data", "srv/data"})
    void aBindSourceNotWrittenNormallyIsRefusedSayingHowToWriteIt(String hostPath) {
        Refusal refusal = refused(DEFAULTS, Specs.withHostPath(Specs.app(), hostPath, "/x"));
        assertEquals("host-mount", refusal.rule());
        assertEquals("mounts[14].source", refusal.field());
        assertTrue(refusal.getMessage().contains("bind mount source " + hostPath + " is not a normalized absolute path"), refusal.getMessage());
        assertTrue(refusal.getMessage().contains("write it as an absolute path without a trailing slash, '//', '.' or '..'"), refusal.getMessage());
    }

    @ParameterizedTest
    @ValueSource(strings = {"/", "/run/containerd/containerd.sock", "/var/run/docker.sock", "/proc", "/sys",
            "/var/lib/kubelet", "/etc", "/var/lib/containerd", "/dev", "/root/.ssh"})
    void hostPathsOutsideThePodsManagedDirectoriesAreRefused(String hostPath) {
        Refusal refusal = refused(DEFAULTS, Specs.withHostPath(Specs.app(), hostPath, "/x"));
        assertEquals("host-mount", refusal.rule());
        assertEquals("mounts[14].source", refusal.field());
        assertTrue(refusal.getMessage().contains("host path " + hostPath + " at /x"), refusal.getMessage());
    }

    @Test
    void aProfileListedHostPathIsAllowedWithEverythingBelowIt() {
        SpecValidator validator = new SpecValidator(Specs.profile("{\"allowedHostPaths\":[{\"path\":\"/srv/data\"}]}"),
                "data", PLAIN_HOST);
        assertDoesNotThrow(() -> validator.validate(Specs.withHostPath(Specs.app(), "/srv/data/models", "/models"), Specs.BUNDLE, Specs.ID));
        assertThrows(Refusal.class, () -> validator.validate(Specs.withHostPath(Specs.app(), "/srv/database", "/db"), Specs.BUNDLE, Specs.ID));
    }

    @Test
    void aSymlinkOutOfAnAllowedHostPathIsRefused() {
        SpecValidator validator = new SpecValidator(Specs.profile("{\"allowedHostPaths\":[{\"path\":\"/srv/data\"}]}"),
                "data", Specs.host(Map.of("/srv/data/escape", "/"), Set.of()));
        Refusal refusal = refused(validator, Specs.withHostPath(Specs.app(), "/srv/data/escape", "/x"));
        assertTrue(refusal.getMessage().contains("(really /)"), refusal.getMessage());
    }

    @Test
    void dotDotInAMountSourceIsRefused() {
        Refusal refusal = refused(DEFAULTS, Specs.withHostPath(Specs.app(),
                "/var/lib/kubelet/pods/6f1c2e7a-3b1d-4c55-9a0e-2d7f0c1b9e11/volumes/kubernetes.io~empty-dir/cache/../../../../..", "/x"));
        assertEquals("host-mount", refusal.rule());
    }

    /** A namespace joined through a link is pinned: runc opens the namespace file checked, not the link (a new user's trial flipped one). */
    @Test
    void aJoinedNamespaceIsPinnedToTheFileChecked() throws Exception {
        ObjectNode spec = Specs.joining(Specs.app(), "network", "/run/pods/web-0/net");
        HostView host = Specs.host(Map.of("/run/pods/web-0/net", "/proc/4242/ns/net"), Set.of());
        SpecValidator validator = new SpecValidator(SandboxProfile.defaults(), "untrusted", host);
        validator.validate(spec, Specs.BUNDLE, Specs.ID).writeInto();
        assertEquals("/proc/4242/ns/net", spec.at("/linux/namespaces/4/path").asText(), spec.at("/linux/namespaces").toString());
        // The host's namespace behind a link is the host's.
        ObjectNode hosts = Specs.joining(Specs.app(), "network", "/run/pods/web-0/net");
        Refusal refusal = refused(new SpecValidator(SandboxProfile.defaults(), "untrusted",
                Specs.host(Map.of("/run/pods/web-0/net", "/proc/1/ns/net"), Set.of("/proc/1/ns/net"))), hosts);
        assertEquals("host-namespace", refusal.rule());
        assertTrue(refusal.getMessage().contains("at /run/pods/web-0/net (really /proc/1/ns/net)"), refusal.getMessage());
        // What the host cannot pin is refused.
        Refusal unpinnable = refused(new SpecValidator(SandboxProfile.defaults(), "untrusted", Specs.unpinnable(host)),
                Specs.joining(Specs.app(), "network", "/tmp/nslink"));
        assertEquals("linux.namespaces[1].path", unpinnable.field(), "the first namespace joined, the sandbox's IPC one");
        assertTrue(unpinnable.getMessage().contains("not a namespace file the runtime can pin"), unpinnable.getMessage());
    }

    @Test
    void anotherPodsKubeletDirectoryIsRefused() {
        Refusal refusal = refused(DEFAULTS, Specs.withHostPath(Specs.app(),
                "/var/lib/kubelet/pods/0000aaaa-0000-0000-0000-000000000000/volumes/kubernetes.io~secret/db-password", "/stolen"));
        assertTrue(refusal.getMessage().contains("another pod"), refusal.getMessage());
    }

    /** MicroK8s and others move the kubelet's root: the installer tells the runtime where it is. */
    @Test
    void podVolumesAreAllowedUnderTheKubeletRootTheNodeUses() {
        String microk8s = "/var/snap/microk8s/common/var/lib/kubelet";
        ObjectNode spec = Specs.app();
        spec.get("mounts").forEach(mount -> ((ObjectNode) mount).put("source",
                mount.path("source").asText().replace("/var/lib/kubelet/", microk8s + "/")));
        assertDoesNotThrow(() -> new SpecValidator(SandboxProfile.defaults(), "untrusted", PLAIN_HOST, microk8s).validate(spec, Specs.BUNDLE, Specs.ID));
        assertEquals("host-mount", refused(DEFAULTS, spec).rule(), "the same mounts are not pod volumes under /var/lib/kubelet");
        assertEquals("host-mount", refused(new SpecValidator(SandboxProfile.defaults(), "untrusted", PLAIN_HOST, microk8s),
                Specs.app()).rule(), "nor are /var/lib/kubelet's under another root");
    }

    /** Hooks run host programs as root: only those under allowedHostPaths, so none by default. */
    @Test
    void aHookIsRefusedUnlessItsProgramIsUnderAnAllowedHostPath() {
        ObjectNode spec = Specs.app();
        spec.with("hooks").withArray("createRuntime").addObject().put("path", "/usr/libexec/oci/hooks.d/gpu-hook");
        Refusal refusal = refused(DEFAULTS, spec);
        assertEquals("hook", refusal.rule());
        assertTrue(refusal.getMessage().startsWith("hooks.createRuntime[0].path: the createRuntime hook would run host program "
                + "/usr/libexec/oci/hooks.d/gpu-hook as root"), refusal.getMessage());
        SpecValidator allowing = new SpecValidator(Specs.profile("{\"allowedHostPaths\":[{\"path\":\"/usr/libexec/oci/hooks.d\"}]}"),
                "untrusted", PLAIN_HOST);
        assertDoesNotThrow(() -> allowing.validate(spec, Specs.BUNDLE, Specs.ID));
        spec.with("hooks").withArray("poststop").addObject().put("path", "/usr/libexec/oci/hooks.d/../../../bin/sh");
        assertEquals("hook", refused(allowing, spec).rule(), "a path that climbs out is refused");
    }

    /** A container may mount a readOnly: false entry writable and replace the program the node then runs as root. */
    @Test
    void aHookProgramUnderAWritableAllowedHostPathIsRefused() {
        ObjectNode spec = Specs.app();
        spec.with("hooks").withArray("prestart").addObject().put("path", "/srv/shared/hooks/hook.sh");
        SpecValidator writable = new SpecValidator(Specs.profile(
                "{\"allowedHostPaths\":[{\"path\":\"/srv/shared/hooks\"},{\"path\":\"/srv/shared\",\"readOnly\":false}]}"),
                "untrusted", PLAIN_HOST);
        Refusal refusal = refused(writable, spec);
        assertEquals("hook", refusal.rule());
        assertTrue(refusal.getMessage().contains("lies in /srv/shared, which sandbox profile untrusted lets containers write"),
                refusal.getMessage());
        SpecValidator readOnly = new SpecValidator(Specs.profile("{\"allowedHostPaths\":[{\"path\":\"/srv/shared/hooks\"}]}"),
                "untrusted", PLAIN_HOST);
        assertDoesNotThrow(() -> readOnly.validate(spec, Specs.BUNDLE, Specs.ID));
    }

    /** Docker's network hook exactly as moby's WithLibnetwork writes it (Docker 20.10 on). */
    static ObjectNode withDockersNetworkHook(ObjectNode spec) {
        spec.with("hooks").withArray("prestart").addObject().put("path", "/proc/812/exe")
                .putArray("args").add("libnetwork-setkey").add("-exec-root=/var/run/docker")
                .add("92281a44cc692ce594151300516f007fbdf6d8667a454623990f9cdcdd23cb6b").add("0bf16d27a1b4");
        return spec;
    }

    static final HostView DOCKER = Specs.host(Map.of("/proc/812/exe", "/usr/bin/dockerd"), Set.of());

    /** Docker sets up a container's network with a prestart hook running dockerd itself: it passes, pinned to dockerd's real path. */
    @Test
    void dockersNetworkHookPassesAndRunsTheDockerdThatWasChecked() throws Refusal {
        ObjectNode spec = withDockersNetworkHook(Specs.app());
        CheckedPaths checked = new SpecValidator(SandboxProfile.defaults(), "untrusted", DOCKER).validate(spec, Specs.BUNDLE, Specs.ID);
        new SpecHardener(SandboxProfile.defaults(), new SpecValidator(SandboxProfile.defaults(), "untrusted", DOCKER), "untrusted", "amd64")
                .harden(spec, checked);
        assertEquals("/usr/bin/dockerd", spec.get("hooks").get("prestart").get(0).get("path").asText(),
                "runc runs the dockerd that was checked, not whatever process has pid 812 by then");

        ObjectNode traced = withDockersNetworkHook(Specs.app());
        ((ObjectNode) traced.get("hooks").get("prestart").get(0)).putArray("env")
                .add("TRACEPARENT=00-5ebf70084575ef7986a74f21e4a018db-df514d71c49d34e1-01");
        assertDoesNotThrow(() -> new SpecValidator(SandboxProfile.defaults(), "untrusted", DOCKER).validate(traced, Specs.BUNDLE, Specs.ID));

        HostView impostor = Specs.host(Map.of("/proc/812/exe", "/tmp/dockerd"), Set.of());
        assertEquals("hook", refused(new SpecValidator(SandboxProfile.defaults(), "untrusted", impostor), withDockersNetworkHook(Specs.app())).rule(),
                "a program named dockerd outside the system's binary directories is not the engine");
    }

    /** An engine's binary runs as root on the host with whatever the spec gives it, unless it is exactly the engine's own hook. */
    @ParameterizedTest
    @ValueSource(strings = {
            "prestart|/usr/bin/containerd|containerd,--anything|",
            "prestart|/usr/bin/containerd|containerd,--config,/var/lib/kubelet/pods/x/volumes/a/b/config.toml|",
            "createRuntime|/usr/bin/crio|crio,--root,/tmp|",
            "prestart|/proc/812/exe|dockerd,--anything|",
            "prestart|/proc/812/exe|libnetwork-setkey,92281a44cc692ce594151300516f007fbdf6d8667a454623990f9cdcdd23cb6b,0bf16d27a1b4|",
            "prestart|/proc/812/exe|libnetwork-setkey,-exec-root=/var/run/docker,92281a44cc692ce594151300516f007fbdf6d8667a454623990f9cdcdd23cb6b,0bf16d27a1b4,--x|",
            "prestart|/proc/812/exe|libnetwork-setkey,-exec-root=/var/run/../../tmp,92281a44cc692ce594151300516f007fbdf6d8667a454623990f9cdcdd23cb6b,0bf16d27a1b4|",
            "prestart|/proc/812/exe|libnetwork-setkey,-exec-root=/var/run/docker,c0ffee,5ca1ab1e|",
            "prestart|/proc/812/exe|libnetwork-setkey,-exec-root=/var/run/docker,92281a44cc692ce594151300516f007fbdf6d8667a454623990f9cdcdd23cb6b,0bf16d27a1b4|LD_PRELOAD=/tmp/x.so",
            "poststop|/proc/812/exe|libnetwork-setkey,-exec-root=/var/run/docker,92281a44cc692ce594151300516f007fbdf6d8667a454623990f9cdcdd23cb6b,0bf16d27a1b4|"})
    void anEngineBinaryAsAHookInAnyOtherShapeIsRefused(String shape) {
        String[] parts = shape.split("\\|", -1);
        ObjectNode spec = Specs.app();
        ObjectNode hook = spec.with("hooks").withArray(parts[0]).addObject().put("path", parts[1]);
        ArrayNode args = hook.putArray("args");
        List.of(parts[2].split(",")).forEach(args::add);
        if (!parts[3].isEmpty()) {
            hook.putArray("env").add(parts[3]);
        }
        Refusal refusal = refused(new SpecValidator(SandboxProfile.defaults(), "untrusted", DOCKER), spec);
        assertEquals("hook", refusal.rule());
        assertEquals("hooks." + parts[0] + "[0]", refusal.field());
        assertTrue(refusal.getMessage().contains("as root on the host with the arguments " + List.of(parts[2].split(","))),
                refusal.getMessage());
        assertTrue(refusal.getMessage().contains("remove the hook, or add the program's directory to the profile's allowedHostPaths"),
                refusal.getMessage());
    }

    // ---- bind sources: what is checked is what runc mounts ----

    static final String POD = "/var/lib/kubelet/pods/6f1c2e7a-3b1d-4c55-9a0e-2d7f0c1b9e11";

    /**
     * Nothing produces a source inside a volume (the kubelet prepares subPaths under
     * volume-subpaths), and a container of the pod could swap a directory there for a link between
     * the check and runc's mount.
     */
    @ParameterizedTest
    @ValueSource(strings = {"/volumes/kubernetes.io~empty-dir/cache/sub", "/volumes/kubernetes.io~empty-dir/cache/a/b",
            "/volume-subpaths/cache/web/0/deeper", "/etc-hosts/x", "/containers/web/0b3c5a1e/x"})
    void aSourceInsideAPodsVolumeIsRefused(String below) {
        Refusal refusal = refused(DEFAULTS, Specs.withHostPath(Specs.app(), POD + below, "/data"));
        assertEquals("mounts[14].source", refusal.field());
        assertEquals("host-mount", refusal.rule());
        assertTrue(refusal.getMessage().contains("reaches inside a directory of the kubelet's pod directory"), refusal.getMessage());
        assertTrue(refusal.getMessage().contains("use a subPath instead"), refusal.getMessage());
    }

    @ParameterizedTest
    @ValueSource(strings = {"/volumes/kubernetes.io~empty-dir/cache", "/volume-subpaths/cache/web/0",
            "/volumes/kubernetes.io~csi/pvc-0a1b2c3d/mount", "/volumes/kubernetes.io~csi/pvc-0a1b2c3d"})
    void whatTheKubeletHandsOverStillPasses(String directory) {
        assertDoesNotThrow(() -> DEFAULTS.validate(Specs.withHostPath(Specs.app(), POD + directory, "/data"), Specs.BUNDLE, Specs.ID));
    }

    /** A link that is inside a volume at check time is no better: its target is inside the volume too. */
    @Test
    void aSourceThatIsALinkIntoItsOwnVolumeIsRefused() {
        String source = POD + "/volumes/kubernetes.io~empty-dir/cache";
        HostView linked = Specs.host(Map.of(source, POD + "/volumes/kubernetes.io~empty-dir/other/inside"), Set.of());
        Refusal refusal = refused(new SpecValidator(SandboxProfile.defaults(), "untrusted", linked), Specs.withHostPath(Specs.app(), source, "/data"));
        assertTrue(refusal.getMessage().contains("(really " + POD + "/volumes/kubernetes.io~empty-dir/other/inside)"), refusal.getMessage());
    }

    /** Containers may write a readOnly: false host path, so a directory below it could be swapped: only the rule's own directory. */
    @Test
    void belowAWritableAllowedHostPathOnlyTheDirectoryItselfMayBeMounted() {
        SpecValidator validator = new SpecValidator(Specs.profile(
                "{\"allowedHostPaths\":[{\"path\":\"/srv/shared\",\"readOnly\":false},{\"path\":\"/srv/models\"}]}"), "data", PLAIN_HOST);
        assertDoesNotThrow(() -> validator.validate(Specs.withHostPath(Specs.app(), "/srv/shared", "/shared"), Specs.BUNDLE, Specs.ID));
        assertDoesNotThrow(() -> validator.validate(Specs.withHostPath(Specs.app(), "/srv/models/v1", "/models"), Specs.BUNDLE, Specs.ID));
        Refusal refusal = refused(validator, Specs.withHostPath(Specs.app(), "/srv/shared/sub", "/sub"));
        assertEquals("mounts[14].source", refusal.field());
        assertTrue(refusal.getMessage().contains("reaches inside /srv/shared, which sandbox profile data lets containers write"), refusal.getMessage());
        assertTrue(refusal.getMessage().contains("Mount /srv/shared itself, or make that rule read-only"), refusal.getMessage());
    }

    /** The source runc gets is the real path that was checked, with no link left on the way to swap. */
    @Test
    void bindSourcesArePinnedToTheRealPathThatWasChecked() throws Refusal {
        SandboxProfile profile = Specs.profile("{\"allowedHostPaths\":[{\"path\":\"/srv/models\"}]}");
        HostView host = Specs.host(Map.of("/srv/current", "/srv/models/v2"), Set.of());
        SpecValidator validator = new SpecValidator(profile, "data", host);
        ObjectNode spec = Specs.withHostPath(Specs.app(), "/srv/current", "/models");
        new SpecHardener(profile, validator, "data", "amd64").harden(spec, validator.validate(spec, Specs.BUNDLE, Specs.ID));
        assertEquals("/srv/models/v2", spec.get("mounts").get(14).get("source").asText());
        assertEquals(List.of("rbind", "rprivate", "ro"), spec.get("mounts").get(14).get("options").valueStream().map(JsonNode::asText).toList());
    }

    @Test
    void anotherSandboxsHostnameFileIsRefused() {
        Refusal refusal = refused(DEFAULTS, Specs.withHostPath(Specs.app(),
                "/var/lib/containerd/io.containerd.grpc.v1.cri/sandboxes/ffff/resolv.conf", "/etc/other"));
        assertEquals("host-mount", refusal.rule());
    }

    @Test
    void requestedCapabilityBeyondTheProfileIsRefused() {
        Refusal refusal = refused(DEFAULTS, Specs.withAddedCapability(Specs.app(), "CAP_SYS_ADMIN"));
        assertEquals("capabilities", refusal.rule());
        assertEquals("process.capabilities.bounding", refusal.field());
        assertTrue(refusal.getMessage().contains("CAP_SYS_ADMIN"), refusal.getMessage());
    }

    @Test
    void aProfileThatAllowsACapabilityLetsItThrough() {
        SpecValidator validator = new SpecValidator(Specs.profile("{\"allowedCapabilities\":[\"CHOWN\",\"SYS_PTRACE\"]}"),
                "debug", PLAIN_HOST);
        assertDoesNotThrow(() -> validator.validate(Specs.withAddedCapability(Specs.app(), "CAP_SYS_PTRACE"), Specs.BUNDLE, Specs.ID));
    }

    @Test
    void aDeviceBeyondTheStandardSetIsRefused() {
        ObjectNode spec = Specs.app();
        ((ObjectNode) spec.get("linux")).putArray("devices").addObject()
                .put("path", "/dev/sda").put("type", "b").put("major", 8).put("minor", 0);
        Refusal refusal = refused(DEFAULTS, spec);
        assertEquals("linux.devices[0]", refusal.field());
        assertEquals("devices", refusal.rule());
    }

    @Test
    void aDeviceCgroupRuleOpeningAHostDeviceIsRefused() {
        ObjectNode spec = Specs.app();
        ((ArrayNode) spec.get("linux").get("resources").get("devices")).addObject()
                .put("allow", true).put("type", "b").put("major", 8).put("minor", 0).put("access", "rw");
        assertEquals("devices", refused(DEFAULTS, spec).rule());
    }

    @Test
    void standardDevicesPass() {
        ObjectNode spec = Specs.app();
        ((ObjectNode) spec.get("linux")).putArray("devices").addObject()
                .put("path", "/dev/null").put("type", "c").put("major", 1).put("minor", 3);
        assertDoesNotThrow(() -> DEFAULTS.validate(spec, Specs.BUNDLE, Specs.ID));
    }

    @Test
    void unsafeSysctlIsRefusedUnlessTheProfileAllowsIt() {
        ObjectNode spec = Specs.app();
        ((ObjectNode) spec.get("linux")).putObject("sysctl").put("kernel.msgmax", "65536");
        Refusal refusal = refused(DEFAULTS, spec);
        assertEquals("linux.sysctl.kernel.msgmax", refusal.field());
        SpecValidator allowing = new SpecValidator(Specs.profile("{\"allowedSysctls\":[\"kernel.msgmax\"]}"), "ipc", PLAIN_HOST);
        assertDoesNotThrow(() -> allowing.validate(spec, Specs.BUNDLE, Specs.ID));
    }

    @Test
    void aBlockDeviceFilesystemMountIsRefused() {
        ObjectNode spec = Specs.app();
        ((ArrayNode) spec.get("mounts")).addObject().put("destination", "/disk").put("type", "ext4").put("source", "/dev/sda1");
        assertEquals("mount-type", refused(DEFAULTS, spec).rule());
    }

    @Test
    void bidirectionalMountPropagationIsRefused() {
        ObjectNode spec = Specs.app();
        ((ArrayNode) spec.get("mounts").get(12).get("options")).add("rshared");
        assertEquals("mount-propagation", refused(DEFAULTS, spec).rule());
    }

    @Test
    void execProcessAskingForMoreCapabilitiesIsRefused() {
        ObjectNode process = (ObjectNode) Specs.withAddedCapability(Specs.app(), "CAP_NET_ADMIN").get("process");
        assertThrows(Refusal.class, () -> DEFAULTS.validateProcess(process, List.of()));
        assertThrows(Refusal.class, () -> DEFAULTS.validateProcess(null, List.of("CAP_SYS_ADMIN")));
        assertDoesNotThrow(() -> DEFAULTS.validateProcess((ObjectNode) Specs.app().get("process"), List.of("CAP_KILL")));
    }
}
