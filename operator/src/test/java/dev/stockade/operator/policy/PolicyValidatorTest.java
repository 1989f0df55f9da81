package dev.stockade.operator.policy;

import dev.stockade.api.profile.HostPathRule;
import dev.stockade.api.profile.SandboxProfile;
import io.fabric8.kubernetes.api.model.Quantity;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static dev.stockade.operator.Fixtures.policy;
import static dev.stockade.operator.Fixtures.selectLabel;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class PolicyValidatorTest {

    @Test
    void aTypicalPolicyIsValid() {
        assertEquals(List.of(), PolicyValidator.validate(policy("sandbox", selectLabel("a", "b"), "isolated", "strict")));
    }

    @Test
    void everyProblemNamesItsField() {
        SandboxPolicy policy = policy("this-policy-name-is-far-too-long-for-a-label-value", null, "ok", "ok", "Bad_Name");
        policy.getSpec().setMaxNodes(0);
        RuntimeClassSpec first = policy.getSpec().getRuntimeClasses().getFirst();
        first.setOverhead(Map.of("memory", new Quantity("lots")));
        first.setProfile(new SandboxProfile(null, List.of("CAP_SYS_ADMIN"), null, List.of(new HostPathRule("/", null)),
                null, 0L, null, null, null, null, null));

        policy.getSpec().setInstaller(new InstallerSpec());
        policy.getSpec().getInstaller().setKubeletRootDir("/var/lib/../kubelet");
        policy.getSpec().getInstaller().setContainerRuntimeRestart("reboot");
        policy.getSpec().getInstaller().setSupervisorMetrics("9464");

        List<String> problems = PolicyValidator.validate(policy);

        assertHas(problems, "metadata.name");
        assertHas(problems, "spec.nodeSelector is required");
        assertHas(problems, "spec.maxNodes must be at least 1");
        assertHas(problems, "spec.runtimeClasses[1].name \"ok\" is used twice");
        assertHas(problems, "spec.runtimeClasses[1].handler \"stockade-ok\" is used by two runtime classes");
        assertHas(problems, "spec.runtimeClasses[2].name \"Bad_Name\" must be a DNS label");
        assertHas(problems, "spec.runtimeClasses[0].overhead.memory");
        assertHas(problems, "spec.runtimeClasses[0].profile.allowedCapabilities[0] \"CAP_SYS_ADMIN\"");
        assertHas(problems, "spec.runtimeClasses[0].profile.allowedHostPaths[0].path \"/\"");
        assertHas(problems, "spec.runtimeClasses[0].profile.pidsLimit");
        assertHas(problems, "spec.installer.kubeletRootDir \"/var/lib/../kubelet\"");
        assertHas(problems, "spec.installer.containerRuntimeRestart \"reboot\" must be auto, systemd:<unit>");
        assertHas(problems, "spec.installer.supervisorMetrics \"9464\" must be HOST:PORT");
    }

    @Test
    void aCapabilityNameMustBeALinuxCapability() {
        SandboxPolicy policy = policy("sandbox", selectLabel("a", "b"), "isolated");
        policy.getSpec().getRuntimeClasses().getFirst().setProfile(new SandboxProfile(null, List.of("NET_BIND_SERVICE", "SYS_ADMN"), null, null,
                null, null, null, null, null, null, null));

        List<String> problems = PolicyValidator.validate(policy);

        assertEquals(List.of("spec.runtimeClasses[0].profile.allowedCapabilities[1] \"SYS_ADMN\" is not a Linux capability; use one of the names "
                + "of capabilities(7) without the CAP_ prefix, e.g. NET_BIND_SERVICE"), problems);
    }

    @Test
    void realtimePriorityAndLockedMemoryBoundsMustBeWhatTheKernelKnows() {
        SandboxPolicy policy = policy("sandbox", selectLabel("a", "b"), "isolated", "open");
        policy.getSpec().getRuntimeClasses().getFirst().setProfile(new SandboxProfile(null, null, null, null, null, null, null, null, null,
                null, null, null, 100L, -2L));
        policy.getSpec().getRuntimeClasses().get(1).setProfile(new SandboxProfile(null, null, null, null, null, null, null, null, null,
                null, null, null, 99L, SandboxProfile.UNLIMITED_LOCKED_MEMORY));

        List<String> problems = PolicyValidator.validate(policy);

        assertEquals(2, problems.size(), problems.toString());
        assertHas(problems, "spec.runtimeClasses[0].profile.maxRealtimePriority must be between 0 (no real-time scheduling) and 99");
        assertHas(problems, "spec.runtimeClasses[0].profile.maxLockedMemoryBytes must be a number of bytes, or -1");
    }

    @Test
    void aPolicyWithoutRuntimeClassesIsRefused() {
        SandboxPolicy policy = policy("sandbox", selectLabel("a", "b"));
        assertEquals(List.of("spec.runtimeClasses must list at least one runtime class"), PolicyValidator.validate(policy));
    }

    private static void assertHas(List<String> problems, String start) {
        assertTrue(problems.stream().anyMatch(p -> p.startsWith(start) || p.contains(start)),
                "expected a problem about " + start + " in " + problems);
    }

    @Test
    void exemptNamespacesAreNamesWithoutWildcards() {
        SandboxPolicy policy = policy("sandbox", selectLabel("a", "b"), "isolated");
        AdmissionSpec admission = new AdmissionSpec();
        admission.setExemptNamespaces(java.util.Arrays.asList("kube-system", "*", ""));
        policy.getSpec().setAdmission(admission);

        assertEquals(List.of(
                "spec.admission.exemptNamespaces[1] \"*\" must be a namespace name (a DNS label); list each namespace by name, there are no wildcards",
                "spec.admission.exemptNamespaces[2] \"\" must be a namespace name (a DNS label); list each namespace by name, there are no wildcards"),
                PolicyValidator.validate(policy));
    }
}
