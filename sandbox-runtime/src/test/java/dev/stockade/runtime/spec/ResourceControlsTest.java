package dev.stockade.runtime.spec;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.stockade.api.profile.SandboxProfile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static dev.stockade.runtime.spec.Specs.PLAIN_HOST;
import static dev.stockade.runtime.spec.Specs.assertRefusal;
import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * Resource controls runc writes as root for the container: cgroup v2 files, traffic classes and
 * Intel RDT groups. What the kubelet and containerd write passes; what reaches past the pod's own
 * cgroup is refused, naming the field.
 */
class ResourceControlsTest {

    private static final SpecValidator DEFAULTS = new SpecValidator(SandboxProfile.defaults(), "untrusted", PLAIN_HOST);

    private static Refusal refused(ObjectNode spec) {
        return assertThrows(Refusal.class, () -> DEFAULTS.validate(spec, Specs.BUNDLE, Specs.ID));
    }

    private static ObjectNode withUnified(String file, String value) {
        ObjectNode spec = Specs.app();
        spec.with("linux").with("resources").with("unified").put(file, value);
        return spec;
    }

    /** What the kubelet writes on cgroup v2: memory.oom.group (1.28 on), memory.min and memory.high (MemoryQoS). */
    @Test
    void theKubeletsCgroupFilesPass() {
        ObjectNode spec = Specs.app();
        spec.with("linux").with("resources").with("unified").put("memory.oom.group", "1").put("memory.min", "134217728")
                .put("memory.high", "429496729").put("cpu.idle", "0").put("io.weight", "default 100").put("hugetlb.2MB.max", "0");
        assertDoesNotThrow(() -> DEFAULTS.validate(spec, Specs.BUNDLE, Specs.ID));
    }

    @ParameterizedTest
    @ValueSource(strings = {"cgroup.procs", "cgroup.threads", "cgroup.subtree_control", "cgroup.type", "cgroup.kill", "cgroup.freeze",
            "cgroup.max.descendants"})
    void theCoreCgroupFilesAreRefused(String file) {
        assertRefusal(refused(withUnified(file, "1")), "linux.resources.unified." + file, "cgroup-files",
                "is one of the cgroup's core files", "cgroup.procs, for one, moves any process, the host's included",
                "lets a container set files of the [cpu, cpuset, hugetlb, io, memory, misc, rdma] controllers only");
    }

    @Test
    void thePidsLimitCannotBeLiftedThroughACgroupFile() {
        assertRefusal(refused(withUnified("pids.max", "max")), "linux.resources.unified.pids.max", "cgroup-files",
                "would change the container's process limit, which sandbox profile untrusted sets to 1024 (pidsLimit)");
    }

    @ParameterizedTest
    @ValueSource(strings = {"cpuset.cpus.partition", "cpuset.cpus.exclusive", "memory.max/../cgroup.procs", "procs", "freezer.state",
            "perf_event.x", ".procs"})
    void otherCgroupFilesReachingPastThePodAreRefused(String file) {
        assertEquals("cgroup-files", refused(withUnified(file, "root")).rule());
    }

    @Test
    void trafficClassesOfTheHostAreRefused() {
        ObjectNode classId = Specs.app();
        classId.with("linux").with("resources").with("network").put("classID", 1048577);
        assertRefusal(refused(classId), "linux.resources.network.classID", "network-class",
                "net_cls class 1048577 would have the host's traffic control shape and filter the container's packets");
        ObjectNode priorities = Specs.app();
        priorities.with("linux").with("resources").with("network").putArray("priorities").addObject().put("name", "eth0").put("priority", 7);
        assertRefusal(refused(priorities), "linux.resources.network.priorities", "network-class", "interfaces [eth0]");
        ObjectNode empty = Specs.app();
        empty.with("linux").with("resources").putObject("network").putArray("priorities");
        assertDoesNotThrow(() -> DEFAULTS.validate(empty, Specs.BUNDLE, Specs.ID));
    }

    /** containerd's RDT classes write the class name alone, and runc then requires the group to exist. */
    @Test
    void joiningAnRdtClassTheNodePreparedPasses() {
        ObjectNode spec = Specs.app();
        spec.with("linux").putObject("intelRdt").put("closID", "gold").put("enableCMT", true);
        assertDoesNotThrow(() -> DEFAULTS.validate(spec, Specs.BUNDLE, Specs.ID));
    }

    @Test
    void creatingOrWritingAnRdtGroupIsRefused() {
        ObjectNode schema = Specs.app();
        schema.with("linux").putObject("intelRdt").put("closID", "gold").put("l3CacheSchema", "L3:0=fffff");
        assertRefusal(refused(schema), "linux.intelRdt.l3CacheSchema", "intel-rdt",
                "runc would write the schemata of resctrl group gold", "only join a class the node prepared (closID alone)");
        ObjectNode bandwidth = Specs.app();
        bandwidth.with("linux").putObject("intelRdt").put("memBwSchema", "MB:0=100");
        assertEquals("linux.intelRdt.memBwSchema", refused(bandwidth).field());
        ObjectNode schemata = Specs.app();
        schemata.with("linux").putObject("intelRdt").put("closID", "gold").putArray("schemata").add("L3:0=ff");
        assertEquals("linux.intelRdt.schemata", refused(schemata).field());
        ObjectNode own = Specs.app();
        own.with("linux").putObject("intelRdt");
        assertRefusal(refused(own), "linux.intelRdt.closID", "intel-rdt", "runc would create a resctrl group of the container's own");
        ObjectNode climbing = Specs.app();
        climbing.with("linux").putObject("intelRdt").put("closID", "../info");
        assertEquals("linux.intelRdt.closID", refused(climbing).field());
    }
}
