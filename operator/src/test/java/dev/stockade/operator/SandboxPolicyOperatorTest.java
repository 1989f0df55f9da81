package dev.stockade.operator;

import dev.stockade.api.Stockade;
import dev.stockade.api.profile.Profiles;
import dev.stockade.api.status.NodeRuntimeStatus;
import dev.stockade.api.status.RemovalRequest;
import dev.stockade.operator.admission.PoolFence;
import dev.stockade.operator.policy.NodeConflict;
import dev.stockade.operator.policy.NodeStatus;
import dev.stockade.operator.policy.PolicyObjects;
import dev.stockade.operator.policy.SandboxPolicy;
import dev.stockade.operator.policy.SandboxPolicyStatus;
import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.admissionregistration.v1.ValidatingAdmissionPolicy;
import io.fabric8.kubernetes.api.model.admissionregistration.v1.ValidatingAdmissionPolicyBinding;
import io.fabric8.kubernetes.api.model.Taint;
import io.fabric8.kubernetes.api.model.TaintBuilder;
import io.fabric8.kubernetes.api.model.apps.DaemonSet;
import io.fabric8.kubernetes.api.model.apps.DaemonSetStatusBuilder;
import io.fabric8.kubernetes.api.model.node.v1.RuntimeClass;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.fabric8.mockwebserver.http.RecordedRequest;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.kubernetes.client.KubernetesServer;
import io.quarkus.test.kubernetes.client.KubernetesTestServer;
import io.quarkus.test.kubernetes.client.WithKubernetesTestServer;
import jakarta.inject.Inject;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

import static dev.stockade.operator.Fixtures.node;
import static dev.stockade.operator.Fixtures.policy;
import static dev.stockade.operator.Fixtures.selectIn;
import static dev.stockade.operator.Fixtures.selectLabel;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The whole operator against the fabric8 mock API server in CRUD mode. The mock has no garbage
 * collection, schema validation or set-based selector filtering, so these tests check what the
 * operator itself does; the installer's side of the protocol (ready label, status annotation) is
 * written by the test where a real installer would write it.
 */
@QuarkusTest
@WithKubernetesTestServer(crud = true)
class SandboxPolicyOperatorTest {

    private static final String NAMESPACE = "stockade-system";
    private static final Duration TIMEOUT = Duration.ofSeconds(30);
    private static final List<RecordedRequest> TAKEN = java.util.Collections.synchronizedList(new ArrayList<>());

    @Inject
    KubernetesClient client;

    @Inject
    MeterRegistry meters;

    @KubernetesTestServer
    KubernetesServer server;

    @AfterEach
    void deleteEverything() {
        client.resources(SandboxPolicy.class).delete();
        await().atMost(TIMEOUT).until(() -> client.resources(SandboxPolicy.class).list().getItems().isEmpty());
        client.nodes().delete();
        client.v1().events().inNamespace("default").delete();
        await().atMost(TIMEOUT).until(() -> client.nodes().list().getItems().isEmpty());
    }

    @Test
    void selectsCappedStablePoolWithSetBasedSelectorAndCreatesItsObjects() {
        for (String name : List.of("worker-a", "worker-b", "worker-c", "worker-d")) {
            String tier = name.equals("worker-d") ? "trusted" : "untrusted";
            client.resource(node(name, Map.of("tier", tier))).create();
        }
        client.resource(node("gpu-1", Map.of("tier", "gpu"))).create();
        SandboxPolicy policy = policy("sandbox", selectIn("tier", "untrusted", "gpu"), "isolated");
        policy.getSpec().setMaxNodes(2);
        client.resource(policy).create();

        await().atMost(TIMEOUT).untilAsserted(() -> assertEquals(Set.of("gpu-1", "worker-a"), poolOf("sandbox")));
        Node fenced = client.nodes().withName("worker-a").get();
        assertTrue(hasTaint(fenced, Stockade.SANDBOX_TAINT_KEY, "sandbox", "NoSchedule"), "pool taint on worker-a");
        assertFalse(hasTaint(client.nodes().withName("worker-b").get(), Stockade.SANDBOX_TAINT_KEY, "sandbox", "NoSchedule"));

        await().atMost(TIMEOUT).untilAsserted(() -> {
            DaemonSet daemonSet = client.apps().daemonSets().inNamespace(NAMESPACE)
                    .withName(PolicyObjects.installerDaemonSetName("sandbox")).get();
            assertNotNull(daemonSet, "installer DaemonSet");
            assertEquals(Map.of(Stockade.POOL_LABEL, "sandbox"), daemonSet.getSpec().getTemplate().getSpec().getNodeSelector());
            ConfigMap profiles = client.configMaps().inNamespace(NAMESPACE)
                    .withName(PolicyObjects.profilesConfigMapName("sandbox")).get();
            assertTrue(Profiles.parse(profiles.getData().get("isolated.json")).pidsLimit() == 512L);
            assertEquals(profiles.getMetadata().getAnnotations().get(PolicyObjects.PROFILES_HASH_ANNOTATION),
                    daemonSet.getSpec().getTemplate().getMetadata().getAnnotations().get(PolicyObjects.PROFILES_HASH_ANNOTATION));
            RuntimeClass runtimeClass = client.resources(RuntimeClass.class).withName("isolated").get();
            assertNotNull(runtimeClass, "RuntimeClass isolated");
            assertEquals("stockade-isolated", runtimeClass.getHandler());
            assertEquals(Map.of(Stockade.RUNTIME_READY_LABEL, "sandbox"), runtimeClass.getScheduling().getNodeSelector());
            ValidatingAdmissionPolicyBinding fence = client.resources(ValidatingAdmissionPolicyBinding.class)
                    .withName(PoolFence.bindingName("sandbox")).get();
            assertNotNull(fence, "the policy's fence binding");
            assertEquals(PoolFence.NAME, fence.getSpec().getPolicyName());
            assertEquals("sandbox", fence.getSpec().getParamRef().getName());
            assertNotNull(client.resources(ValidatingAdmissionPolicy.class).withName(PoolFence.NAME).get(), "the shared fence policy");
        });
        SandboxPolicyStatus status = awaitStatus("sandbox", s -> s.getDesiredNodes() != null && s.getDesiredNodes() == 2);
        assertEquals("0/2", status.getNodes());
        assertEquals("False", condition(status, "Ready").getStatus());
        assertEquals("True", condition(status, "Progressing").getStatus());
        assertEquals("True", condition(status, "AdmissionFence").getStatus());
        assertEquals("Active", condition(status, "AdmissionFence").getReason());

        // A node that sorts first joins the eligible set later: the pool keeps its members.
        client.resource(node("aaa-new", Map.of("tier", "untrusted"))).create();
        await().during(Duration.ofSeconds(2)).atMost(TIMEOUT)
                .untilAsserted(() -> assertEquals(Set.of("gpu-1", "worker-a"), poolOf("sandbox")));
    }

    @Test
    void nodeInformerListsNodesInPagesOf500() {
        // The informers listed at start.
        takeRequests();
        List<String> nodeLists = new ArrayList<>();
        for (RecordedRequest request : TAKEN) {
            String path = request.getPath();
            if ("GET".equals(request.getMethod()) && path.startsWith("/api/v1/nodes?") && !path.contains("watch=true")) {
                nodeLists.add(path);
            }
        }
        assertTrue(nodeLists.stream().anyMatch(path -> path.contains("limit=" + SandboxPolicyReconciler.NODE_LIST_PAGE)),
                "a node list with limit=500 among " + nodeLists);
    }

    @Test
    void policiesCreatedTogetherWriteTheSharedAdmissionObjectsOneAtATime() {
        List<String> teams = IntStream.range(0, 8).mapToObj(i -> "team-" + i).toList();
        teams.forEach(team -> client.resource(node(team + "-node", Map.of("team", team))).create());
        takeRequests();

        // Every policy's reconcile writes the shared pool fence and namespace objects.
        teams.parallelStream().forEach(team -> client.resource(policy(team, selectLabel("team", team), team + "-class")).create());
        teams.forEach(team -> awaitStatus(team, s -> s.getDesiredNodes() != null && s.getDesiredNodes() == 1));

        List<RecordedRequest> requests = takeRequests();
        assertEquals(0, teams.stream().mapToDouble(team -> reconciles(team, "conflict")).sum(),
                "no reconcile lost a race for a shared admission object");
        // The pool fence's and the namespaces' ValidatingAdmissionPolicies, each created once.
        assertEquals(2, requests.stream().filter(r -> "POST".equals(r.getMethod())
                && r.getPath().startsWith("/apis/admissionregistration.k8s.io/v1/validatingadmissionpolicies")).count());
        assertNotNull(client.resources(ValidatingAdmissionPolicy.class).withName(PoolFence.NAME).get());
    }

    /**
     * The requests the mock server received since the last call; it keeps each until taken, and
     * {@link #TAKEN} keeps every one taken since the operator started.
     */
    private List<RecordedRequest> takeRequests() {
        List<RecordedRequest> taken = new ArrayList<>();
        try {
            RecordedRequest request;
            while ((request = server.getKubernetesMockServer().takeRequest(100, TimeUnit.MILLISECONDS)) != null) {
                taken.add(request);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
        TAKEN.addAll(taken);
        return taken;
    }

    @Test
    void nodeAddedLaterJoinsAndNodeThatStopsMatchingLeavesClean() {
        client.resource(policy("sandbox", selectLabel("sandbox", "yes"), "isolated")).create();
        client.resource(node("late", Map.of("sandbox", "yes"))).create();
        await().atMost(TIMEOUT).untilAsserted(() -> assertEquals(Set.of("late"), poolOf("sandbox")));

        patchNode("late", "[{\"op\":\"replace\",\"path\":\"/metadata/labels/sandbox\",\"value\":\"no\"}]");

        await().atMost(TIMEOUT).untilAsserted(() -> {
            Node left = client.nodes().withName("late").get();
            assertNull(left.getMetadata().getLabels().get(Stockade.POOL_LABEL));
            assertFalse(hasAnyTaint(left, Stockade.SANDBOX_TAINT_KEY));
        });
        awaitStatus("sandbox", s -> s.getDesiredNodes() != null && s.getDesiredNodes() == 0
                && "NoNodes".equals(condition(s, "Ready").getReason()));
    }

    @Test
    void olderPolicyKeepsAConflictingNodeAndTheYoungerReportsIt() throws InterruptedException {
        client.resource(node("shared", Map.of("pool", "any"))).create();
        client.resource(policy("first", selectLabel("pool", "any"), "first-class")).create();
        await().atMost(TIMEOUT).untilAsserted(() -> assertEquals(Set.of("shared"), poolOf("first")));
        Thread.sleep(1100); // creationTimestamp has one-second resolution
        client.resource(policy("second", selectLabel("pool", "any"), "second-class")).create();

        SandboxPolicyStatus second = awaitStatus("second", s -> !s.getConflicts().isEmpty());
        assertEquals(List.of(new NodeConflict("shared", "first")), second.getConflicts());
        assertEquals(Set.of("shared"), poolOf("first"));
        await().atMost(TIMEOUT).untilAsserted(() -> assertTrue(events().stream().anyMatch(e ->
                "NodeConflict".equals(e.getReason()) && "second".equals(e.getInvolvedObject().getName()))));
    }

    @Test
    void handRemovedTaintAndLabelComeBackWhileOtherOwnersKeysAreKept() {
        Taint foreign = new TaintBuilder().withKey("example.com/gpu").withValue("true").withEffect("NoSchedule").build();
        client.resource(node("fenced", Map.of("sandbox", "yes", "team", "blue"), foreign)).create();
        client.resource(policy("sandbox", selectLabel("sandbox", "yes"), "isolated")).create();
        await().atMost(TIMEOUT).untilAsserted(() -> assertEquals(Set.of("fenced"), poolOf("sandbox")));

        Node fenced = client.nodes().withName("fenced").get();
        List<Taint> withoutOurs = fenced.getSpec().getTaints().stream()
                .filter(t -> !Stockade.SANDBOX_TAINT_KEY.equals(t.getKey())).toList();
        client.nodes().withName("fenced").edit(n -> {
            n.getSpec().setTaints(withoutOurs);
            n.getMetadata().getLabels().remove(Stockade.POOL_LABEL);
            return n;
        });

        await().atMost(TIMEOUT).untilAsserted(() -> {
            Node healed = client.nodes().withName("fenced").get();
            assertEquals("sandbox", healed.getMetadata().getLabels().get(Stockade.POOL_LABEL));
            assertTrue(hasTaint(healed, Stockade.SANDBOX_TAINT_KEY, "sandbox", "NoSchedule"));
            assertTrue(hasTaint(healed, "example.com/gpu", "true", "NoSchedule"), "another owner's taint survives");
            assertEquals("blue", healed.getMetadata().getLabels().get("team"));
        });
    }

    @Test
    void readinessFlowsFromTheInstallersLabelAndStatusIntoPolicyStatus() {
        client.resource(node("ready-node", Map.of("sandbox", "yes"))).create();
        client.resource(policy("sandbox", selectLabel("sandbox", "yes"), "isolated")).create();
        await().atMost(TIMEOUT).untilAsserted(() -> assertEquals(Set.of("ready-node"), poolOf("sandbox")));

        String profile = client.configMaps().inNamespace(NAMESPACE)
                .withName(PolicyObjects.profilesConfigMapName("sandbox")).get().getData().get("isolated.json");
        actAsInstaller("ready-node", NodeRuntimeStatus.Phase.Ready, Map.of("isolated", Profiles.hash(profile)), "verified");

        SandboxPolicyStatus ready = awaitStatus("sandbox", s -> "True".equals(condition(s, "Ready").getStatus()));
        assertEquals("1/1", ready.getNodes());
        assertEquals(List.of(new NodeStatus("ready-node", NodeStatus.NodePhase.Ready, "verified", "0.1.0")),
                ready.getNodeStatuses());
        assertEquals("False", condition(ready, "Progressing").getStatus());

        // An installer still running an old profile is not ready.
        actAsInstaller("ready-node", NodeRuntimeStatus.Phase.Ready, Map.of("isolated", "sha256:old"), "verified");
        SandboxPolicyStatus stale = awaitStatus("sandbox", s -> "False".equals(condition(s, "Ready").getStatus()));
        assertEquals(NodeStatus.NodePhase.Installing, stale.getNodeStatuses().getFirst().phase());

        actAsInstaller("ready-node", NodeRuntimeStatus.Phase.Failed, Map.of(), "containerd did not come back after restart");
        SandboxPolicyStatus failed = awaitStatus("sandbox", s -> "True".equals(condition(s, "Degraded").getStatus()));
        assertTrue(condition(failed, "Degraded").getMessage().contains("containerd did not come back"),
                condition(failed, "Degraded").getMessage());
    }

    @Test
    void statusIsWrittenOnlyWhenItChanges() {
        client.resource(node("quiet", Map.of("sandbox", "yes"))).create();
        client.resource(policy("sandbox", selectLabel("sandbox", "yes"), "isolated")).create();
        awaitStatus("sandbox", s -> s.getDesiredNodes() != null && s.getDesiredNodes() == 1);
        await().pollDelay(Duration.ofSeconds(1)).atMost(TIMEOUT).until(() -> true);
        String settled = client.resources(SandboxPolicy.class).withName("sandbox").get().getMetadata().getResourceVersion();
        Condition ready = condition(client.resources(SandboxPolicy.class).withName("sandbox").get().getStatus(), "Ready");

        // Unrelated node changes wake the policy but change nothing in its status.
        for (int i = 0; i < 3; i++) {
            patchNode("quiet", "[{\"op\":\"add\",\"path\":\"/metadata/labels/touch\",\"value\":\"" + i + "\"}]");
        }
        client.resource(node("unrelated", Map.of("sandbox", "no"))).create();

        await().during(Duration.ofSeconds(2)).atMost(TIMEOUT).untilAsserted(() -> assertEquals(settled,
                client.resources(SandboxPolicy.class).withName("sandbox").get().getMetadata().getResourceVersion()));
        assertEquals(ready.getLastTransitionTime(),
                condition(client.resources(SandboxPolicy.class).withName("sandbox").get().getStatus(), "Ready").getLastTransitionTime());
    }

    @Test
    void theInstallerRolloutsStatusUpdatesWakeNoReconcileButARemovedHashIsPutBack() {
        client.resource(node("rolling", Map.of("sandbox", "yes"))).create();
        client.resource(policy("sandbox", selectLabel("sandbox", "yes"), "isolated")).create();
        awaitStatus("sandbox", s -> s.getDesiredNodes() != null && s.getDesiredNodes() == 1);
        String name = PolicyObjects.installerDaemonSetName("sandbox");
        await().atMost(TIMEOUT).until(() -> client.apps().daemonSets().inNamespace(NAMESPACE).withName(name).get() != null);
        await().pollDelay(Duration.ofSeconds(1)).atMost(TIMEOUT).until(() -> true);
        double settled = reconciles("sandbox");

        // What the DaemonSet controller writes as installer pods are scheduled and become ready.
        for (int ready = 0; ready < 5; ready++) {
            DaemonSet live = client.apps().daemonSets().inNamespace(NAMESPACE).withName(name).get();
            live.setStatus(new DaemonSetStatusBuilder().withDesiredNumberScheduled(5).withNumberReady(ready).build());
            client.resource(live).updateStatus();
        }
        await().during(Duration.ofSeconds(2)).atMost(TIMEOUT).untilAsserted(() -> assertEquals(settled, reconciles("sandbox")));

        // Someone removes the desired-state hash: the policy wakes and writes the DaemonSet again.
        client.apps().daemonSets().inNamespace(NAMESPACE).withName(name).edit(ds -> {
            ds.getMetadata().getAnnotations().remove(PolicyObjects.DESIRED_HASH_ANNOTATION);
            return ds;
        });
        await().atMost(TIMEOUT).untilAsserted(() -> assertNotNull(client.apps().daemonSets().inNamespace(NAMESPACE).withName(name).get()
                .getMetadata().getAnnotations().get(PolicyObjects.DESIRED_HASH_ANNOTATION)));
        assertTrue(reconciles("sandbox") > settled);
    }

    private double reconciles(String policy) {
        return meters.find("stockade.reconciles").tag("policy", policy).counters().stream().mapToDouble(Counter::count).sum();
    }

    private double reconciles(String policy, String result) {
        return meters.find("stockade.reconciles").tag("policy", policy).tag("result", result).counters().stream()
                .mapToDouble(Counter::count).sum();
    }

    @Test
    void changingARuntimeClassHandlerReplacesTheRuntimeClass() {
        client.resource(policy("sandbox", selectLabel("sandbox", "yes"), "isolated")).create();
        await().atMost(TIMEOUT).until(() -> client.resources(RuntimeClass.class).withName("isolated").get() != null);
        String firstUid = client.resources(RuntimeClass.class).withName("isolated").get().getMetadata().getUid();

        client.resources(SandboxPolicy.class).withName("sandbox").edit(p -> {
            p.getSpec().getRuntimeClasses().getFirst().setHandler("custom-handler");
            return p;
        });

        await().atMost(TIMEOUT).untilAsserted(() -> {
            RuntimeClass replaced = client.resources(RuntimeClass.class).withName("isolated").get();
            assertNotNull(replaced);
            assertEquals("custom-handler", replaced.getHandler());
            assertNotEquals(firstUid, replaced.getMetadata().getUid());
        });
        await().atMost(TIMEOUT).untilAsserted(() -> assertTrue(client.apps().daemonSets().inNamespace(NAMESPACE)
                .withName(PolicyObjects.installerDaemonSetName("sandbox")).get().getSpec().getTemplate().getSpec()
                .getContainers().getFirst().getEnv().stream()
                .anyMatch(e -> e.getName().equals("STOCKADE_HANDLERS") && e.getValue().equals("isolated=custom-handler"))));
    }

    @Test
    void invalidSpecIsDegradedWithTheFieldNamedAndChangesNothing() {
        client.resource(node("untouched", Map.of("sandbox", "yes"))).create();
        SandboxPolicy invalid = policy("broken", selectLabel("sandbox", "yes"), "Not_A_Label");
        client.resource(invalid).create();

        SandboxPolicyStatus status = awaitStatus("broken", s -> "True".equals(condition(s, "Degraded").getStatus()));
        Condition degraded = condition(status, "Degraded");
        assertEquals("InvalidSpec", degraded.getReason());
        assertTrue(degraded.getMessage().contains("spec.runtimeClasses[0].name"), degraded.getMessage());
        assertNull(client.nodes().withName("untouched").get().getMetadata().getLabels().get(Stockade.POOL_LABEL));
        assertNull(client.apps().daemonSets().inNamespace(NAMESPACE).withName(PolicyObjects.installerDaemonSetName("broken")).get());
    }

    @Test
    void deletingAPolicyWaitsForTheInstallerThenLeavesNoTrace() {
        Taint foreign = new TaintBuilder().withKey("example.com/dedicated").withValue("ml").withEffect("NoExecute").build();
        client.resource(node("installed", Map.of("sandbox", "yes", "team", "blue"), foreign)).create();
        client.resource(node("never-installed", Map.of("sandbox", "yes"))).create();
        client.resource(policy("sandbox", selectLabel("sandbox", "yes"), "isolated", "strict")).create();
        await().atMost(TIMEOUT).untilAsserted(() -> assertEquals(Set.of("installed", "never-installed"), poolOf("sandbox")));
        actAsInstaller("installed", NodeRuntimeStatus.Phase.Ready, Map.of(), "verified");

        client.resources(SandboxPolicy.class).withName("sandbox").delete();

        // The installer is asked to uninstall, and the node stays fenced until it has.
        await().atMost(TIMEOUT).untilAsserted(() -> assertTrue(RemovalRequest.parse(annotation("installed",
                Stockade.REMOVAL_REQUEST_ANNOTATION)).isPresent()));
        assertEquals("sandbox", client.nodes().withName("installed").get().getMetadata().getLabels().get(Stockade.POOL_LABEL));
        client.nodes().withName("installed").edit(n -> {
            n.getMetadata().getLabels().remove(Stockade.RUNTIME_READY_LABEL);
            n.getMetadata().getAnnotations().remove(Stockade.RUNTIME_STATUS_ANNOTATION);
            return n;
        });

        await().atMost(TIMEOUT).until(() -> client.resources(SandboxPolicy.class).withName("sandbox").get() == null);
        for (String name : List.of("installed", "never-installed")) {
            Node clean = client.nodes().withName(name).get();
            assertTrue(stockadeKeys(clean).isEmpty(), name + " still has " + stockadeKeys(clean));
            assertFalse(hasAnyTaint(clean, Stockade.SANDBOX_TAINT_KEY));
        }
        Node installed = client.nodes().withName("installed").get();
        assertTrue(hasTaint(installed, "example.com/dedicated", "ml", "NoExecute"));
        assertEquals("blue", installed.getMetadata().getLabels().get("team"));
        assertNull(client.apps().daemonSets().inNamespace(NAMESPACE).withName(PolicyObjects.installerDaemonSetName("sandbox")).get());
        assertNull(client.configMaps().inNamespace(NAMESPACE).withName(PolicyObjects.profilesConfigMapName("sandbox")).get());
        assertNull(client.resources(RuntimeClass.class).withName("isolated").get());
        assertNull(client.resources(RuntimeClass.class).withName("strict").get());
        assertNull(client.resources(ValidatingAdmissionPolicyBinding.class).withName(PoolFence.bindingName("sandbox")).get());
        assertNull(client.resources(ValidatingAdmissionPolicy.class).withName(PoolFence.NAME).get(), "no policy left, no fence");
    }

    @Test
    void anInstallerThatNeverAnswersIsOverriddenAfterTheRemovalTimeout() {
        client.resource(node("silent", Map.of("sandbox", "yes"))).create();
        client.resource(policy("sandbox", selectLabel("sandbox", "yes"), "isolated")).create();
        await().atMost(TIMEOUT).untilAsserted(() -> assertEquals(Set.of("silent"), poolOf("sandbox")));
        actAsInstaller("silent", NodeRuntimeStatus.Phase.Ready, Map.of(), "verified");

        patchNode("silent", "[{\"op\":\"replace\",\"path\":\"/metadata/labels/sandbox\",\"value\":\"no\"}]");

        // The test profile sets a 3 s removal timeout.
        await().atMost(TIMEOUT).untilAsserted(() -> assertTrue(stockadeKeys(client.nodes().withName("silent").get()).isEmpty()));
        assertTrue(events().stream().anyMatch(e -> "RemovalForced".equals(e.getReason())));
    }

    // --- helpers -------------------------------------------------------------------------------

    /** Writes what the installer writes on its node: the ready label (when Ready) and its status. */
    private void actAsInstaller(String nodeName, NodeRuntimeStatus.Phase phase, Map<String, String> hashes, String message) {
        NodeRuntimeStatus status = new NodeRuntimeStatus("sandbox", phase, "0.1.0", List.of("stockade-isolated"), hashes, message);
        client.nodes().withName(nodeName).edit(n -> {
            if (phase == NodeRuntimeStatus.Phase.Ready) {
                n.getMetadata().getLabels().put(Stockade.RUNTIME_READY_LABEL, "sandbox");
            } else {
                n.getMetadata().getLabels().remove(Stockade.RUNTIME_READY_LABEL);
            }
            if (n.getMetadata().getAnnotations() == null) {
                n.getMetadata().setAnnotations(new java.util.HashMap<>());
            }
            n.getMetadata().getAnnotations().put(Stockade.RUNTIME_STATUS_ANNOTATION, status.toJson());
            return n;
        });
    }

    private void patchNode(String name, String jsonPatch) {
        client.nodes().withName(name).patch(PatchContext.of(PatchType.JSON), jsonPatch);
    }

    private Set<String> poolOf(String policy) {
        return client.nodes().list().getItems().stream()
                .filter(n -> n.getMetadata().getLabels() != null
                        && policy.equals(n.getMetadata().getLabels().get(Stockade.POOL_LABEL)))
                .filter(n -> hasTaint(n, Stockade.SANDBOX_TAINT_KEY, policy, "NoSchedule"))
                .map(n -> n.getMetadata().getName())
                .collect(Collectors.toSet());
    }

    private SandboxPolicyStatus awaitStatus(String policy, java.util.function.Predicate<SandboxPolicyStatus> until) {
        return await().atMost(TIMEOUT).until(() -> {
            SandboxPolicy live = client.resources(SandboxPolicy.class).withName(policy).get();
            return live == null ? null : live.getStatus();
        }, status -> status != null && status.getConditions() != null && !status.getConditions().isEmpty() && until.test(status));
    }

    private String annotation(String nodeName, String key) {
        Map<String, String> annotations = client.nodes().withName(nodeName).get().getMetadata().getAnnotations();
        return annotations == null ? null : annotations.get(key);
    }

    private List<Event> events() {
        return client.v1().events().inNamespace("default").list().getItems();
    }

    private static Set<String> stockadeKeys(Node node) {
        Set<String> keys = new java.util.TreeSet<>();
        if (node.getMetadata().getLabels() != null) {
            node.getMetadata().getLabels().keySet().stream().filter(k -> k.startsWith(Stockade.GROUP)).forEach(keys::add);
        }
        if (node.getMetadata().getAnnotations() != null) {
            node.getMetadata().getAnnotations().keySet().stream().filter(k -> k.startsWith(Stockade.GROUP)).forEach(keys::add);
        }
        return keys;
    }

    private static Condition condition(SandboxPolicyStatus status, String type) {
        return status.getConditions().stream().filter(c -> type.equals(c.getType())).findFirst().orElseThrow();
    }

    private static boolean hasTaint(Node node, String key, String value, String effect) {
        return node.getSpec().getTaints() != null && node.getSpec().getTaints().stream().anyMatch(t ->
                key.equals(t.getKey()) && Objects.equals(value, t.getValue()) && effect.equals(t.getEffect()));
    }

    private static boolean hasAnyTaint(Node node, String key) {
        return node.getSpec().getTaints() != null && node.getSpec().getTaints().stream().anyMatch(t -> key.equals(t.getKey()));
    }
}
