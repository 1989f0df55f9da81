package dev.stockade.operator.install;

import io.fabric8.kubernetes.api.model.OwnerReferenceBuilder;
import io.fabric8.kubernetes.api.model.apps.DaemonSet;
import io.fabric8.kubernetes.api.model.apps.DaemonSetBuilder;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Which installer DaemonSet updates wake the policy: not the DaemonSet controller's status updates
 * during a rollout (what kept the operator reconciling at 5000 KWOK nodes), but every change the
 * reconcile reads or puts back.
 */
class DaemonSetChangesTest {

    private static DaemonSet live() {
        return new DaemonSetBuilder()
                .withNewMetadata()
                    .withName("stockade-installer-untrusted").withNamespace("stockade-system")
                    .withGeneration(1L).withResourceVersion("100")
                    .withLabels(Map.of("app.kubernetes.io/managed-by", "stockade-operator"))
                    .withAnnotations(Map.of("stockade.dev/desired-hash", "abc"))
                    .withOwnerReferences(new OwnerReferenceBuilder().withKind("SandboxPolicy").withName("untrusted").withUid("u1").build())
                .endMetadata()
                .withNewSpec().withMinReadySeconds(0).endSpec()
                .withNewStatus().withDesiredNumberScheduled(778).withNumberReady(733).withObservedGeneration(1L).endStatus()
                .build();
    }

    @Test
    void theControllersStatusUpdatesDuringARolloutWakeNothing() {
        DaemonSet before = live();
        DaemonSet after = new DaemonSetBuilder(before)
                .editMetadata().withResourceVersion("101").endMetadata()
                .editStatus().withDesiredNumberScheduled(779).withNumberReady(734).endStatus()
                .build();
        assertFalse(InstallerDaemonSet.changesMoreThanStatus(after, before));
    }

    @Test
    void aSpecEditTheHashOrOwnershipOrDeletionWakesThePolicy() {
        DaemonSet before = live();
        List<DaemonSet> changes = List.of(
                new DaemonSetBuilder(before).editMetadata().withGeneration(2L).endMetadata()
                        .editSpec().withMinReadySeconds(30).endSpec().build(),
                new DaemonSetBuilder(before).editMetadata().withAnnotations(Map.of()).endMetadata().build(),
                new DaemonSetBuilder(before).editMetadata().withLabels(Map.of()).endMetadata().build(),
                new DaemonSetBuilder(before).editMetadata().withOwnerReferences(List.of()).endMetadata().build(),
                new DaemonSetBuilder(before).editMetadata().withFinalizers("example.com/keep").endMetadata().build(),
                new DaemonSetBuilder(before).editMetadata().withDeletionTimestamp("2026-11-30T19:00:00Z").endMetadata().build());
        for (DaemonSet after : changes) {
            assertTrue(InstallerDaemonSet.changesMoreThanStatus(after, before), () -> "not woken by " + after.getMetadata());
        }
    }
}
