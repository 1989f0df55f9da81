package dev.stockade.operator.admission;

import dev.stockade.operator.policy.SandboxPolicy;
import dev.stockade.operator.policy.SandboxPolicySpec;
import org.junit.jupiter.api.Test;

import java.util.List;

import static dev.stockade.operator.Fixtures.policy;
import static dev.stockade.operator.Fixtures.selectLabel;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class NamespaceRuntimeClassTest {

    @Test
    void everyPolicysClassesBecomeOneLiteralWithTheirPoolAndOverhead() {
        SandboxPolicy untrusted = policy("untrusted", selectLabel("pool", "a"), "strict", "isolated");
        SandboxPolicy gpu = policy("gpu", selectLabel("pool", "b"), "gpu-sandboxed");
        gpu.getSpec().setTaintEffect(SandboxPolicySpec.TaintEffect.NoExecute);

        List<NamespaceRuntimeClass.StockadeClass> classes = NamespaceRuntimeClass.classesOf(List.of(untrusted, gpu));

        assertEquals(List.of("gpu-sandboxed", "isolated", "strict"), classes.stream().map(NamespaceRuntimeClass.StockadeClass::name).toList());
        List<String> variables = NamespaceRuntimeClass.mutatingPolicy(classes).getSpec().getVariables().stream()
                .map(v -> v.getName() + "=" + v.getExpression()).toList();
        assertEquals(List.of("class=namespaceObject.metadata.labels[?'stockade.dev/runtime-class'].orValue('')",
                "policies={'gpu-sandboxed': 'gpu', 'isolated': 'untrusted', 'strict': 'untrusted'}",
                "effects={'gpu-sandboxed': 'NoExecute', 'isolated': 'NoSchedule', 'strict': 'NoSchedule'}",
                "overheads={'gpu-sandboxed': {'cpu': '10m', 'memory': '16Mi'}, 'isolated': {'cpu': '10m', 'memory': '16Mi'}, "
                        + "'strict': {'cpu': '10m', 'memory': '16Mi'}}"), variables);
        assertTrue(NamespaceRuntimeClass.validatingPolicy(classes).getSpec().getVariables().getFirst().getExpression()
                .equals("['gpu-sandboxed', 'isolated', 'strict']"));
    }

    @Test
    void aValueThatCouldBreakOutOfItsLiteralIsRefused() {
        SandboxPolicy odd = policy("odd", selectLabel("pool", "a"), "x' || true || '");

        assertThrows(IllegalArgumentException.class,
                () -> NamespaceRuntimeClass.mutatingPolicy(NamespaceRuntimeClass.classesOf(List.of(odd))));
    }

    @Test
    void aClassNamedByTwoPoliciesIsTheOlderOnes() {
        SandboxPolicy older = policy("untrusted", selectLabel("pool", "a"), "sandboxed");
        older.getMetadata().setCreationTimestamp("2026-11-30T01:00:00Z");
        SandboxPolicy younger = policy("tiered", selectLabel("pool", "a"), "sandboxed", "strict");
        younger.getMetadata().setCreationTimestamp("2026-11-30T02:00:00Z");

        List<NamespaceRuntimeClass.StockadeClass> classes = NamespaceRuntimeClass.classesOf(List.of(younger, older));

        assertEquals(List.of("sandboxed=untrusted", "strict=tiered"), classes.stream().map(c -> c.name() + "=" + c.policy()).toList());
    }
}
