package dev.stockade.cluster;

import dev.stockade.api.Stockade;
import dev.stockade.api.node.HostLayout;
import dev.stockade.testing.CommandResult;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.Taint;
import io.fabric8.kubernetes.api.model.TolerationBuilder;
import io.fabric8.kubernetes.api.model.admissionregistration.v1.ValidatingAdmissionPolicy;
import io.fabric8.kubernetes.api.model.admissionregistration.v1.ValidatingAdmissionPolicyBinding;
import io.fabric8.kubernetes.api.model.admissionregistration.v1beta1.MutatingAdmissionPolicy;
import io.fabric8.kubernetes.api.model.apps.DaemonSet;
import io.fabric8.kubernetes.api.model.apps.DaemonSetBuilder;
import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import io.fabric8.kubernetes.api.model.node.v1.RuntimeClass;
import io.fabric8.kubernetes.api.model.node.v1.RuntimeClassBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.utils.Serialization;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The whole chain on a real single-node Kubernetes, in the order an admin meets it: install with
 * the README's {@code kubectl apply}, a policy on the node, sandboxed pods and refusals, a profile
 * change, the node's services restarted, and removal back to a clean node. The steps share the
 * cluster's state, so they run in order and stop at the first failure.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class StockadeOnRealClusterTest {

    private static final String NAMESPACE = "stockade-system";
    private static final String POLICY = "untrusted";
    private static final String RUNTIME_CLASS = "sandboxed";
    private static final String HANDLER = "stockade-sandboxed";
    private static final String KERNEL_RELEASE = "4.4.0";
    /** A syscall the test policy's profile treats as an escape attempt: denied, counted, alerted on. */
    private static final String TRIPWIRE = "mount";
    private static final Duration SLOW = Duration.ofMinutes(5);
    /** Where pods may run on the pool without its RuntimeClass (spec.admission.exemptNamespaces' default). */
    private static final String EXEMPT_NAMESPACE = "kube-system";
    /** The pool fence's ValidatingAdmissionPolicy; each policy's binding is named FENCE-policy. */
    private static final String FENCE = "stockade-pool-fence";
    /** Opt-in namespaces: the label, and the name of its shared admission policies. */
    private static final String OPT_IN_LABEL = "stockade.dev/runtime-class";
    private static final String OPT_IN = "stockade-namespace-runtime-class";
    /** Pod creation latencies before any policy, for the fence's figure. */
    private long[] unfencedCreateNanos = new long[] {0};

    private RealCluster cluster;
    private KubernetesClient client;
    private byte[] containerdConfigBefore;
    private long auditLinesBefore;

    @BeforeAll
    void startCluster() throws IOException {
        cluster = RealCluster.get();
        client = cluster.client();
        cluster.importImage(cluster.repositoryPath("operator/image/target/stockade-operator-image.tar"));
        cluster.importImage(cluster.repositoryPath("runtime-installer/target/stockade-installer-image.tar"));
        containerdConfigBefore = Files.readAllBytes(cluster.onNode("/etc/containerd/config.toml"));
        // Other test classes share the cluster and its audit log: only this class's requests count.
        try (var lines = Files.lines(cluster.logs().resolve("audit.log"))) {
            auditLinesBefore = lines.count();
        }
    }

    @AfterAll
    void cleanUp() {
        if (client == null) {
            return;
        }
        client.pods().inNamespace("default").delete();
        cluster.kubectl("delete", "sbp", "--all", "--wait=true", "--timeout=300s");
        cluster.kubectl("delete", "--ignore-not-found", "--wait=true", "-f", "manifests/install.yaml");
        cluster.kubectl("label", "node", cluster.nodeName(), "workload-");
        client.close();
    }

    @Test
    @Order(1)
    void installWithThePlainManifests() {
        // A pod that runs on the node before Stockade arrives: containerd's restart must not stop it.
        client.pods().inNamespace("default").resource(busybox("bystander", null, "sleep 3600")).create();
        unfencedCreateNanos = dryRunCreateNanos(latencyProbe(), 200);
        awaitRunning("bystander");

        cluster.kubectl("apply", "-f", "manifests/install.yaml").requireSuccess();
        cluster.kubectl(SLOW, "-n", NAMESPACE, "rollout", "status", "deployment/stockade-operator", "--timeout=300s").requireSuccess();
        assertEquals("True", cluster.kubectl("-n", NAMESPACE, "get", "deployment/stockade-operator",
                "-o", "jsonpath={.status.conditions[?(@.type==\"Available\")].status}").requireSuccess().stdout());

        String operatorPod = client.pods().inNamespace(NAMESPACE).withLabel("app.kubernetes.io/name", "stockade-operator")
                .list().getItems().getFirst().getMetadata().getName();
        await("the operator holds the leader Lease").atMost(Duration.ofMinutes(2)).until(() -> {
            Lease lease = client.leases().inNamespace(NAMESPACE).withName("stockade-operator-leader").get();
            return lease != null && operatorPod.equals(lease.getSpec().getHolderIdentity());
        });
    }

    @Test
    @Order(2)
    void aBadQuantityThatTheSchemaAdmitsMakesThePolicyDegradedNamingTheField(@TempDir Path dir) throws IOException {
        // The schema cannot check quantities: a CEL rule over int-or-string values exceeds the API
        // server's cost budget (it refuses such a CRD), so the operator's validator is the check.
        Path policy = TestPolicies.selectingNoNode(dir, "bad-overhead",
                "  runtimeClasses:\n    - name: bad-overhead\n      overhead: {cpu: lots}\n");
        cluster.kubectl("apply", "-f", policy.toString()).requireSuccess();
        await("the policy Degraded").atMost(Duration.ofMinutes(2)).until(() -> "True".equals(cluster.kubectl("get", "sbp", "bad-overhead",
                "-o", "jsonpath={.status.conditions[?(@.type==\"Degraded\")].status}").stdout()));
        String message = cluster.kubectl("get", "sbp", "bad-overhead", "-o", "jsonpath={.status.conditions[?(@.type==\"Degraded\")].message}")
                .requireSuccess().stdout();
        assertTrue(message.contains("spec.runtimeClasses[0].overhead.cpu"), message);
        assertEquals(null, client.resources(RuntimeClass.class).withName("bad-overhead").get(), "an invalid policy changes nothing");
        cluster.kubectl("delete", "-f", policy.toString(), "--wait=true", "--timeout=120s").requireSuccess();
    }

    @Test
    @Order(3)
    void aPolicyFencesTheNodeInstallsTheRuntimeAndPublishesTheRuntimeClass(@TempDir Path dir) throws IOException {
        int containerdStartsBefore = containerdStarts();
        cluster.kubectl("label", "node", cluster.nodeName(), "workload=untrusted", "--overwrite").requireSuccess();
        // The README's sample, with a kernel identity, and the restart this node needs: it has no
        // systemd, and its harness starts containerd again when it exits, as systemd would.
        String sample = Files.readString(cluster.repositoryPath("manifests/samples/minimal.yaml"));
        Path policy = dir.resolve("policy.yaml");
        Files.writeString(policy, sample.stripTrailing() + "\n"
                + "      overhead: {cpu: 10m, memory: 16Mi}\n"
                + "      profile:\n"
                + "        kernelIdentity: {release: \"" + KERNEL_RELEASE + "\"}\n"
                + "        tripwireSyscalls: [" + TRIPWIRE + "]\n"
                + "  installer:\n"
                + "    containerRuntimeRestart: \"signal:containerd:TERM\"\n");
        long applied = System.nanoTime();
        cluster.kubectl("apply", "-f", policy.toString()).requireSuccess();

        await("the pool label and taint").atMost(Duration.ofMinutes(1)).until(() -> {
            Node node = node();
            return POLICY.equals(node.getMetadata().getLabels().get(Stockade.POOL_LABEL)) && sandboxTaint(node) != null;
        });
        assertEquals("NoSchedule", sandboxTaint(node()).getEffect());

        await("the installer pod runs on the node").atMost(SLOW).until(() -> client.pods().inNamespace(NAMESPACE)
                .list().getItems().stream().anyMatch(p -> p.getMetadata().getName().startsWith("stockade-" + POLICY + "-installer")
                        && cluster.nodeName().equals(p.getSpec().getNodeName()) && "Running".equals(p.getStatus().getPhase())));
        await("the node's ready label").atMost(SLOW).until(() ->
                POLICY.equals(node().getMetadata().getLabels().get(Stockade.RUNTIME_READY_LABEL)));
        awaitPolicyReady("the policy Ready 1/1", Duration.ofMinutes(2));
        System.out.printf("figure: kubectl apply of the policy -> Ready 1/1: %.1f s%n", (System.nanoTime() - applied) / 1e9);

        String config = Files.readString(cluster.onNode("/etc/containerd/config.toml"));
        assertTrue(config.contains("stockade"), "containerd's config imports Stockade's drop-in:\n" + config);
        assertTrue(cluster.onNodeRun(Duration.ofMinutes(1), "containerd", "--config", "/etc/containerd/config.toml", "config", "dump")
                .requireSuccess().stdout().contains("runtimes." + HANDLER), "the handler is in containerd's merged configuration");
        assertEquals(containerdStartsBefore + 1, containerdStarts(), "containerd restarted exactly once for the install");
        assertRunningSinceStart("bystander");

        RuntimeClass runtimeClass = client.resources(RuntimeClass.class).withName(RUNTIME_CLASS).get();
        assertNotNull(runtimeClass, "RuntimeClass " + RUNTIME_CLASS);
        assertEquals(HANDLER, runtimeClass.getHandler());
        assertEquals(Map.of(Stockade.RUNTIME_READY_LABEL, POLICY), runtimeClass.getScheduling().getNodeSelector());
        assertTrue(runtimeClass.getScheduling().getTolerations().stream().anyMatch(t ->
                Stockade.SANDBOX_TAINT_KEY.equals(t.getKey()) && POLICY.equals(t.getValue())), "toleration for the taint");
        assertEquals("10m", runtimeClass.getOverhead().getPodFixed().get("cpu").toString(), "overhead");
        assertEquals("16Mi", runtimeClass.getOverhead().getPodFixed().get("memory").toString(), "overhead");
    }

    @Test
    @Order(4)
    void theInstallerMayWriteOnlyItsOwnNodesKeys(@TempDir Path dir) throws IOException {
        // The install above already ran under the chart's ValidatingAdmissionPolicy. Here the
        // installer's account is impersonated, with the node name its bound token carries, and every
        // write is a server-side dry run, so nothing changes.
        String onItsNode = installerKubeconfig(dir, cluster.nodeName());
        String onAnotherNode = installerKubeconfig(dir, "another-node");
        String node = "node/" + cluster.nodeName();
        cluster.kubectl("--kubeconfig", onItsNode, "label", node, Stockade.RUNTIME_READY_LABEL + "=someone-else", "--overwrite",
                "--dry-run=server").requireSuccess();
        assertRefused("may write only the node its pod runs on (another-node), not " + cluster.nodeName(), cluster.kubectl(
                "--kubeconfig", onAnotherNode, "label", node, Stockade.RUNTIME_READY_LABEL + "=someone-else", "--overwrite", "--dry-run=server"));
        assertRefused("only the stockade.dev/runtime-ready label", cluster.kubectl("--kubeconfig", onItsNode, "label", node, "team=blue",
                "--dry-run=server"));
        assertRefused("only the stockade.dev/runtime-ready label", cluster.kubectl("--kubeconfig", onItsNode, "label", node,
                Stockade.POOL_LABEL + "-", "--dry-run=server"));
        assertRefused("may not change a node's spec", cluster.kubectl("--kubeconfig", onItsNode, "taint", "node",
                cluster.nodeName(), Stockade.SANDBOX_TAINT_KEY + "-", "--dry-run=server"));
    }

    /** The admin's kubeconfig impersonating the installer's ServiceAccount as its token on {@code nodeName} would be. */
    private String installerKubeconfig(Path dir, String nodeName) throws IOException {
        String admin = Files.readString(cluster.kubeconfig());
        String impersonating = admin.replaceFirst("(?m)^(    client-key: .*)$", "$1\n"
                + "    as: system:serviceaccount:" + NAMESPACE + ":stockade-installer\n"
                + "    as-user-extra:\n      authentication.kubernetes.io/node-name: [" + nodeName + "]");
        assertTrue(impersonating.contains("as-user-extra"), impersonating);
        return Files.writeString(dir.resolve("installer-on-" + nodeName + ".kubeconfig"), impersonating).toString();
    }

    private static void assertRefused(String message, CommandResult result) {
        assertTrue(result.exitCode() != 0 && result.stderr().contains("ValidatingAdmissionPolicy") && result.stderr().contains(message),
                result.describe());
    }

    @Test
    @Order(5)
    void aSandboxedPodSeesTheProfilesKernelAndAPlainPodTheHosts() {
        client.pods().inNamespace("default").resource(busybox("sandboxed", RUNTIME_CLASS, "uname -r; sleep 3600")).create();
        // Without the RuntimeClass only an exempt namespace may run on the pool (kube-system by
        // default): a cluster DaemonSet that tolerates every taint, as CNI and kube-proxy do.
        client.apps().daemonSets().inNamespace(EXEMPT_NAMESPACE).resource(tolerateEverythingDaemonSet("plain", EXEMPT_NAMESPACE)).create();
        awaitRunning("sandboxed");
        String plain = await("the exempt DaemonSet's pod runs on the pool node").atMost(Duration.ofMinutes(3)).until(() ->
                client.pods().inNamespace(EXEMPT_NAMESPACE).withLabel("app", "plain").list().getItems().stream()
                        .filter(p -> "Running".equals(p.getStatus().getPhase()) && cluster.nodeName().equals(p.getSpec().getNodeName()))
                        .map(p -> p.getMetadata().getName()).findFirst().orElse(null), java.util.Objects::nonNull);

        assertEquals(KERNEL_RELEASE, logs("sandboxed"), "kubectl logs of the sandboxed pod");
        assertEquals(KERNEL_RELEASE, cluster.kubectl("exec", "sandboxed", "--", "uname", "-r").requireSuccess().stdout().strip(),
                "kubectl exec into the sandboxed pod");
        String hostRelease = dev.stockade.testing.Commands.run("uname", "-r").requireSuccess().stdout().strip();
        assertEquals(hostRelease, logs(EXEMPT_NAMESPACE, plain), "the same program without the RuntimeClass, in an exempt namespace");
        client.apps().daemonSets().inNamespace(EXEMPT_NAMESPACE).withName("plain").delete();
        assertEquals(cluster.nodeName(), client.pods().inNamespace("default").withName("sandboxed").get().getSpec().getNodeName());
    }

    @Test
    @Order(6)
    void theAdmissionFenceRefusesPodsThatWouldRunOnThePoolWithoutItsRuntimeClass() {
        assertEquals("True", policyField("{.status.conditions[?(@.type==\"AdmissionFence\")].status}"), "the fence is active");
        String refusal = "SandboxPolicy " + POLICY + ": the pod would run on its sandbox pool (";
        String remedy = "without one of its RuntimeClasses; set spec.runtimeClassName to one of [" + RUNTIME_CLASS + "]";

        String tolerating = refusedCreate(busybox("tolerates-the-taint", null, "sleep 3600"));
        assertTrue(tolerating.contains(refusal + "it tolerates the taint " + Stockade.SANDBOX_TAINT_KEY + ") " + remedy)
                && tolerating.contains("ValidatingAdmissionPolicy"), tolerating);
        String everything = refusedCreate(new PodBuilder(busybox("tolerates-everything", null, "sleep 3600"))
                .editSpec().withTolerations(new TolerationBuilder().withOperator("Exists").build()).endSpec().build());
        assertTrue(everything.contains(refusal + "it tolerates the taint"), everything);
        String pinned = refusedCreate(new PodBuilder(busybox("pinned", null, "sleep 3600"))
                .editSpec().withTolerations().withNodeName(cluster.nodeName()).endSpec().build());
        assertTrue(pinned.contains(refusal + "spec.nodeName " + cluster.nodeName() + " is a pool node) " + remedy), pinned);
        String selecting = refusedCreate(new PodBuilder(busybox("selects-the-pool", null, "sleep 3600"))
                .editSpec().withTolerations().withNodeSelector(Map.of(Stockade.POOL_LABEL, POLICY)).endSpec().build());
        assertTrue(selecting.contains(refusal + "its spec.nodeSelector selects the pool) " + remedy), selecting);
        // A refused controller says so in its Events (the README's "how to see what the fence refused").
        client.apps().daemonSets().inNamespace("default").resource(tolerateEverythingDaemonSet("not-exempt", "default")).create();
        try {
            await("FailedCreate with the fence's message").atMost(Duration.ofMinutes(2)).until(() ->
                    cluster.kubectl("describe", "daemonset", "not-exempt").stdout().contains("FailedCreate")
                            && cluster.kubectl("describe", "daemonset", "not-exempt").stdout().contains("SandboxPolicy " + POLICY));
        } finally {
            client.apps().daemonSets().inNamespace("default").withName("not-exempt").delete();
        }
        // Another RuntimeClass (or none) on a pod that stays off the pool is none of the fence's business.
        client.pods().inNamespace("default").resource(new PodBuilder(busybox("elsewhere", null, "true"))
                .editSpec().withTolerations().endSpec().build()).create();
        client.pods().inNamespace("default").withName("elsewhere").withGracePeriod(0).delete();

        // A benchmark figure, not an assertion: what the fence adds to a pod creation. The same plain
        // pod, 200 server-side dry runs before any policy existed (step 1) and 200 now.
        long[] fenced = dryRunCreateNanos(latencyProbe(), 200);
        System.out.printf("figure: pod creation (server-side dry run, 200 each) p50/p99: with the fence %.1f/%.1f ms, "
                + "before any policy %.1f/%.1f ms%n", percentile(fenced, 50), percentile(fenced, 99),
                percentile(unfencedCreateNanos, 50), percentile(unfencedCreateNanos, 99));
    }

    /** A pod every admission plugin and policy evaluates, and that none refuses. */
    private Pod latencyProbe() {
        return new PodBuilder(busybox("latency-probe", null, "true")).editSpec().withTolerations().endSpec().build();
    }

    private long[] dryRunCreateNanos(Pod pod, int count) {
        long[] nanos = new long[count];
        for (int i = 0; i < count; i++) {
            long start = System.nanoTime();
            client.pods().inNamespace("default").resource(pod).dryRun().create();
            nanos[i] = System.nanoTime() - start;
        }
        return nanos;
    }

    private static double percentile(long[] nanos, int percent) {
        long[] sorted = nanos.clone();
        java.util.Arrays.sort(sorted);
        return sorted[Math.min(sorted.length - 1, (int) Math.ceil(percent / 100.0 * sorted.length) - 1)] / 1e6;
    }

    @Test
    @Order(7)
    void aPodInAnOptedInNamespaceGetsTheRuntimeClassAndAnotherClassIsRefused() {
        String namespace = "opted-in";
        client.namespaces().resource(new NamespaceBuilder().withNewMetadata().withName(namespace)
                .addToLabels(OPT_IN_LABEL, RUNTIME_CLASS).endMetadata().build()).create();
        client.resources(RuntimeClass.class).resource(new RuntimeClassBuilder().withNewMetadata().withName("plain-runc")
                .endMetadata().withHandler("runc").build()).create();
        try {
            Pod plain = new PodBuilder(busybox("defaulted", null, "uname -r; sleep 3600"))
                    .editMetadata().withNamespace(namespace).endMetadata().editSpec().withTolerations().endSpec().build();
            client.pods().inNamespace(namespace).resource(plain).create();
            awaitRunning(namespace, "defaulted");
            Pod admitted = client.pods().inNamespace(namespace).withName("defaulted").get();
            assertEquals(RUNTIME_CLASS, admitted.getSpec().getRuntimeClassName(), "the namespace's class was set");
            assertEquals("10m", admitted.getSpec().getOverhead().get("cpu").toString(), "with the RuntimeClass's overhead");
            assertEquals(KERNEL_RELEASE, logs(namespace, "defaulted"), "and it runs sandboxed");

            String refused = refusedCreate(new PodBuilder(busybox("other-class", "plain-runc", "sleep 3600"))
                    .editMetadata().withNamespace(namespace).endMetadata().editSpec().withTolerations().endSpec().build());
            assertTrue(refused.contains("namespace " + namespace + " is labelled " + OPT_IN_LABEL + "=" + RUNTIME_CLASS
                    + ": its pods must run in a Stockade RuntimeClass (one of " + RUNTIME_CLASS + "), but this pod names plain-runc"),
                    refused);
        } finally {
            client.pods().inNamespace(namespace).withName("defaulted").withGracePeriod(0).delete();
            client.namespaces().withName(namespace).delete();
            client.resources(RuntimeClass.class).withName("plain-runc").delete();
        }
    }

    /** Creates the pod with kubectl, as a user would, and returns the refusal it must get. */
    private String refusedCreate(Pod pod) {
        CommandResult result;
        try {
            Path file = Files.createTempFile("stockade-pod-", ".yaml");
            Files.writeString(file, Serialization.asYaml(pod));
            result = cluster.kubectl("create", "-f", file.toString());
            Files.delete(file);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        assertTrue(result.exitCode() != 0, "the fence let " + pod.getMetadata().getName() + " through: " + result.describe());
        return result.stderr();
    }

    @Test
    @Order(8)
    void hostMountsAndPrivilegedPodsAreRefusedAndTheRuleShowsInKubectlDescribe() {
        Pod hostMount = new PodBuilder(busybox("host-mount", RUNTIME_CLASS, "ls /host"))
                .editSpec()
                    .addNewVolume().withName("root").withNewHostPath().withPath("/").endHostPath().endVolume()
                    .editFirstContainer().addNewVolumeMount().withName("root").withMountPath("/host").endVolumeMount().endContainer()
                .endSpec().build();
        Pod privileged = new PodBuilder(busybox("privileged", RUNTIME_CLASS, "sleep 3600"))
                .editSpec().editFirstContainer().withNewSecurityContext().withPrivileged(true).endSecurityContext().endContainer().endSpec()
                .build();
        client.pods().inNamespace("default").resource(hostMount).create();
        client.pods().inNamespace("default").resource(privileged).create();

        awaitDescribeShows("host-mount", "(rule host-mount)");
        awaitDescribeShows("privileged", "(rule privileged)");
        for (String pod : List.of("host-mount", "privileged")) {
            assertFalse("Running".equals(client.pods().inNamespace("default").withName(pod).get().getStatus().getPhase()), pod);
            client.pods().inNamespace("default").withName(pod).delete();
        }
    }

    @Test
    @Order(9)
    void prometheusReadsTheNodesMetricsWhichASandboxedPodCannotAndTheEscapeAlertFires(@TempDir Path dir) throws IOException {
        String nodeIp = cluster.nodeIp();
        Pod installer = client.pods().inNamespace(NAMESPACE).withLabel("app.kubernetes.io/name", "stockade-installer").list().getItems()
                .getFirst();
        String endpoint = "https://" + installer.getStatus().getPodIP() + ":9465/metrics";
        // A tenant's view: its pod's own ServiceAccount token, and the node's address.
        client.pods().inNamespace("default").resource(busybox("snooper", RUNTIME_CLASS,
                "timeout 5 wget -q -O- http://" + nodeIp + ":9464/metrics; echo plaintext=$?; sleep 3600")).create();
        // Prometheus as an admin sets it up: pod discovery, and the chart's ClusterRole that allows get on /metrics.
        cluster.kubectl("create", "namespace", "monitoring").requireSuccess();
        try {
            cluster.kubectl("-n", "monitoring", "create", "serviceaccount", "prometheus").requireSuccess();
            cluster.kubectl("create", "clusterrole", "stockade-test-prometheus-discovery", "--verb=get,list,watch", "--resource=pods")
                    .requireSuccess();
            cluster.kubectl("create", "clusterrolebinding", "stockade-test-prometheus-discovery",
                    "--clusterrole=stockade-test-prometheus-discovery", "--serviceaccount=monitoring:prometheus").requireSuccess();
            cluster.kubectl("create", "clusterrolebinding", "stockade-test-prometheus-metrics", "--clusterrole=stockade-metrics-reader",
                    "--serviceaccount=monitoring:prometheus").requireSuccess();
            Path token = Files.writeString(dir.resolve("token"),
                    cluster.kubectl("-n", "monitoring", "create", "token", "prometheus", "--duration=1h").requireSuccess().stdout().strip());

            awaitRunning("snooper");
            await("the snooper tried the node's old plaintext port").atMost(Duration.ofMinutes(2)).until(() -> allLogs("snooper").contains("plaintext="));
            assertFalse(allLogs("snooper").contains("stockade_"), "no node series in plain text on the node's address: " + allLogs("snooper"));
            String tenantToken = cluster.kubectl("exec", "snooper", "--", "cat", "/var/run/secrets/kubernetes.io/serviceaccount/token")
                    .requireSuccess().stdout().strip();
            Path tenantTokenFile = Files.writeString(dir.resolve("tenant-token"), tenantToken);
            assertEquals("401", scrape(endpoint, null), "without a token");
            assertEquals("403", scrape(endpoint, tenantTokenFile), "with the sandboxed pod's own token");
            assertEquals("200", scrape(endpoint, token), "with Prometheus' token");

            try (RealPrometheus prometheus = RealPrometheus.start(cluster, client, token, dir)) {
                for (String job : List.of("stockade-node", "stockade-operator-metrics")) {
                    await(job + " scraped").atMost(Duration.ofMinutes(2)).pollInterval(Duration.ofSeconds(2)).until(() ->
                            prometheus.query("up{job=\"" + job + "\"} == 1"), series -> !series.isEmpty());
                }
                List<Map<String, String>> daemons = await("the node's daemons reported up").atMost(Duration.ofMinutes(1)).until(() ->
                        prometheus.query("{__name__=~\"stockade_supervisor_up|stockade_spec_server_up\"}"),
                        series -> series.size() == 2 && series.stream().allMatch(up -> up.get("value").equals("1")));
                assertTrue(daemons.stream().allMatch(series -> cluster.nodeName().equals(series.get("node"))), daemons.toString());
                assertEquals(List.of("1"), prometheus.query("stockade_policy_condition{policy=\"" + POLICY + "\",condition=\"Ready\"}")
                        .stream().map(series -> series.get("value")).toList());

                client.pods().inNamespace("default").resource(busybox("escapee", RUNTIME_CLASS,
                        "mkdir -p /tmp/m; mount -t tmpfs none /tmp/m; echo mount=$?; sleep 3600")).create();
                await("the escapee's mount failed").atMost(Duration.ofMinutes(2)).until(() -> allLogs("escapee").contains("mount="));
                assertFalse(allLogs("escapee").contains("mount=0"), allLogs("escapee"));
                Map<String, String> hit = await("the tripwire series of the escapee").atMost(Duration.ofMinutes(1)).until(() ->
                        prometheus.query("stockade_supervisor_tripwire_total{pod=\"escapee\",syscall=\"" + TRIPWIRE + "\"}"),
                        series -> !series.isEmpty()).getFirst();
                assertEquals(List.of("default", POLICY, "main", cluster.nodeName()),
                        List.of(hit.get("namespace"), hit.get("policy"), hit.get("container"), hit.get("node")), hit.toString());
                long alertSeen = System.nanoTime();
                Map<String, String> alert = await("the escape-attempt alert firing").atMost(Duration.ofMinutes(1)).until(() ->
                        prometheus.query("ALERTS{alertname=\"StockadeSandboxEscapeAttempt\",alertstate=\"firing\",pod=\"escapee\"}"),
                        series -> !series.isEmpty()).getFirst();
                assertEquals(List.of("default", TRIPWIRE, cluster.nodeName()), List.of(alert.get("namespace"), alert.get("syscall"), alert.get("node")),
                        alert.toString());
                System.out.printf("prometheus: escape alert firing %.1f s after the tripwire series appeared%n",
                        (System.nanoTime() - alertSeen) / 1e9);
                assertTrue(prometheus.query("ALERTS{alertstate=\"firing\",alertname!=\"StockadeSandboxEscapeAttempt\"}").isEmpty(),
                        "no other alert on a healthy pool: " + prometheus.query("ALERTS"));
            }
        } finally {
            client.pods().inNamespace("default").withName("snooper").delete();
            client.pods().inNamespace("default").withName("escapee").delete();
            cluster.kubectl("delete", "--ignore-not-found", "clusterrolebinding", "stockade-test-prometheus-discovery",
                    "stockade-test-prometheus-metrics");
            cluster.kubectl("delete", "--ignore-not-found", "clusterrole", "stockade-test-prometheus-discovery");
            cluster.kubectl("delete", "namespace", "monitoring", "--wait=false");
        }
    }

    /** The HTTP status curl gets from the node's metrics endpoint, from the node's network (where pod traffic flows). */
    private String scrape(String endpoint, Path token) {
        List<String> command = new java.util.ArrayList<>(List.of("curl", "-sk", "-o", "/dev/null", "-w", "%{http_code}", "--max-time", "10"));
        if (token != null) {
            command.addAll(List.of("-H", "@" + token.getParent().resolve(token.getFileName() + ".header")));
            try {
                Files.writeString(token.getParent().resolve(token.getFileName() + ".header"), "Authorization: Bearer " + Files.readString(token).strip() + "\n");
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }
        command.add(endpoint);
        return cluster.inNodeNetwork(Duration.ofSeconds(30), command.toArray(String[]::new)).stdout().strip();
    }

    @Test
    @Order(10)
    void crictlRunsAPodSandboxThroughTheHandler(@TempDir Path dir) throws IOException {
        // The CRI path the kubelet takes, driven by hand: RunPodSandbox with runtime_handler set.
        Path sandbox = dir.resolve("sandbox.json");
        Path container = dir.resolve("container.json");
        Files.writeString(sandbox, """
                {"metadata": {"name": "crictl-sandbox", "namespace": "default", "uid": "crictl-sandbox-uid", "attempt": 0},
                 "log_directory": "/var/log/crictl-sandbox", "linux": {}}
                """);
        Files.writeString(container, """
                {"metadata": {"name": "uname"}, "image": {"image": "%s"}, "command": ["sh", "-c", "uname -r; sleep 3600"],
                 "log_path": "uname.log", "linux": {}}
                """.formatted(cluster.busyboxImage()));
        // The kubelet stops pod sandboxes it did not create (its housekeeping runs every 2 s), so it is
        // paused while crictl drives the CRI, and resumed after.
        cluster.onNodeRun(Duration.ofSeconds(30), "pkill", "-STOP", "-x", "kubelet").requireSuccess();
        String pod = null;
        try {
            pod = crictl("runp", "--runtime", HANDLER, sandbox.toString()).strip();
            String id = crictl("create", pod, container.toString(), sandbox.toString()).strip();
            crictl("start", id);
            assertEquals(KERNEL_RELEASE, crictl("exec", id, "uname", "-r").strip(), "crictl exec through the handler");
            assertTrue(crictl("inspectp", pod).contains("\"runtimeHandler\": \"" + HANDLER + "\""), "the sandbox's handler");
        } finally {
            if (pod != null) {
                crictl("stopp", pod);
                crictl("rmp", pod);
            }
            cluster.onNodeRun(Duration.ofSeconds(30), "pkill", "-CONT", "-x", "kubelet").requireSuccess();
        }
    }

    @Test
    @Order(11)
    void aProfileChangeRollsTheInstallersWithoutRestartingContainerd() throws IOException {
        int containerdStarts = containerdStarts();
        String installerBefore = installerPod();
        cluster.kubectl("patch", "sbp", POLICY, "--type=json", "-p",
                "[{\"op\":\"add\",\"path\":\"/spec/runtimeClasses/0/profile/pidsLimit\",\"value\":256}]").requireSuccess();
        await("a new installer pod").atMost(SLOW).until(() -> {
            String now = installerPod();
            return now != null && !now.equals(installerBefore) && "Running".equals(
                    client.pods().inNamespace(NAMESPACE).withName(now).get().getStatus().getPhase());
        });
        awaitPolicyReady("the policy Ready 1/1 with the new profile", SLOW);
        String profile = Files.readString(Path.of(HostLayout.profile(RUNTIME_CLASS)));
        assertTrue(profile.matches("(?s).*\"pidsLimit\"\\s*:\\s*256.*"), "the node's profile file has the new limit:\n" + profile);
        assertEquals(containerdStarts, containerdStarts(), "containerd was not restarted for a profile change");
        assertEquals(KERNEL_RELEASE, cluster.kubectl("exec", "sandboxed", "--", "uname", "-r").requireSuccess().stdout().strip(),
                "the running sandbox's uname is still answered by the supervisor after the installer pod was replaced");
        assertRunningSinceStart("sandboxed");
    }

    @Test
    @Order(12)
    void aNewInstallerReleaseReplacesThePayloadWithoutBreakingRunningSandboxes(@TempDir Path dir) throws IOException {
        int containerdStarts = containerdStarts();
        String release = cluster.onNodeRun(Duration.ofSeconds(30), "readlink", HostLayout.CURRENT)
                .requireSuccess().stdout().strip();
        String version = System.getProperty("stockade.installer.image").replaceAll(".*:", "") + "-upgrade-test";
        String image = System.getProperty("stockade.installer.image").replaceAll(":[^:/]*$", "") + ":upgrade-test";
        cluster.importImage(UpgradedInstallerImage.build(
                cluster.repositoryPath("runtime-installer/target/stockade-installer-image.tar"), image, version, dir));

        // As an upgrade does: the DaemonSet's installer image changes.
        cluster.kubectl("patch", "sbp", POLICY, "--type=merge", "-p", "{\"spec\":{\"installer\":{\"image\":\"" + image + "\"}}}")
                .requireSuccess();
        await("the node reports the new release").atMost(SLOW).until(() ->
                node().getMetadata().getAnnotations().getOrDefault(Stockade.RUNTIME_STATUS_ANNOTATION, "")
                        .contains("\"version\":\"" + version + "\""));
        awaitPolicyReady("the policy Ready 1/1 on the new release", SLOW);
        String upgraded = cluster.onNodeRun(Duration.ofSeconds(30), "readlink", HostLayout.CURRENT)
                .requireSuccess().stdout().strip();
        assertTrue(upgraded.contains(version) && !upgraded.equals(release), "current moved from " + release + " to " + upgraded);

        assertEquals(containerdStarts, containerdStarts(), "the handler's launcher path did not change: no containerd restart");
        assertEquals(KERNEL_RELEASE, cluster.kubectl("exec", "sandboxed", "--", "uname", "-r").requireSuccess().stdout().strip(),
                "the running sandbox's supervisor was handed over to the new release");
        assertRunningSinceStart("sandboxed");
        client.pods().inNamespace("default").resource(busybox("after-upgrade", RUNTIME_CLASS, "uname -r; sleep 3600")).create();
        awaitRunning("after-upgrade");
        assertEquals(KERNEL_RELEASE, logs("after-upgrade"), "a pod created on the new release");
        client.pods().inNamespace("default").withName("after-upgrade").withGracePeriod(0).delete();
    }

    @Test
    @Order(13)
    void killedKubeletAndContainerdComeBackAndThePoolRecoversWithoutAReinstall() {
        int containerdStarts = containerdStarts();
        cluster.onNodeRun(Duration.ofSeconds(30), "pkill", "-KILL", "-x", "kubelet").requireSuccess();
        cluster.onNodeRun(Duration.ofSeconds(30), "pkill", "-KILL", "-x", "containerd").requireSuccess();
        await("containerd started again by the node").atMost(Duration.ofMinutes(1)).until(() -> containerdStarts() == containerdStarts + 1);
        // The node's Ready condition lags a dead kubelet; kubectl exec needs the new one to answer.
        await("the kubelet answers kubectl exec again").atMost(SLOW).until(() ->
                cluster.kubectl("exec", "sandboxed", "--", "uname", "-r").stdout().strip().equals(KERNEL_RELEASE));
        client.pods().inNamespace("default").resource(busybox("after-restart", RUNTIME_CLASS, "uname -r; sleep 3600")).create();
        awaitRunning("after-restart");
        assertEquals(KERNEL_RELEASE, logs("after-restart"));
        assertEquals(POLICY, node().getMetadata().getLabels().get(Stockade.RUNTIME_READY_LABEL));
        assertEquals(containerdStarts + 1, containerdStarts(), "no second containerd restart: the installer found nothing to change");
        client.pods().inNamespace("default").withName("after-restart").delete();
    }

    @Test
    @Order(14)
    void deletingThePolicyWaitsForSandboxedPodsThenLeavesTheNodeClean() throws IOException {
        String policyUid = policyField("{.metadata.uid}");
        DaemonSet daemonSet = client.apps().daemonSets().inNamespace(NAMESPACE).list().getItems().stream()
                .filter(d -> d.getMetadata().getName().startsWith("stockade-" + POLICY + "-installer")).findFirst().orElseThrow();
        assertTrue(daemonSet.getMetadata().getOwnerReferences().stream().anyMatch(o -> policyUid.equals(o.getUid())),
                "the DaemonSet is owned by the policy, for the garbage collector");

        cluster.kubectl("delete", "sbp", POLICY, "--wait=false").requireSuccess();
        await("the node leaves scheduling for new sandboxed pods").atMost(SLOW).until(() ->
                !node().getMetadata().getLabels().containsKey(Stockade.RUNTIME_READY_LABEL));
        // The running sandboxed pod keeps the node in the pool until it is gone.
        assertEquals(POLICY, node().getMetadata().getLabels().get(Stockade.POOL_LABEL));
        // What the admin sees meanwhile (the README's "Removal"): the node Removing in the policy's
        // status with the installer's reason, and a NodeLeaving Event.
        await("the policy shows the node Removing").atMost(Duration.ofMinutes(1)).until(() ->
                "Removing".equals(policyField("{.status.nodeStatuses[0].phase}"))
                        && "True".equals(policyField("{.status.conditions[?(@.type==\"Progressing\")].status}")));
        assertTrue(cluster.kubectl("describe", "sbp", POLICY).requireSuccess().stdout().contains("NodeLeaving"), "NodeLeaving Event");
        await("the policy's status says what the removal waits for").atMost(Duration.ofMinutes(2)).until(() ->
                policyField("{.status.nodeStatuses[0].message}").contains("still run through Stockade's handlers"));

        client.pods().inNamespace("default").withName("sandboxed").withGracePeriod(0).delete();
        long podGone = System.nanoTime();
        await("the policy is gone").atMost(Duration.ofMinutes(10)).until(() ->
                cluster.kubectl("get", "sbp", POLICY).exitCode() != 0);
        System.out.printf("figure: last sandboxed pod deleted -> policy gone and node released: %.1f s%n",
                (System.nanoTime() - podGone) / 1e9);
        Node node = node();
        assertTrue(node.getMetadata().getLabels().keySet().stream().noneMatch(k -> k.startsWith(Stockade.GROUP)),
                "labels: " + node.getMetadata().getLabels());
        assertTrue(node.getMetadata().getAnnotations().keySet().stream().noneMatch(k -> k.startsWith(Stockade.GROUP)),
                "annotations: " + node.getMetadata().getAnnotations());
        assertTrue(node.getSpec().getTaints() == null || sandboxTaint(node) == null, "taints: " + node.getSpec().getTaints());
        assertArrayEquals(containerdConfigBefore, Files.readAllBytes(cluster.onNode("/etc/containerd/config.toml")),
                "containerd's config is byte-identical to before");
        assertFalse(Files.exists(Path.of(HostLayout.RUNTIME_DIR)), HostLayout.RUNTIME_DIR + " is gone");
        assertFalse(Files.exists(cluster.onNode(HostLayout.STATE_DIR)), HostLayout.STATE_DIR + " is gone");
        await("the DaemonSet, ConfigMap and RuntimeClass are gone").atMost(Duration.ofMinutes(2)).until(() ->
                client.apps().daemonSets().inNamespace(NAMESPACE).list().getItems().isEmpty()
                        && client.configMaps().inNamespace(NAMESPACE).list().getItems().stream()
                                .noneMatch(c -> c.getMetadata().getName().contains(POLICY))
                        && client.resources(RuntimeClass.class).withName(RUNTIME_CLASS).get() == null);
        await("the admission fence is gone with the last policy").atMost(Duration.ofMinutes(1)).until(() ->
                client.resources(ValidatingAdmissionPolicyBinding.class).withName(FENCE + "-" + POLICY).get() == null
                        && client.resources(ValidatingAdmissionPolicy.class).withName(FENCE).get() == null
                        && client.resources(ValidatingAdmissionPolicy.class).withName(OPT_IN).get() == null
                        && client.resources(MutatingAdmissionPolicy.class).withName(OPT_IN).get() == null);
    }

    @Test
    @Order(15)
    void theGarbageCollectorRemovesWhatAPolicyOwnedWhenItIsForceDeleted(@TempDir Path dir) throws IOException {
        // A policy that selects no node owns a DaemonSet, a ConfigMap and a RuntimeClass. With the
        // operator stopped and the finalizer removed by hand, only the garbage collector can delete them.
        applyPolicyOnNoNode(dir, "orphaned");
        cluster.kubectl("-n", NAMESPACE, "scale", "deployment/stockade-operator", "--replicas=0").requireSuccess();
        await("the operator stopped").atMost(Duration.ofMinutes(2)).until(() -> client.pods().inNamespace(NAMESPACE)
                .withLabel("app.kubernetes.io/name", "stockade-operator").list().getItems().isEmpty());
        try {
            cluster.kubectl("delete", "sbp", "orphaned", "--wait=false").requireSuccess();
            cluster.kubectl("patch", "sbp", "orphaned", "--type=json", "-p", "[{\"op\":\"remove\",\"path\":\"/metadata/finalizers\"}]")
                    .requireSuccess();
            await("the garbage collector deleted the DaemonSet, ConfigMap and RuntimeClass").atMost(Duration.ofMinutes(2))
                    .until(() -> ownedObjects("orphaned") == 0);
        } finally {
            cluster.kubectl("-n", NAMESPACE, "scale", "deployment/stockade-operator", "--replicas=1").requireSuccess();
            cluster.kubectl(SLOW, "-n", NAMESPACE, "rollout", "status", "deployment/stockade-operator", "--timeout=300s").requireSuccess();
        }
    }

    @Test
    @Order(16)
    void theOperatorWasNeverDeniedByRbac() throws IOException {
        String logs = cluster.kubectl("-n", NAMESPACE, "logs", "deployment/stockade-operator").requireSuccess().stdout();
        assertFalse(logs.toLowerCase().contains("forbidden"), "the operator's log has an RBAC denial:\n" + logs);
        String operator = "\"username\":\"system:serviceaccount:" + NAMESPACE + ":stockade-operator\"";
        try (var lines = Files.lines(cluster.logs().resolve("audit.log"))) {
            List<String> denied = lines.skip(auditLinesBefore).filter(l -> l.contains(operator) && l.contains("\"code\":403")).toList();
            assertTrue(denied.isEmpty(), "the API server denied the operator:\n" + String.join("\n", denied));
        }
    }

    @Test
    @Order(17)
    void anApiFailureMakesThePolicyDegradedNamingTheCallAndTheNextSuccessClearsIt(@TempDir Path dir) throws IOException {
        // After the RBAC check above: this step makes the API server deny the operator on purpose.
        Path policy = applyPolicyOnNoNode(dir, "rbac-probe");
        String verbs = cluster.kubectl("-n", NAMESPACE, "get", "role", "stockade-operator", "-o", "jsonpath={.rules[0].resources[0]} {.rules[0].verbs}")
                .requireSuccess().stdout();
        assertTrue(verbs.startsWith("configmaps ") && verbs.contains("\"update\""), verbs);
        cluster.kubectl("-n", NAMESPACE, "patch", "role", "stockade-operator", "--type=json", "-p",
                "[{\"op\":\"replace\",\"path\":\"/rules/0/verbs\",\"value\":[\"get\",\"list\",\"watch\",\"create\",\"delete\"]}]")
                .requireSuccess();
        try {
            // A profile change makes the operator update the profiles ConfigMap, which it may no longer do.
            cluster.kubectl("patch", "sbp", "rbac-probe", "--type=json", "-p",
                    "[{\"op\":\"add\",\"path\":\"/spec/runtimeClasses/0/profile\",\"value\":{\"pidsLimit\":128}}]").requireSuccess();
            await("Degraded/ApiError").atMost(Duration.ofMinutes(2)).until(() ->
                    "ApiError".equals(cluster.kubectl("get", "sbp", "rbac-probe", "-o",
                            "jsonpath={.status.conditions[?(@.type==\"Degraded\")].reason}").stdout()));
            String message = cluster.kubectl("get", "sbp", "rbac-probe", "-o",
                    "jsonpath={.status.conditions[?(@.type==\"Degraded\")].message}").requireSuccess().stdout();
            assertTrue(message.startsWith("PUT v1/namespaces/" + NAMESPACE + "/configmaps/stockade-rbac-probe-profiles: 403 Forbidden:")
                    && message.contains("cannot update resource \"configmaps\""), message);
            assertTrue(cluster.kubectl("describe", "sbp", "rbac-probe").requireSuccess().stdout().contains("ApiError"), "an ApiError Event");
        } finally {
            cluster.kubectl("-n", NAMESPACE, "patch", "role", "stockade-operator", "--type=json", "-p",
                    "[{\"op\":\"add\",\"path\":\"/rules/0/verbs/-\",\"value\":\"update\"}]").requireSuccess();
        }
        await("the next successful reconcile clears Degraded").atMost(Duration.ofMinutes(4)).until(() ->
                "False".equals(cluster.kubectl("get", "sbp", "rbac-probe", "-o",
                        "jsonpath={.status.conditions[?(@.type==\"Degraded\")].status}").stdout()));
        cluster.kubectl("delete", "-f", policy.toString(), "--wait=true", "--timeout=120s").requireSuccess();
    }

    /**
     * Applies a policy named {@code name} that selects no node, with one runtime class of the same
     * name, waits until its DaemonSet, ConfigMap and RuntimeClass exist, and returns its file.
     */
    private Path applyPolicyOnNoNode(Path dir, String name) throws IOException {
        Path policy = TestPolicies.selectingNoNode(dir, name, "  runtimeClasses:\n    - name: " + name + "\n");
        cluster.kubectl("apply", "-f", policy.toString()).requireSuccess();
        await("the policy's objects").atMost(Duration.ofMinutes(2)).until(() -> ownedObjects(name) == 3);
        return policy;
    }

    /** How many of the policy's DaemonSet, ConfigMap and RuntimeClass exist. */
    private int ownedObjects(String policy) {
        String prefix = "stockade-" + policy + "-";
        return (int) (client.apps().daemonSets().inNamespace(NAMESPACE).list().getItems().stream()
                .filter(d -> d.getMetadata().getName().startsWith(prefix)).count()
                + client.configMaps().inNamespace(NAMESPACE).list().getItems().stream()
                .filter(c -> c.getMetadata().getName().startsWith(prefix)).count()
                + (client.resources(RuntimeClass.class).withName(policy).get() == null ? 0 : 1));
    }

    /** A DaemonSet whose pods tolerate every taint and print the kernel release, as cluster agents are shaped. */
    private DaemonSet tolerateEverythingDaemonSet(String name, String namespace) {
        return new DaemonSetBuilder()
                .withNewMetadata().withName(name).withNamespace(namespace).endMetadata()
                .withNewSpec()
                    .withNewSelector().addToMatchLabels("app", name).endSelector()
                    .withNewTemplate()
                        .withNewMetadata().addToLabels("app", name).endMetadata()
                        .withNewSpec()
                            .withTerminationGracePeriodSeconds(1L)
                            .addNewToleration().withOperator("Exists").endToleration()
                            .addNewContainer().withName("main").withImage(cluster.busyboxImage()).withImagePullPolicy("Never")
                                .withCommand("sh", "-c", "uname -r; sleep 3600").endContainer()
                        .endSpec()
                    .endTemplate()
                .endSpec().build();
    }

    private Pod busybox(String name, String runtimeClass, String script) {
        return new PodBuilder()
                .withNewMetadata().withName(name).withNamespace("default").endMetadata()
                .withNewSpec()
                    .withRuntimeClassName(runtimeClass)
                    .withTerminationGracePeriodSeconds(1L)
                    .withRestartPolicy("Never")
                    .addNewToleration().withKey(Stockade.SANDBOX_TAINT_KEY).withOperator("Exists").endToleration()
                    .addNewContainer().withName("main").withImage(cluster.busyboxImage()).withImagePullPolicy("Never")
                        .withCommand("sh", "-c", script).endContainer()
                .endSpec().build();
    }

    private void awaitRunning(String pod) {
        awaitRunning("default", pod);
    }

    private void awaitRunning(String namespace, String pod) {
        await(pod + " running").atMost(Duration.ofMinutes(3)).until(() -> {
            Pod p = client.pods().inNamespace(namespace).withName(pod).get();
            return p != null && "Running".equals(p.getStatus().getPhase());
        });
    }

    private void awaitDescribeShows(String pod, String text) {
        await("kubectl describe pod " + pod + " shows " + text).atMost(Duration.ofMinutes(3)).until(() ->
                cluster.kubectl("describe", "pod", pod).stdout().contains(text));
    }

    private void assertRunningSinceStart(String pod) {
        Pod p = client.pods().inNamespace("default").withName(pod).get();
        assertEquals("Running", p.getStatus().getPhase(), pod);
        assertEquals(0, p.getStatus().getContainerStatuses().get(0).getRestartCount(), pod + " restarts");
    }

    private String logs(String pod) {
        return logs("default", pod);
    }

    private String logs(String namespace, String pod) {
        Supplier<String> firstLine = () -> cluster.kubectl("logs", "-n", namespace, pod).stdout().lines().findFirst().orElse("");
        await("a line in " + pod + "'s log").atMost(Duration.ofMinutes(1)).until(() -> !firstLine.get().isEmpty());
        return firstLine.get().strip();
    }

    /** Every line the pod wrote so far, stderr included (kubectl logs). */
    private String allLogs(String pod) {
        return cluster.kubectl("logs", "-n", "default", pod).stdout();
    }

    private String crictl(String... args) {
        String[] command = new String[args.length + 1];
        command[0] = "crictl";
        System.arraycopy(args, 0, command, 1, args.length);
        CommandResult result = cluster.onNodeRun(Duration.ofMinutes(2), command).requireSuccess();
        return result.stdout();
    }

    private Node node() {
        return client.nodes().withName(cluster.nodeName()).get();
    }

    private static Taint sandboxTaint(Node node) {
        return node.getSpec().getTaints() == null ? null : node.getSpec().getTaints().stream()
                .filter(t -> Stockade.SANDBOX_TAINT_KEY.equals(t.getKey())).findFirst().orElse(null);
    }

    /** Waits until the policy is Ready with its one node ready ({@code kubectl get sbp}: True, 1/1). */
    private void awaitPolicyReady(String what, Duration atMost) {
        await(what).atMost(atMost).until(() -> "True".equals(policyField("{.status.conditions[?(@.type==\"Ready\")].status}"))
                && "1/1".equals(policyField("{.status.nodes}")));
    }

    private String policyField(String jsonPath) {
        return cluster.kubectl("get", "sbp", POLICY, "-o", "jsonpath=" + jsonPath).stdout();
    }

    private String installerPod() {
        return client.pods().inNamespace(NAMESPACE).list().getItems().stream()
                .filter(p -> p.getMetadata().getName().startsWith("stockade-" + POLICY + "-installer") && p.getMetadata().getDeletionTimestamp() == null)
                .map(p -> p.getMetadata().getName()).findFirst().orElse(null);
    }

    /** How often the node has started containerd (its harness logs every start). */
    private int containerdStarts() {
        try (var lines = Files.lines(cluster.logs().resolve("node-init.log"))) {
            return (int) lines.filter(l -> l.endsWith("starting containerd")).count();
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
