package dev.stockade.cluster;

import dev.stockade.testing.CommandResult;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.function.Supplier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The committed CRD on a real API server: its schema, defaults, descriptions, CEL rules and
 * printer columns, which the fabric8 mock does not evaluate.
 */
class CrdOnRealApiServerTest {

    private static final String CRD = "crds/sandboxpolicies.stockade.dev-v1.yml";
    private static RealCluster cluster;

    @BeforeAll
    static void applyCrd() {
        cluster = RealCluster.get();
        // Every CEL rule is compiled (and its cost estimated) when the CRD is created: a rule that
        // does not compile makes this apply fail.
        cluster.kubectl("apply", "-f", CRD).requireSuccess();
        cluster.kubectl("wait", "--for=condition=Established", "crd/sandboxpolicies.stockade.dev", "--timeout=60s").requireSuccess();
    }

    @AfterAll
    static void removeCrd() {
        if (cluster != null) {
            cluster.kubectl("delete", "--ignore-not-found", "-f", CRD).requireSuccess();
        }
    }

    @Test
    void kubectlExplainDescribesTheRuntimeClassFields() {
        String explain = cluster.kubectl("explain", "sandboxpolicy.spec.runtimeClasses").requireSuccess().stdout();
        assertTrue(explain.contains("RuntimeClass"), explain);
        for (String field : new String[] {"name", "handler", "overhead", "profile"}) {
            assertTrue(explain.lines().anyMatch(line -> line.strip().startsWith(field + "\t") || line.strip().startsWith(field + " ")),
                    "explain lists " + field + ":\n" + explain);
        }
        // Our own fields, and fields of Kubernetes types (whose fabric8 model classes carry no description).
        for (String field : new String[] {"spec.runtimeClasses.profile.pidsLimit", "spec.installer.imagePullSecrets.name",
                "spec.installer.resources.limits", "spec.nodeSelector.matchExpressions.operator", "status.conditions.reason"}) {
            String explained = cluster.kubectl("explain", "sandboxpolicy." + field).requireSuccess().stdout();
            assertTrue(explained.contains("DESCRIPTION") && explained.lines().dropWhile(l -> !l.startsWith("DESCRIPTION")).skip(1)
                    .anyMatch(l -> !l.isBlank()), field + " has a description:\n" + explained);
        }
    }

    @Test
    void aValidPolicyIsAcceptedWithItsDefaults(@TempDir Path dir) throws Exception {
        String taintEffect = withPolicy(dir, TestPolicies.yaml("crd-valid", "  runtimeClasses:\n    - name: sandboxed\n      overhead: {cpu: 10m, memory: 16Mi}\n"),
                () -> cluster.kubectl("get", "sbp", "crd-valid", "-o", "jsonpath={.spec.taintEffect}").requireSuccess().stdout());
        assertEquals("NoSchedule", taintEffect, "the schema's default taint effect");
    }

    @Test
    void aBadTaintEffectIsRejectedWithItsFieldPath(@TempDir Path dir) throws Exception {
        String error = rejected(dir, TestPolicies.yaml("crd-bad-effect", "  taintEffect: Sometimes\n  runtimeClasses:\n    - name: sandboxed\n"));
        assertTrue(error.contains("spec.taintEffect") && error.contains("Unsupported value"), error);
    }

    @Test
    void duplicateRuntimeClassNamesAreRejectedByTheCelRule(@TempDir Path dir) throws Exception {
        String error = rejected(dir, TestPolicies.yaml("crd-duplicate", "  runtimeClasses:\n    - name: sandboxed\n    - name: sandboxed\n"));
        assertTrue(error.contains("spec.runtimeClasses") && error.contains("runtime class names must be unique"), error);
    }

    @Test
    void aNameTooLongForALabelValueIsRejected(@TempDir Path dir) throws Exception {
        String error = rejected(dir, TestPolicies.yaml("p".repeat(43), "  runtimeClasses:\n    - name: sandboxed\n"));
        assertTrue(error.contains("at most 42 characters"), error);
    }

    @Test
    void kubectlGetShowsThePrinterColumns(@TempDir Path dir) throws Exception {
        String header = withPolicy(dir, TestPolicies.yaml("crd-columns", "  runtimeClasses:\n    - name: sandboxed\n"),
                () -> cluster.kubectl("get", "sbp", "crd-columns").requireSuccess().stdout().lines().findFirst().orElseThrow());
        assertEquals(List.of("NAME", "READY", "NODES", "RUNTIMECLASSES", "AGE"), List.of(header.strip().split("\\s+")), header);
    }

    /** Applies the policy, returns what {@code check} saw while it existed, and deletes it. */
    private static <T> T withPolicy(Path dir, String yaml, Supplier<T> check) throws Exception {
        Path file = dir.resolve("policy.yaml");
        Files.writeString(file, yaml);
        try {
            cluster.kubectl("apply", "-f", file.toString()).requireSuccess();
            return check.get();
        } finally {
            cluster.kubectl("delete", "--ignore-not-found", "-f", file.toString()).requireSuccess();
        }
    }

    /** Applies the policy, expects the API server to refuse it, and returns kubectl's error. */
    private static String rejected(Path dir, String yaml) throws Exception {
        Path file = dir.resolve("policy.yaml");
        Files.writeString(file, yaml);
        CommandResult result = cluster.kubectl("apply", "-f", file.toString());
        if (result.exitCode() == 0) {
            cluster.kubectl("delete", "--ignore-not-found", "-f", file.toString());
        }
        assertNotEquals(0, result.exitCode(), "the API server accepted:\n" + yaml);
        assertTrue(result.stderr().contains("is invalid"), result.describe());
        return result.stderr();
    }
}
