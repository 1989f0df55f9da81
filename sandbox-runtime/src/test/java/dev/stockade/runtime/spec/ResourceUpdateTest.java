package dev.stockade.runtime.spec;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.stockade.api.profile.SandboxProfile;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Optional;

import static dev.stockade.runtime.spec.Specs.PLAIN_HOST;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * runc update as the kubelet's resize, docker update and CRI-O send it: new CPU and memory shares
 * pass as given, the pids limit never passes the profile's, and what create refuses in the
 * resources is refused here too.
 */
class ResourceUpdateTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final SandboxProfile FEW_PIDS = Specs.profile("{\"pidsLimit\":64}");
    private static final ResourceUpdate UPDATE = new ResourceUpdate(FEW_PIDS, "untrusted", new SpecValidator(FEW_PIDS, "untrusted", PLAIN_HOST));

    private static ResourceUpdate.Checked check(String resources, ResourceUpdate.Option... options) throws Refusal {
        return UPDATE.check(List.of(options), resources == null ? Optional.empty() : Optional.of(read(resources)));
    }

    private static JsonNode read(String json) {
        try {
            return JSON.readTree(json);
        } catch (Exception e) {
            throw new IllegalArgumentException(e);
        }
    }

    private static ResourceUpdate.Option option(String name, String value) {
        return new ResourceUpdate.Option(name, value);
    }

    /** What containerd's CRI plugin sends for an in-place resize: the container's whole linux.resources. */
    @Test
    void aKubeletResizePassesUnchanged() throws Refusal {
        String resize = """
                {"devices":[{"allow":false,"access":"rwm"}],"memory":{"limit":268435456,"swap":268435456},
                 "cpu":{"shares":512,"quota":50000,"period":100000},"unified":{"memory.high":"201326592","memory.oom.group":"1"}}""";
        ResourceUpdate.Checked checked = check(resize);
        assertEquals(read(resize), checked.resources().orElseThrow());
        assertEquals(List.of(), checked.clamped());
    }

    @Test
    void thePidsLimitNeverPassesTheProfiles() throws Refusal {
        assertEquals(64, check("{\"pids\":{\"limit\":100000}}").resources().orElseThrow().path("pids").path("limit").asLong());
        assertEquals(64, check("{\"pids\":{\"limit\":-1}}").resources().orElseThrow().path("pids").path("limit").asLong(),
                "-1 (no limit) becomes the profile's");
        assertEquals(32, check("{\"pids\":{\"limit\":32}}").resources().orElseThrow().path("pids").path("limit").asLong());
        assertEquals(0, check("{\"pids\":{\"limit\":0}}").resources().orElseThrow().path("pids").path("limit").asLong(),
                "0 leaves the container's limit as it is");
        ResourceUpdate.Checked flag = check(null, option("pids-limit", "100000"), option("memory", "1073741824"));
        assertEquals(List.of(option("pids-limit", "64"), option("memory", "1073741824")), flag.options());
        assertEquals(List.of("--pids-limit 100000 to 64"), flag.clamped());
        assertEquals(List.of("--pids-limit=64", "--memory=1073741824"), ResourceUpdate.arguments(flag.options()));
        assertEquals(List.of(option("pids-limit", "64")), check(null, option("pids-limit", "-1")).options());
    }

    @Test
    void whatCreateRefusesInTheResourcesIsRefused() {
        Refusal procs = assertThrows(Refusal.class, () -> check("{\"unified\":{\"cgroup.procs\":\"1\"}}"));
        assertEquals("cgroup-files", procs.rule());
        assertTrue(procs.getMessage().startsWith("update --resources: linux.resources.unified.cgroup.procs"), procs.getMessage());
        assertEquals("cgroup-files", assertThrows(Refusal.class, () -> check("{\"unified\":{\"pids.max\":\"max\"}}")).rule());
        assertEquals("devices", assertThrows(Refusal.class,
                () -> check("{\"devices\":[{\"allow\":true,\"type\":\"b\",\"major\":8,\"minor\":0,\"access\":\"rw\"}]}")).rule());
        assertEquals("network-class", assertThrows(Refusal.class, () -> check("{\"network\":{\"classID\":1048577}}")).rule());
    }

    @Test
    void unknownOptionsAndFieldsAndRdtSchemataAreRefused() {
        assertEquals("intel-rdt", assertThrows(Refusal.class, () -> check(null, option("l3-cache-schema", "L3:0=f"))).rule());
        assertEquals("intel-rdt", assertThrows(Refusal.class, () -> check(null, option("mem-bw-schema", "MB:0=20"))).rule());
        Refusal unknown = assertThrows(Refusal.class, () -> check(null, option("some-future-option", "1")));
        assertTrue(unknown.getMessage().startsWith("update --some-future-option: is not an update option"), unknown.getMessage());
        assertEquals("update", assertThrows(Refusal.class, () -> check("{\"intelRdt\":{\"closID\":\"x\"}}")).rule());
        assertEquals("update", assertThrows(Refusal.class, () -> check("[]")).rule());
        assertEquals("update", assertThrows(Refusal.class, () -> check(null, option("pids-limit", "lots"))).rule());
        assertEquals("update", assertThrows(Refusal.class, () -> check("{\"pids\":{\"limit\":\"max\"}}")).rule());
        assertEquals("spec", assertThrows(Refusal.class, () -> check("{\"pids\":{\"Limit\":-1}}")).rule(),
                "runc's decoder reads Limit as limit");
    }
}
