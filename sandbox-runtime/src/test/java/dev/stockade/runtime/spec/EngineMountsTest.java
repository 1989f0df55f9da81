package dev.stockade.runtime.spec;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.stockade.api.profile.SandboxProfile;
import dev.stockade.runtime.spec.HostView.Entry;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static dev.stockade.runtime.spec.Specs.PLAIN_HOST;
import static dev.stockade.runtime.spec.Specs.ROOTFS;
import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Mounts over runc's own /dev, /proc and /sys, and what runc takes from the image: only what the
 * container engines themselves put there passes (CVE-2025-31133, CVE-2025-52565, CVE-2025-52881).
 */
class EngineMountsTest {

    private static final SpecValidator DEFAULTS = new SpecValidator(SandboxProfile.defaults(), "untrusted", PLAIN_HOST);
    private static final String POD = "/var/lib/kubelet/pods/6f1c2e7a-3b1d-4c55-9a0e-2d7f0c1b9e11";
    private static final String VOLUME = POD + "/volumes/kubernetes.io~empty-dir/cache";
    private static final String TERMINATION_LOG = POD + "/containers/web/0b3c5a1e";
    private static final String SANDBOX_SHM = "/run/containerd/io.containerd.grpc.v1.cri/sandboxes/"
            + "4a7d1f0c9be2e83a5f6c0d1e2b3a4c5d6e7f8091a2b3c4d5e6f708192a3b4c5d/shm";

    private static Refusal refused(SpecValidator validator, ObjectNode spec) {
        return assertThrows(Refusal.class, () -> validator.validate(spec, Specs.BUNDLE, Specs.ID));
    }

    private static SpecValidator withImage(Map<String, Entry> files) {
        return new SpecValidator(SandboxProfile.defaults(), "untrusted", Specs.host(Map.of(), Set.of(), files));
    }

    private static int indexOf(ObjectNode spec, String destination) {
        ArrayNode mounts = (ArrayNode) spec.get("mounts");
        for (int i = 0; i < mounts.size(); i++) {
            if (mounts.get(i).get("destination").asText().equals(destination)) {
                return i;
            }
        }
        return -1;
    }

    /** {@code mount} in place of the one at its destination, or added. */
    private static ObjectNode with(ObjectNode spec, ObjectNode mount) {
        int index = indexOf(spec, mount.get("destination").asText());
        if (index < 0) {
            ((ArrayNode) spec.get("mounts")).add(mount);
        } else {
            ((ArrayNode) spec.get("mounts")).set(index, mount);
        }
        return spec;
    }

    private static ObjectNode bind(String destination, String source) {
        ObjectNode mount = Specs.JSON.createObjectNode().put("destination", destination).put("type", "bind").put("source", source);
        mount.putArray("options").add("rbind").add("rprivate").add("rw");
        return mount;
    }

    private static ObjectNode mount(String destination, String type, String source, String... options) {
        ObjectNode mount = Specs.JSON.createObjectNode().put("destination", destination).put("type", type).put("source", source);
        ArrayNode array = mount.putArray("options");
        List.of(options).forEach(array::add);
        return mount;
    }

    private static ObjectNode withoutMount(ObjectNode spec, String destination) {
        ((ArrayNode) spec.get("mounts")).remove(indexOf(spec, destination));
        return spec;
    }

    private static void assertRefusedAt(Refusal refusal, ObjectNode spec, String destination) {
        assertEquals("mounts[" + indexOf(spec, destination) + "].destination", refusal.field(), refusal.getMessage());
        assertEquals("mount-destination", refusal.rule());
        assertTrue(refusal.getMessage().contains("sandbox profile untrusted does not allow it"), refusal.getMessage());
    }

    // ---- what the engines mount passes ----

    @Test
    void containerdsCriContainerAndSandboxPass() {
        assertDoesNotThrow(() -> DEFAULTS.validate(Specs.app(), Specs.BUNDLE, Specs.ID));
        assertDoesNotThrow(() -> DEFAULTS.validate(Specs.pause(), Specs.BUNDLE, Specs.SANDBOX_ID));
    }

    /** moby's oci/defaults.go and daemon: the shm size in bytes, cgroup options in another order, a shareable shm bind. */
    @Test
    void dockersDefaultMountsPass() {
        ObjectNode spec = Specs.app();
        ArrayNode mounts = spec.putArray("mounts");
        mounts.add(mount("/proc", "proc", "proc", "nosuid", "noexec", "nodev"));
        mounts.add(mount("/dev", "tmpfs", "tmpfs", "nosuid", "strictatime", "mode=755", "size=65536k"));
        mounts.add(mount("/dev/pts", "devpts", "devpts", "nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"));
        mounts.add(mount("/sys", "sysfs", "sysfs", "nosuid", "noexec", "nodev", "ro"));
        mounts.add(mount("/sys/fs/cgroup", "cgroup", "cgroup", "ro", "nosuid", "noexec", "nodev"));
        mounts.add(mount("/dev/mqueue", "mqueue", "mqueue", "nosuid", "noexec", "nodev"));
        mounts.add(mount("/dev/shm", "tmpfs", "shm", "nosuid", "noexec", "nodev", "mode=1777", "size=67108864"));
        assertDoesNotThrow(() -> DEFAULTS.validate(spec, Specs.BUNDLE, Specs.ID));
    }

    /** CRI-O binds the sandbox's shm from its storage directory, "rw" and "bind", and names the sandbox with its own annotation. */
    @Test
    void criOsShmBindPasses() {
        String sandbox = "4a7d1f0c9be2e83a5f6c0d1e2b3a4c5d6e7f8091a2b3c4d5e6f708192a3b4c5d";
        ObjectNode spec = with(Specs.app(), mount("/dev/shm", "bind", "/run/containers/storage/overlay-containers/"
                + sandbox + "/userdata/shm", "rw", "bind"));
        spec.with("annotations").put("io.kubernetes.cri-o.SandboxID", sandbox);
        assertDoesNotThrow(() -> DEFAULTS.validate(spec, Specs.BUNDLE, Specs.ID));
    }

    /** What Kubernetes puts under /dev: the termination message anywhere runc does not use, /dev/shm as a pod volume. */
    @ParameterizedTest
    @ValueSource(strings = {"/dev/termination-log", "/dev/custom/termination", "/dev/shm"})
    void theKubeletsFilesAndAShmVolumeUnderDevPass(String destination) {
        String source = destination.equals("/dev/shm") ? VOLUME : TERMINATION_LOG;
        assertDoesNotThrow(() -> DEFAULTS.validate(with(Specs.app(), bind(destination, source)), Specs.BUNDLE, Specs.ID));
    }

    /** A mount destination written loosely is cleaned as runc cleans it, then checked. */
    @Test
    void aDestinationIsCheckedAsRuncCleansIt() {
        ObjectNode spec = Specs.app();
        ((ArrayNode) spec.get("mounts")).add(mount("/tmp/../proc//sys/", "tmpfs", "tmpfs"));
        Refusal refusal = refused(DEFAULTS, spec);
        assertEquals("mounts[14].destination", refusal.field());
        assertTrue(refusal.getMessage().contains("at /tmp/../proc//sys/ is over runc's own /proc"), refusal.getMessage());
    }

    /** runc gets the destination as it was checked. */
    @Test
    void aLooseDestinationIsWrittenBackCleaned() throws Refusal {
        ObjectNode spec = with(Specs.app(), bind("data/../cache//", VOLUME));
        new SpecHardener(SandboxProfile.defaults(), DEFAULTS, "untrusted", "amd64").harden(spec, DEFAULTS.validate(spec, Specs.BUNDLE, Specs.ID));
        assertEquals("/cache", spec.get("mounts").get(14).get("destination").asText());
    }

    // ---- what the pod chooses is refused there ----

    /** CVE-2025-31133, CVE-2025-52565: a pod volume decides what /dev/null, /dev/pts/N… are. */
    @ParameterizedTest
    @ValueSource(strings = {"/dev", "/dev/pts", "/dev/mqueue", "/dev/null", "/dev/console", "/dev/ptmx", "/dev/pts/0", "/dev/shm/x",
            "/dev/fuse", "/proc", "/proc/sys", "/proc/sys/kernel/core_pattern", "/sys", "/sys/fs/cgroup", "/sys/kernel/security"})
    void aPodVolumeOverRuncsOwnMountsIsRefused(String destination) {
        ObjectNode spec = with(Specs.app(), bind(destination, VOLUME));
        Refusal refusal = refused(DEFAULTS, spec);
        assertRefusedAt(refusal, spec, destination);
        assertTrue(refusal.getMessage().startsWith("mounts[" + indexOf(spec, destination) + "].destination: a bind mount of " + VOLUME
                + " at " + destination + " is over runc's own /"), refusal.getMessage());
        assertTrue(refusal.getMessage().contains("mount it elsewhere (rule mount-destination)"), refusal.getMessage());
    }

    /** The termination message goes anywhere but where runc makes its own files; other runtime files never under /dev. */
    @ParameterizedTest
    @ValueSource(strings = {"/dev/null", "/dev/console", "/dev/pts", "/dev/stdout", "/dev/fd/3", "/dev"})
    void theTerminationLogOverRuncsOwnFilesIsRefused(String destination) {
        ObjectNode spec = with(Specs.app(), bind(destination, TERMINATION_LOG));
        assertRefusedAt(refused(DEFAULTS, spec), spec, destination);
        ObjectNode hostname = with(Specs.app(), bind("/dev/shm", SANDBOX_SHM.replace("/shm", "/hostname")));
        assertRefusedAt(refused(DEFAULTS, hostname), hostname, "/dev/shm");
    }

    /** CVE-2025-52881: runc writes sysctls and masks through /proc; a tmpfs or anything else over it takes those writes. */
    @ParameterizedTest
    @ValueSource(strings = {"/proc/sys", "/proc", "/sys", "/sys/kernel", "/sys/fs/cgroup", "/dev/pts", "/dev/mqueue", "/dev/null"})
    void aTmpfsOverRuncsOwnMountsIsRefused(String destination) {
        ObjectNode spec = with(Specs.app(), mount(destination, "tmpfs", "tmpfs", "nosuid"));
        assertRefusedAt(refused(DEFAULTS, spec), spec, destination);
    }

    /** The engines' own filesystems with a source or option they never set are not theirs. */
    @ParameterizedTest
    @ValueSource(strings = {"/proc|proc|/host/proc|nosuid", "/dev|tmpfs|tmpfs|nosuid,tmpcopyup", "/dev/pts|devpts|devpts|uid=0",
            "/dev/shm|tmpfs|shm|dev,exec", "/dev/shm|bind|" + SANDBOX_SHM + "|rbind,dev", "/sys|sysfs|sysfs|rw,suid"})
    void anEngineMountWithOtherSourceOrOptionsIsRefused(String shape) {
        String[] parts = shape.split("\\|");
        ObjectNode spec = with(Specs.app(), mount(parts[0], parts[1], parts[2], parts[3].split(",")));
        Refusal refusal = refused(DEFAULTS, spec);
        assertRefusedAt(refusal, spec, parts[0]);
    }

    @Test
    void aMountOverTheWholeRootIsRefused() {
        ObjectNode spec = with(Specs.app(), bind("/", VOLUME));
        Refusal refusal = refused(DEFAULTS, spec);
        assertEquals("mounts[14].destination", refusal.field());
        assertTrue(refusal.getMessage().contains("would cover the container's whole root filesystem"), refusal.getMessage());
    }

    // ---- the image's links: runc follows them inside the root filesystem ----

    @Test
    void aDestinationThatAnImageLinkTakesIntoRuncsOwnMountsIsRefused() {
        ObjectNode spec = with(Specs.app(), mount("/data", "tmpfs", "tmpfs"));
        Refusal refusal = refused(withImage(Map.of(ROOTFS + "/data", Entry.link("../proc/./sys"))), spec);
        assertRefusedAt(refusal, spec, "/data");
        assertTrue(refusal.getMessage().contains("the image's symbolic link /data -> ../proc/./sys takes it to /proc/sys"), refusal.getMessage());
    }

    @Test
    void runcsOwnMountsReachedThroughAnImageLinkAreRefused() {
        ObjectNode spec = Specs.app();
        Refusal refusal = refused(withImage(Map.of(ROOTFS + "/dev", Entry.link("/etc"))), spec);
        assertRefusedAt(refusal, spec, "/dev");
        assertTrue(refusal.getMessage().contains("/dev -> /etc takes it to /etc"), refusal.getMessage());
    }

    /** Debian's and Ubuntu's images link /var/run to /run: the service account token lands in /run, which is fine. */
    @Test
    void imageLinksOutsideRuncsOwnMountsAreFollowedAndPass() {
        assertDoesNotThrow(() -> withImage(Map.of(ROOTFS + "/var/run", Entry.link("/run"), ROOTFS + "/etc/mtab",
                Entry.link("../proc/self/mounts"))).validate(Specs.app(), Specs.BUNDLE, Specs.ID));
    }

    @Test
    void linksThatLoopOrAnImageThatCannotBeReadAreRefused() {
        Refusal loop = refused(withImage(Map.of(ROOTFS + "/a", Entry.link("/b"), ROOTFS + "/b", Entry.link("/a"))),
                with(Specs.app(), bind("/a/cache", VOLUME)));
        assertEquals("mounts[14].destination", loop.field());
        assertTrue(loop.getMessage().contains("goes through more than 255 symbolic links"), loop.getMessage());
        Refusal unreadable = refused(withImage(Map.of(ROOTFS + "/etc", Entry.UNREADABLE)), Specs.app());
        assertEquals("mounts[6].destination", unreadable.field());
        assertTrue(unreadable.getMessage().contains("/etc in the root filesystem " + ROOTFS + " cannot be examined"), unreadable.getMessage());
    }

    // ---- without a /dev mount runc keeps the image's /dev ----

    /** No mount on or below /dev at all. */
    private static ObjectNode withoutDev(ObjectNode spec) {
        for (String destination : List.of("/dev", "/dev/pts", "/dev/mqueue", "/dev/shm", "/dev/termination-log")) {
            withoutMount(spec, destination);
        }
        return spec;
    }

    @Test
    void anImageWhoseDevNullIsALinkIsRefusedWithoutADevMount() {
        SpecValidator validator = withImage(Map.of(ROOTFS + "/dev", Entry.DIRECTORY, ROOTFS + "/dev/null", Entry.link("/canary")));
        Refusal refusal = refused(validator, withoutDev(Specs.app()));
        assertEquals("root.path", refusal.field());
        assertEquals("rootfs", refusal.rule());
        assertTrue(refusal.getMessage().startsWith("root.path: /dev/null in the image " + ROOTFS
                + " is reached through the symbolic link /dev/null -> /canary, not the device c 1:3, which sandbox profile untrusted "
                + "does not allow"), refusal.getMessage());
        assertDoesNotThrow(() -> validator.validate(Specs.app(), Specs.BUNDLE, Specs.ID), "under the runtime's /dev tmpfs the image's /dev is not used");
    }

    @ParameterizedTest
    @ValueSource(strings = {"/dev/null=file", "/dev/zero=c 1:3", "/dev/tty=dir", "/dev=link", "/dev/console=link"})
    void anImageDevNodeThatIsNotTheDeviceIsRefusedWithoutADevMount(String what) {
        String path = what.split("=")[0];
        Entry entry = switch (what.split("=")[1]) {
            case "file" -> Entry.REGULAR_FILE;
            case "dir" -> Entry.DIRECTORY;
            case "link" -> Entry.link("/proc/sys/kernel/core_pattern");
            default -> Entry.characterDevice(1, 3);
        };
        Map<String, Entry> files = new HashMap<>(Map.of(ROOTFS + path, entry));
        files.putIfAbsent(ROOTFS + "/dev", Entry.DIRECTORY);
        Refusal refusal = refused(withImage(files), withoutDev(Specs.app()));
        assertEquals("rootfs", refusal.rule(), refusal.getMessage());
    }

    @Test
    void anImageWithTheRealDevicesOrNoneAtAllPassesWithoutADevMount() {
        assertDoesNotThrow(() -> DEFAULTS.validate(withoutDev(Specs.app()), Specs.BUNDLE, Specs.ID));
        SpecValidator devices = withImage(Map.of(ROOTFS + "/dev", Entry.DIRECTORY, ROOTFS + "/dev/null", Entry.characterDevice(1, 3),
                ROOTFS + "/dev/ptmx", Entry.characterDevice(5, 2), ROOTFS + "/dev/console", Entry.REGULAR_FILE));
        assertDoesNotThrow(() -> devices.validate(withoutDev(Specs.app()), Specs.BUNDLE, Specs.ID));
    }

    /** runc masks by name after every mount: a masked path the image takes elsewhere leaves the real one unmasked. */
    @Test
    void aMaskedPathThatAnImageLinkTakesElsewhereIsRefused() {
        ObjectNode spec = withoutMount(withoutMount(Specs.app(), "/sys/fs/cgroup"), "/sys");
        Refusal refusal = refused(withImage(Map.of(ROOTFS + "/sys", Entry.link("/etc"))), spec);
        assertEquals("linux.maskedPaths", refusal.field());
        assertEquals("rootfs", refusal.rule());
        assertTrue(refusal.getMessage().contains("/sys/firmware goes through the image's symbolic link /sys -> /etc, so runc would mask "
                + "/etc/firmware instead"), refusal.getMessage());
    }

    /** A relative root.path is the bundle's: that is the image examined. */
    @Test
    void theRootFilesystemIsTakenFromTheBundle() {
        ObjectNode spec = withoutDev(Specs.app());
        spec.with("root").put("path", "/var/lib/images/debian");
        assertDoesNotThrow(() -> withImage(Map.of(ROOTFS + "/dev/null", Entry.link("/canary"))).validate(spec.deepCopy(), Specs.BUNDLE, Specs.ID));
        Refusal refusal = refused(withImage(Map.of("/var/lib/images/debian/dev/null", Entry.link("/canary"))), spec);
        assertTrue(refusal.getMessage().contains("in the image /var/lib/images/debian is"), refusal.getMessage());
        spec.remove("root");
        assertEquals("root.path", refused(DEFAULTS, spec).field());
    }
}
