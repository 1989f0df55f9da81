package dev.stockade.cluster;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import io.fabric8.kubernetes.client.KubernetesClient;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The README's Helm install on the real cluster, with two replicas, and helm uninstall. */
class HelmInstallTest {

    private static final String NAMESPACE = "stockade-system";
    private static RealCluster cluster;
    private static KubernetesClient client;

    @BeforeAll
    static void startCluster() {
        cluster = RealCluster.get();
        client = cluster.client();
        cluster.importImage(cluster.repositoryPath("operator/image/target/stockade-operator-image.tar"));
    }

    @AfterAll
    static void cleanUp() {
        if (client != null) {
            cluster.kubectl("delete", "sbp", "helm-probe", "--ignore-not-found", "--wait=true", "--timeout=120s");
            cluster.helm("uninstall", "stockade", "--namespace", NAMESPACE, "--wait");
            cluster.kubectl("delete", "namespace", NAMESPACE, "--ignore-not-found", "--wait=true", "--timeout=120s");
            cluster.kubectl("delete", "crd", "sandboxpolicies.stockade.dev", "--ignore-not-found");
            client.close();
        }
    }

    @Test
    void twoReplicasElectOneLeaderThatAloneReconcilesAndHelmUninstallRemovesThem(@org.junit.jupiter.api.io.TempDir Path dir)
            throws Exception {
        // The README's three lines, with a second replica.
        cluster.kubectl("create", "namespace", NAMESPACE).requireSuccess();
        cluster.kubectl("label", "namespace", NAMESPACE, "pod-security.kubernetes.io/enforce=privileged").requireSuccess();
        cluster.helm("install", "stockade", "helm/stockade", "--namespace", NAMESPACE, "--set", "replicas=2").requireSuccess();
        cluster.kubectl(Duration.ofMinutes(5), "-n", NAMESPACE, "rollout", "status", "deployment/stockade-operator", "--timeout=300s")
                .requireSuccess();
        List<String> pods = client.pods().inNamespace(NAMESPACE).withLabel("app.kubernetes.io/name", "stockade-operator").list()
                .getItems().stream().filter(p -> p.getMetadata().getDeletionTimestamp() == null).map(p -> p.getMetadata().getName()).toList();
        assertEquals(2, pods.size(), "replicas: " + pods);

        await("one replica holds the leader Lease").atMost(Duration.ofMinutes(2)).until(() -> {
            Lease lease = client.leases().inNamespace(NAMESPACE).withName("stockade-operator-leader").get();
            return lease != null && pods.contains(lease.getSpec().getHolderIdentity());
        });
        String leader = client.leases().inNamespace(NAMESPACE).withName("stockade-operator-leader").get().getSpec().getHolderIdentity();
        String follower = pods.stream().filter(p -> !p.equals(leader)).findFirst().orElseThrow();

        // A policy that selects no node still gets its RuntimeClass: only the leader may create it.
        Path policy = TestPolicies.selectingNoNode(dir, "helm-probe", "  runtimeClasses:\n    - name: helm-probe\n");
        cluster.kubectl("apply", "-f", policy.toString()).requireSuccess();
        await("the leader reconciles the policy").atMost(Duration.ofMinutes(2)).until(() ->
                cluster.kubectl("-n", NAMESPACE, "logs", leader).stdout().contains("policy helm-probe: created RuntimeClass"));
        assertFalse(cluster.kubectl("-n", NAMESPACE, "logs", follower).requireSuccess().stdout().contains("policy helm-probe"),
                "the follower does not reconcile");
        cluster.kubectl("delete", "-f", policy.toString(), "--wait=true", "--timeout=120s").requireSuccess();

        cluster.helm("uninstall", "stockade", "--namespace", NAMESPACE, "--wait").requireSuccess();
        await("helm uninstall removes the operator").atMost(Duration.ofMinutes(2)).until(() ->
                client.pods().inNamespace(NAMESPACE).list().getItems().stream().map(Pod::getMetadata)
                        .noneMatch(m -> m.getName().startsWith("stockade-operator")));
        assertTrue(client.apps().deployments().inNamespace(NAMESPACE).list().getItems().isEmpty(), "no Deployment left");
        assertTrue(client.rbac().clusterRoles().list().getItems().stream().noneMatch(r -> r.getMetadata().getName().startsWith("stockade")),
                "no ClusterRole left");
    }
}
