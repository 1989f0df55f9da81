package dev.stockade.helm;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import dev.stockade.api.profile.SandboxProfile;
import dev.stockade.operator.policy.PolicyValidator;
import dev.stockade.operator.policy.RuntimeClassSpec;
import dev.stockade.operator.policy.SandboxPolicy;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.FieldSource;

import java.io.IOException;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The sample policies are read by the operator's own model and pass its validator. */
class SamplesTest {

    /** Unknown fields fail, so a misspelt field in a sample cannot pass as "unset". */
    private static final ObjectMapper STRICT = new YAMLMapper()
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

    static final List<String> SAMPLES = GeneratedFiles.SAMPLES;

    @ParameterizedTest
    @FieldSource("SAMPLES")
    void sampleIsAValidPolicy(String sample) {
        SandboxPolicy policy = load(Build.read(GeneratedFiles.path(sample)), sample);

        assertEquals(List.of(), PolicyValidator.validate(policy), sample);
        assertFalse(policy.getSpec().getNodeSelector().getMatchLabels().isEmpty(),
                sample + " must select labelled nodes, never every node of the cluster");
        for (RuntimeClassSpec runtimeClass : policy.getSpec().getRuntimeClasses()) {
            assertFalse(runtimeClass.effectiveProfile().needsSupervisor(), sample + " class " + runtimeClass.getName()
                    + " needs the node supervisor (kernelIdentity, tripwireSyscalls), and nodes without it refuse its containers");
        }
    }

    @Test
    void twoRuntimeClassesSampleHasADefaultAndAStrictClass() {
        SandboxPolicy policy = load(Build.read(GeneratedFiles.path(SAMPLES.get(1))), SAMPLES.get(1));
        List<RuntimeClassSpec> classes = policy.getSpec().getRuntimeClasses();
        SandboxProfile strict = classes.get(1).effectiveProfile();

        assertEquals(2, classes.size());
        assertEquals(List.of("stockade-sandboxed", "stockade-sandboxed-strict"),
                classes.stream().map(RuntimeClassSpec::effectiveHandler).toList());
        assertEquals(SandboxProfile.SeccompLevel.Strict, strict.seccomp());
        assertEquals(List.of(), strict.allowedCapabilities());
        assertTrue(strict.readOnlyRootFilesystem());
        assertTrue(strict.allowedHostPaths().getFirst().readOnly());
        assertNotNull(classes.get(1).getOverhead().get("memory"));
    }

    @Test
    void aMisspeltFieldIsRefusedByTheLoader() {
        String misspelt = """
                apiVersion: stockade.dev/v1alpha1
                kind: SandboxPolicy
                metadata: {name: typo}
                spec:
                  nodeSelector: {matchLabels: {workload: untrusted}}
                  runtimeClasses:
                    - name: sandboxed
                      profile: {pidLimit: 10}
                """;

        AssertionError error = assertThrows(AssertionError.class, () -> load(misspelt, "typo.yaml"));
        assertTrue(error.getMessage().contains("pidLimit"), error.getMessage());
    }

    private static SandboxPolicy load(String yaml, String name) {
        try {
            return STRICT.readValue(yaml, SandboxPolicy.class);
        } catch (IOException e) {
            throw new AssertionError(name + " is not a SandboxPolicy the operator can read: " + e.getMessage(), e);
        }
    }
}
