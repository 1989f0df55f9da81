package dev.stockade.runtime;

import dev.stockade.api.profile.Profiles;
import dev.stockade.runtime.json.JsonTrees;
import dev.stockade.api.profile.SandboxProfile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ProfileReaderTest {

    private static SandboxProfile read(String json) throws Exception {
        return ProfileReader.read(JsonTrees.read(json));
    }

    @ParameterizedTest
    @ValueSource(strings = {
            "{}",
            "{\"mode\":\"Passthrough\"}",
            "{\"mode\":\"Enforce\",\"allowedCapabilities\":[\"CHOWN\",\"SYS_PTRACE\"],\"seccomp\":\"Strict\","
                    + "\"allowedHostPaths\":[{\"path\":\"/srv\"},{\"path\":\"/data\",\"readOnly\":false}],\"allowedSysctls\":[\"kernel.msgmax\"],"
                    + "\"pidsLimit\":64,\"readOnlyRootFilesystem\":true,\"maskedPaths\":[\"/proc/cpuinfo\"],\"readonlyPaths\":[\"/proc/meminfo\"],"
                    + "\"kernelIdentity\":{\"release\":\"4.4.0\",\"machine\":\"x86_64\"},\"tripwireSyscalls\":[\"ptrace\"],"
                    + "\"allowedSocketFamilies\":[\"AF_PACKET\",\"NETLINK_AUDIT\"],\"maxRealtimePriority\":10,\"maxLockedMemoryBytes\":-1}",
            "{\"maxLockedMemoryBytes\":1073741824}"})
    void readsWhatProfilesParseReads(String json) throws Exception {
        assertEquals(Profiles.parse(json), read(json));
    }

    @Test
    void readsWhatTheOperatorRenders() throws Exception {
        String rendered = Profiles.render(SandboxProfile.defaults());
        assertEquals(Profiles.parse(rendered), read(rendered));
    }

    @Test
    void knowsEveryFieldOfTheRecord() {
        Set<String> components = Arrays.stream(SandboxProfile.class.getRecordComponents())
                .map(component -> component.getName()).collect(Collectors.toSet());
        assertEquals(components, ProfileReader.FIELDS);
    }

    @Test
    void anUnknownSocketFamilyIsRefusedWithTheKernelsNames() {
        IllegalArgumentException refusal = assertThrows(IllegalArgumentException.class, () -> read("{\"allowedSocketFamilies\":[\"AF_WIFI\"]}"));
        assertTrue(refusal.getMessage().startsWith("allowedSocketFamilies has no value AF_WIFI; the kernel's names are [AF_UNIX, AF_INET"),
                refusal.getMessage());
    }

    /** A misspelt capability would allow nothing and say nothing: the node refuses the profile, as the operator does. */
    @Test
    void aNameThatIsNoLinuxCapabilityIsRefused() throws Exception {
        IllegalArgumentException refusal = assertThrows(IllegalArgumentException.class, () -> read("{\"allowedCapabilities\":[\"SYS_ADMN\"]}"));
        assertEquals("allowedCapabilities: SYS_ADMN is not a Linux capability", refusal.getMessage());
        assertEquals(List.of("CAP_NET_ADMIN", "checkpoint_restore"),
                read("{\"allowedCapabilities\":[\"CAP_NET_ADMIN\",\"checkpoint_restore\"]}").allowedCapabilities());
    }

    /** The CRD's bounds hold for a profile file written by hand too: runc reads pidsLimit 0 as no limit at all. */
    @ParameterizedTest
    @ValueSource(strings = {"{\"pidsLimit\":0}", "{\"pidsLimit\":-1}", "{\"maxRealtimePriority\":100}", "{\"maxRealtimePriority\":-1}",
            "{\"maxLockedMemoryBytes\":-5}"})
    void valuesOutsideTheSchemasBoundsAreRefused(String json) {
        IllegalArgumentException refusal = assertThrows(IllegalArgumentException.class, () -> read(json));
        assertTrue(refusal.getMessage().contains("must be a whole number from"), refusal.getMessage());
    }

    @ParameterizedTest
    @ValueSource(strings = {"{\"allowEverything\":true}", "{\"pidsLimit\":\"many\"}", "{\"mode\":\"Open\"}",
            "{\"allowedHostPaths\":[{\"path\":\"/x\",\"writable\":true}]}", "[]", "{\"allowedCapabilities\":\"ALL\"}",
            "{\"allowedSocketFamilies\":[\"packet\"]}", "{\"allowedSocketFamilies\":\"AF_PACKET\"}", "{\"maxLockedMemoryBytes\":\"64Mi\"}",
            "{\"maxLockedMemoryBytes\":18446744073709551615}"})
    void refusesWhatProfilesParseRefuses(String json) {
        assertThrows(Exception.class, () -> Profiles.parse(json));
        assertThrows(IllegalArgumentException.class, () -> read(json));
    }
}
