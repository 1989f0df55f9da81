package dev.stockade.api.profile;

import com.fasterxml.jackson.core.JsonProcessingException;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ProfilesTest {

    @Test
    void emptyProfileResolvesToSafeDefaults() throws JsonProcessingException {
        SandboxProfile profile = Profiles.parse("{}");

        assertEquals(SandboxProfile.Mode.Enforce, profile.mode());
        assertEquals(SandboxProfile.SeccompLevel.Default, profile.seccomp());
        assertEquals(1024L, profile.pidsLimit());
        assertFalse(profile.allowedCapabilities().contains("NET_RAW"));
        assertFalse(profile.allowedCapabilities().contains("SYS_ADMIN"));
        assertTrue(profile.allowedHostPaths().isEmpty());
        assertFalse(profile.needsSupervisor());
    }

    @Test
    void renderingIsCanonicalSoHashesMatchAcrossProcesses() throws JsonProcessingException {
        SandboxProfile written = new SandboxProfile(null, List.of("KILL", "CHOWN"), null,
                List.of(new HostPathRule("/data", null)), null, 50L, true, null, null, null, null);

        String rendered = Profiles.render(written);
        String reRendered = Profiles.render(Profiles.parse(rendered));

        assertEquals(rendered, reRendered);
        assertEquals(Profiles.hash(rendered), Profiles.hash(reRendered));
        assertTrue(rendered.contains("\"readOnly\" : true"), rendered);
        assertNotEquals(Profiles.hash(rendered), Profiles.hash(Profiles.render(SandboxProfile.defaults())));
    }

    @Test
    void unknownFieldIsRefusedRatherThanIgnored() {
        assertThrows(JsonProcessingException.class, () -> Profiles.parse("{\"allowEverything\": true}"));
    }

    @Test
    void kernelIdentityDefaultsToGvisorsRelease() throws JsonProcessingException {
        SandboxProfile profile = Profiles.parse("{\"kernelIdentity\": {}}");

        assertEquals("4.4.0", profile.kernelIdentity().release());
        assertTrue(profile.needsSupervisor());
    }
}
