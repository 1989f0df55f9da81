package dev.stockade.runtime.spec;

import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.HashSet;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Keys runc's Go decoder would take for a spec field although they are spelt otherwise. */
class SpecKeysTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    /** Each reached runc as the field it folds to and got past the checks (a new user's trial, 2026-11-30). */
    @ParameterizedTest
    @ValueSource(strings = {
            "{\"Mounts\":[{\"destination\":\"/host\",\"type\":\"bind\",\"source\":\"/\",\"options\":[\"rbind\"]}]}",
            "{\"process\":{\"Capabilities\":{\"bounding\":[\"CAP_SYS_ADMIN\"]}}}",
            "{\"hooks\":{\"Prestart\":[{\"path\":\"/bin/sh\"}]}}",
            "{\"process\":{\"NoNewPrivileges\":false}}",
            "{\"linux\":{\"seccomp\":{},\"Seccomp\":null}}",
            "{\"linux\":{\"\u017Feccomp\":null}}",
            "{\"linux\":{\"Namespaces\":[{\"type\":\"mount\"}]}}",
            "{\"process\":{\"OomScoreAdj\":-1000}}",
            "{\"linux\":{\"resources\":{\"pids\":{\"LIMIT\":100000}}}}",
            "{\"linux\":{\"resources\":{\"network\":{\"classid\":1}}}}"})
    void aFieldSpeltInAnotherCaseIsRefused(String json) throws Exception {
        Refusal refusal = assertThrows(Refusal.class, () -> SpecKeys.check(JSON.readTree(json), ""));
        assertEquals("spec", refusal.rule());
        assertTrue(refusal.getMessage().contains("is not spelt as the OCI runtime spec spells"), refusal.getMessage());
    }

    @Test
    void mapKeysAreNamesOfTheirOwnButTheirValuesAreChecked() throws Exception {
        assertDoesNotThrow(() -> SpecKeys.check(JSON.readTree("""
                {"annotations":{"Mounts":"x","io.kubernetes.cri.sandbox-id":"1"},"linux":{"sysctl":{"net.ipv4.conf.ETH0.forwarding":"1"},
                 "resources":{"unified":{"Memory.high":"1"},"rdma":{"mlx5_0":{"hcaHandles":3}}},"timeOffsets":{"monotonic":{"secs":1}}}}"""), ""));
        Refusal inMapValue = assertThrows(Refusal.class,
                () -> SpecKeys.check(JSON.readTree("{\"linux\":{\"resources\":{\"rdma\":{\"mlx5_0\":{\"HcaHandles\":3}}}}}"), ""));
        assertEquals("linux.resources.rdma.mlx5_0.HcaHandles", inMapValue.field());
    }

    @Test
    void unknownKeysAndTheSpecsOwnSpellingPass() {
        assertDoesNotThrow(() -> SpecKeys.check(JSON.readTree(
                "{\"ociVersion\":\"1.0.2\",\"process\":{\"noNewPrivileges\":true,\"oomScoreAdj\":5},\"linux\":{\"resources\":{\"network\":{\"classID\":1}}},"
                        + "\"x-vendor\":{\"Anything\":1}}"), ""));
    }

    @Test
    void noTwoFieldsFoldToOneName() {
        Set<String> folded = new HashSet<>();
        SpecKeys.FIELDS.forEach(field -> assertTrue(folded.add(SpecKeys.fold(field)), field));
    }
}
