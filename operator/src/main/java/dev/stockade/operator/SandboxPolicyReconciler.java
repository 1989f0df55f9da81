package dev.stockade.operator;

import dev.stockade.api.Stockade;
import dev.stockade.api.profile.Profiles;
import dev.stockade.operator.config.OperatorConfig;
import dev.stockade.operator.install.InstallerDaemonSet;
import dev.stockade.operator.install.ProfileConfigMap;
import dev.stockade.operator.policy.NodeConflict;
import dev.stockade.operator.policy.NodeStatus;
import dev.stockade.operator.policy.PolicyObjects;
import dev.stockade.operator.policy.PolicyValidator;
import dev.stockade.operator.policy.RuntimeClassSpec;
import dev.stockade.operator.policy.SandboxPolicy;
import dev.stockade.operator.policy.SandboxPolicyStatus;
import dev.stockade.operator.pool.NodeFence;
import dev.stockade.operator.pool.NodePatcher;
import dev.stockade.operator.pool.NodePhases;
import dev.stockade.operator.pool.PoolAssignment;
import dev.stockade.operator.runtimeclass.RuntimeClasses;
import dev.stockade.operator.status.ApiFailures;
import dev.stockade.operator.status.PolicyEvents;
import dev.stockade.operator.status.PolicyMetrics;
import dev.stockade.operator.status.PolicyStatusBuilder;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.apps.DaemonSet;
import io.fabric8.kubernetes.api.model.node.v1.RuntimeClass;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.javaoperatorsdk.operator.api.config.informer.InformerEventSourceConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.Cleaner;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.ControllerConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.DeleteControl;
import io.javaoperatorsdk.operator.api.reconciler.ErrorStatusUpdateControl;
import io.javaoperatorsdk.operator.api.reconciler.EventSourceContext;
import io.javaoperatorsdk.operator.api.reconciler.Reconciler;
import io.javaoperatorsdk.operator.api.reconciler.UpdateControl;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import io.javaoperatorsdk.operator.processing.event.source.EventSource;
import io.javaoperatorsdk.operator.processing.event.source.informer.InformerEventSource;
import io.javaoperatorsdk.operator.processing.event.source.informer.Mappers;
import io.quarkiverse.operatorsdk.annotations.RBACRule;
import io.quarkiverse.operatorsdk.annotations.RBACVerbs;
import org.jboss.logging.Logger;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Reconciles a SandboxPolicy into a fenced node pool with its installer DaemonSet, profile
 * ConfigMap and RuntimeClasses. Every reconcile computes the whole desired state from the caches
 * and changes only what differs; the desired objects come from the pure builders, this class only
 * talks to the API.
 */
@ControllerConfiguration(name = SandboxPolicyReconciler.NAME)
@RBACRule(apiGroups = "", resources = "nodes", verbs = {RBACVerbs.GET, RBACVerbs.LIST, RBACVerbs.WATCH, RBACVerbs.PATCH})
@RBACRule(apiGroups = "", resources = "configmaps", verbs = {RBACVerbs.GET, RBACVerbs.LIST, RBACVerbs.WATCH,
        RBACVerbs.CREATE, RBACVerbs.UPDATE, RBACVerbs.DELETE})
@RBACRule(apiGroups = "apps", resources = "daemonsets", verbs = {RBACVerbs.GET, RBACVerbs.LIST, RBACVerbs.WATCH,
        RBACVerbs.CREATE, RBACVerbs.UPDATE, RBACVerbs.DELETE})
@RBACRule(apiGroups = "node.k8s.io", resources = "runtimeclasses", verbs = {RBACVerbs.GET, RBACVerbs.LIST,
        RBACVerbs.WATCH, RBACVerbs.CREATE, RBACVerbs.UPDATE, RBACVerbs.DELETE})
@RBACRule(apiGroups = "", resources = "events", verbs = {RBACVerbs.CREATE, RBACVerbs.PATCH})
// fabric8's LeaderElector renews the Lease with a PATCH: without it the leader loses its Lease and
// exits at the first renewal (seen on a real API server).
@RBACRule(apiGroups = "coordination.k8s.io", resources = "leases", verbs = {RBACVerbs.GET, RBACVerbs.CREATE,
        RBACVerbs.UPDATE, RBACVerbs.PATCH})
public class SandboxPolicyReconciler implements Reconciler<SandboxPolicy>, Cleaner<SandboxPolicy> {

    public static final String NAME = "sandboxpolicy";
    private static final Logger LOG = Logger.getLogger(SandboxPolicyReconciler.class);
    private static final Duration WAIT_FOR_INSTALLERS = Duration.ofSeconds(10);

    private final KubernetesClient client;
    private final OperatorConfig config;
    private final NodePatcher nodePatcher;
    private final PolicyEvents events;
    private final PolicyMetrics metrics;
    private InformerEventSource<Node, SandboxPolicy> nodes;
    private InformerEventSource<RuntimeClass, SandboxPolicy> runtimeClasses;

    public SandboxPolicyReconciler(KubernetesClient client, OperatorConfig config, NodePatcher nodePatcher,
                                   PolicyEvents events, PolicyMetrics metrics) {
        this.client = client;
        this.config = config;
        this.nodePatcher = nodePatcher;
        this.events = events;
        this.metrics = metrics;
    }

    @Override
    public List<EventSource<?, SandboxPolicy>> prepareEventSources(EventSourceContext<SandboxPolicy> context) {
        // Any node change may move nodes between pools, so it concerns every policy.
        nodes = new InformerEventSource<>(InformerEventSourceConfiguration.from(Node.class, SandboxPolicy.class)
                .withName("nodes")
                .withSecondaryToPrimaryMapper(node -> context.getPrimaryCache().list()
                        .map(ResourceID::fromResource).collect(Collectors.toSet()))
                .withOnUpdateFilter(NodeChanges::concernsStockade)
                .build(), context);
        runtimeClasses = ownedObjects(RuntimeClass.class, "runtimeclasses", null, context);
        InformerEventSource<DaemonSet, SandboxPolicy> daemonSets = ownedObjects(DaemonSet.class, "daemonsets", config.namespace(), context);
        InformerEventSource<ConfigMap, SandboxPolicy> configMaps = ownedObjects(ConfigMap.class, "configmaps", config.namespace(), context);
        return List.of(nodes, runtimeClasses, daemonSets, configMaps);
    }

    /** Objects this operator created (its label), mapped back to their policy by owner reference. */
    private static <R extends HasMetadata> InformerEventSource<R, SandboxPolicy> ownedObjects(
            Class<R> type, String name, String namespace, EventSourceContext<SandboxPolicy> context) {
        InformerEventSourceConfiguration.Builder<R> configuration = InformerEventSourceConfiguration.from(type, SandboxPolicy.class)
                .withName(name)
                .withLabelSelector(PolicyObjects.MANAGED_BY_LABEL + "=" + PolicyObjects.MANAGED_BY)
                .withSecondaryToPrimaryMapper(Mappers.fromOwnerReferences(SandboxPolicy.class, true));
        if (namespace != null) {
            configuration.withNamespaces(namespace);
        }
        return new InformerEventSource<>(configuration.build(), context);
    }

    @Override
    public UpdateControl<SandboxPolicy> reconcile(SandboxPolicy policy, Context<SandboxPolicy> context) {
        String name = policy.getMetadata().getName();
        SandboxPolicyStatus previous = policy.getStatus();
        PolicyStatusBuilder status = new PolicyStatusBuilder(generation(policy), previous, Instant.now());

        List<String> problems = PolicyValidator.validate(policy);
        if (!problems.isEmpty()) {
            // Leave the pool as it is: half-applying a broken spec could strip a working pool.
            SandboxPolicyStatus invalid = status.specProblems(problems).build();
            if (!hasSameCondition(previous, invalid, PolicyStatusBuilder.DEGRADED)) {
                events.warning(policy, "InvalidSpec", String.join("; ", problems));
            }
            writeStatus(policy, invalid);
            metrics.recordReconcile(name, "invalid");
            return UpdateControl.noUpdate();
        }

        ConfigMap profiles = ProfileConfigMap.desired(policy, config.namespace());
        createOrUpdate(profiles, liveConfigMap(name));

        List<PoolAssignment.Claim> claims = claims(context);
        Set<String> livePolicies = claims.stream().map(PoolAssignment.Claim::policy).collect(Collectors.toSet());
        PoolAssignment.Pool pool = PoolAssignment.assign(claims, nodes.list().toList()).poolOf(name);
        Map<String, String> desiredHashes = profileHashes(policy);
        List<NodeStatus> members = new ArrayList<>();
        for (String nodeName : pool.members()) {
            nodes.get(new ResourceID(nodeName))
                    .ifPresent(node -> members.add(fenceMember(policy, node, desiredHashes, livePolicies)));
        }
        List<NodeStatus> leaving = new ArrayList<>();
        for (Node node : heldNodes(name)) {
            if (!pool.members().contains(node.getMetadata().getName())) {
                removeFromPool(policy, node).ifPresent(leaving::add);
            }
        }

        DaemonSet daemonSet = InstallerDaemonSet.desired(policy, config, profiles.getMetadata().getAnnotations()
                .get(PolicyObjects.PROFILES_HASH_ANNOTATION));
        createOrUpdate(daemonSet, liveDaemonSet(name));

        List<String> runtimeClassProblems = publishRuntimeClasses(policy);

        SandboxPolicyStatus next = status
                .operationalProblems(runtimeClassProblems)
                .members(members)
                .leaving(leaving)
                .conflicts(pool.conflicts())
                .runtimeClassNames(policy.getSpec().getRuntimeClasses().stream().map(RuntimeClassSpec::getName).toList())
                .build();
        announceTransitions(policy, previous, next);
        writeStatus(policy, next);
        metrics.recordPool(name, next.getNodeStatuses());
        metrics.recordReconcile(name, "ok");
        // Removal timeouts and nodes another policy still has to release need a look later
        // even if no event arrives.
        boolean waiting = !leaving.isEmpty() || pool.members().stream().anyMatch(nodeName -> nodes.get(new ResourceID(nodeName))
                .flatMap(PoolAssignment::poolLabel).filter(holder -> !holder.equals(name) && livePolicies.contains(holder))
                .isPresent());
        return waiting ? UpdateControl.<SandboxPolicy>noUpdate().rescheduleAfter(WAIT_FOR_INSTALLERS)
                : UpdateControl.noUpdate();
    }

    /**
     * Any failed reconcile (a 403, a webhook's refusal, a quota…) sets Degraded/ApiError naming the
     * call and the server's answer, so it shows in the policy and not only in the log; the
     * framework retries, and the next successful reconcile clears it.
     */
    @Override
    public ErrorStatusUpdateControl<SandboxPolicy> updateErrorStatus(SandboxPolicy policy, Context<SandboxPolicy> context, Exception e) {
        String name = policy.getMetadata().getName();
        String failure = ApiFailures.describe(e);
        SandboxPolicyStatus degraded = new PolicyStatusBuilder(generation(policy), policy.getStatus(), Instant.now()).apiFailure(failure);
        if (!hasSameCondition(policy.getStatus(), degraded, PolicyStatusBuilder.DEGRADED)) {
            events.warning(policy, "ApiError", failure);
        }
        try {
            writeStatus(policy, degraded);
        } catch (RuntimeException statusFailure) {
            LOG.warnf("policy %s: cannot record the failure in its status (%s): %s", name, statusFailure.getMessage(), failure);
        }
        metrics.recordReconcile(name, "error");
        return ErrorStatusUpdateControl.noStatusUpdate();
    }

    @Override
    public DeleteControl cleanup(SandboxPolicy policy, Context<SandboxPolicy> context) {
        String name = policy.getMetadata().getName();
        List<NodeStatus> leaving = new ArrayList<>();
        for (Node node : heldNodes(name)) {
            removeFromPool(policy, node).ifPresent(leaving::add);
        }
        if (!leaving.isEmpty()) {
            SandboxPolicyStatus removing = new PolicyStatusBuilder(generation(policy), policy.getStatus(), Instant.now())
                    .leaving(leaving)
                    .runtimeClassNames(List.of())
                    .build();
            writeStatus(policy, removing);
            return DeleteControl.noFinalizerRemoval().rescheduleAfter(WAIT_FOR_INSTALLERS);
        }
        // Nodes are clean: now the objects garbage collection would also remove, so nothing
        // lingers on clusters where it is slow or owner references were stripped.
        liveDaemonSet(name).ifPresent(ds -> client.resource(ds).delete());
        liveConfigMap(name).ifPresent(cm -> client.resource(cm).delete());
        ownedRuntimeClasses(name).forEach(rc -> client.resource(rc).delete());
        metrics.forget(name);
        events.normal(policy, "PoolRemoved", "every node released; DaemonSet, ConfigMap and RuntimeClasses deleted");
        return DeleteControl.defaultDelete();
    }

    /** Fences a node of the pool, or reports that an older policy has yet to release it. */
    private NodeStatus fenceMember(SandboxPolicy policy, Node node, Map<String, String> desiredHashes,
                                   Set<String> livePolicies) {
        String name = policy.getMetadata().getName();
        Optional<String> holder = PoolAssignment.poolLabel(node).filter(p -> !p.equals(name));
        if (holder.isPresent() && livePolicies.contains(holder.get())) {
            return NodePhases.waitingFor(node.getMetadata().getName(), holder.get());
        }
        Node current = node;
        if (holder.isPresent()) {
            // Left behind by a policy that no longer exists: nobody else will ever clean it.
            current = nodePatcher.apply(current, n -> NodeFence.of(n, holder.get()).release(true)).orElse(current);
            LOG.infof("policy %s: removed leftovers of deleted policy %s from node %s", name, holder.get(),
                    node.getMetadata().getName());
        }
        String effect = policy.getSpec().effectiveTaintEffect().name();
        Node fenced = nodePatcher.apply(current, n -> NodeFence.of(n, name).fence(effect)).orElse(current);
        return NodePhases.member(fenced, name, desiredHashes);
    }

    /**
     * Takes a node out of the pool: its installer uninstalls first (asked through an annotation),
     * then the taint and pool label go. Returns the node's status while that is under way, or empty
     * once the node is clean.
     */
    private Optional<NodeStatus> removeFromPool(SandboxPolicy policy, Node node) {
        String name = policy.getMetadata().getName();
        String nodeName = node.getMetadata().getName();
        NodeFence fence = NodeFence.of(node, name);
        if (!fence.hasInstallerFootprint()) {
            nodePatcher.apply(node, current -> NodeFence.of(current, name).release(false));
            LOG.infof("policy %s: node %s left the pool", name, nodeName);
            return Optional.empty();
        }
        Optional<Instant> requestedAt = fence.ownRemovalRequest().map(r -> r.requestedAt());
        if (requestedAt.isEmpty()) {
            nodePatcher.apply(node, current -> NodeFence.of(current, name).requestRemoval(Instant.now()));
            events.normal(policy, "NodeLeaving", "asked the installer on node " + nodeName + " to uninstall");
            return Optional.of(NodePhases.removing(node, name, null, config.removalTimeout()));
        }
        Duration waited = Duration.between(requestedAt.get(), Instant.now());
        if (waited.compareTo(config.removalTimeout()) >= 0) {
            nodePatcher.apply(node, current -> NodeFence.of(current, name).release(true));
            events.warning(policy, "RemovalForced", "the installer on node " + nodeName + " did not uninstall within "
                    + config.removalTimeout() + "; removed Stockade's labels and taint without it. Check the host for "
                    + "leftovers under " + Stockade.HOST_RUNTIME_DIR + " and the container runtime's configuration");
            return Optional.empty();
        }
        return Optional.of(NodePhases.removing(node, name, waited, config.removalTimeout()));
    }

    /**
     * Creates, updates or replaces the RuntimeClasses and deletes the ones no longer in the spec.
     * Returns problems that block a class (a RuntimeClass of that name that is not ours).
     */
    private List<String> publishRuntimeClasses(SandboxPolicy policy) {
        String name = policy.getMetadata().getName();
        List<String> problems = new ArrayList<>();
        Set<String> wanted = new HashSet<>();
        for (RuntimeClass desired : RuntimeClasses.desired(policy)) {
            String className = desired.getMetadata().getName();
            wanted.add(className);
            RuntimeClass live = client.resources(RuntimeClass.class).withName(className).get();
            if (live == null) {
                client.resource(desired).create();
                LOG.infof("policy %s: created RuntimeClass %s (handler %s)", name, className, desired.getHandler());
            } else if (!ownedBy(live, policy)) {
                problems.add("RuntimeClass " + className + " already exists and does not belong to this policy; "
                        + "rename spec.runtimeClasses entry " + className + " or delete the existing RuntimeClass");
            } else if (!Objects.equals(live.getHandler(), desired.getHandler())) {
                // The handler of a RuntimeClass is immutable.
                client.resource(live).withGracePeriod(0).delete();
                client.resource(desired).create();
                LOG.infof("policy %s: replaced RuntimeClass %s, handler %s -> %s", name, className, live.getHandler(),
                        desired.getHandler());
            } else if (!RuntimeClasses.sameSpec(live, desired)) {
                desired.getMetadata().setResourceVersion(live.getMetadata().getResourceVersion());
                client.resource(desired).update();
            }
        }
        for (RuntimeClass owned : ownedRuntimeClasses(name)) {
            if (!wanted.contains(owned.getMetadata().getName())) {
                client.resource(owned).delete();
                LOG.infof("policy %s: deleted RuntimeClass %s, no longer in the spec", name, owned.getMetadata().getName());
            }
        }
        return problems;
    }

    private void announceTransitions(SandboxPolicy policy, SandboxPolicyStatus previous, SandboxPolicyStatus next) {
        Set<NodeConflict> known = previous == null || previous.getConflicts() == null
                ? Set.of() : new HashSet<>(previous.getConflicts());
        for (NodeConflict conflict : next.getConflicts()) {
            if (!known.contains(conflict)) {
                events.warning(policy, "NodeConflict", "node " + conflict.node() + " matches spec.nodeSelector but belongs to "
                        + "the pool of policy " + conflict.heldBy() + ", which keeps it");
            }
        }
        Map<String, NodeStatus.NodePhase> before = new LinkedHashMap<>();
        if (previous != null && previous.getNodeStatuses() != null) {
            previous.getNodeStatuses().forEach(n -> before.put(n.name(), n.phase()));
        }
        for (NodeStatus node : next.getNodeStatuses()) {
            if (node.phase() == NodeStatus.NodePhase.Failed && before.get(node.name()) != NodeStatus.NodePhase.Failed) {
                events.warning(policy, "NodeFailed", "installer on node " + node.name() + " failed: " + node.message());
            } else if (node.phase() == NodeStatus.NodePhase.Ready && before.get(node.name()) != NodeStatus.NodePhase.Ready) {
                LOG.infof("policy %s: node %s ready", policy.getMetadata().getName(), node.name());
            }
        }
        if (!hasSameCondition(previous, next, PolicyStatusBuilder.READY)
                && "True".equals(condition(next, PolicyStatusBuilder.READY))) {
            events.normal(policy, "PoolReady", PolicyStatusBuilder.readySummary(next.getReadyNodes()));
        }
    }

    private void writeStatus(SandboxPolicy policy, SandboxPolicyStatus next) {
        if (next.equals(policy.getStatus())) {
            return;
        }
        SandboxPolicy patch = new SandboxPolicy();
        patch.setMetadata(new ObjectMetaBuilder()
                .withName(policy.getMetadata().getName())
                .withResourceVersion(policy.getMetadata().getResourceVersion())
                .build());
        patch.setStatus(next);
        // A status PUT with the resourceVersion we computed from: a newer policy fails with 409 and
        // the framework reconciles again with fresh data.
        client.resource(patch).updateStatus();
    }

    private List<PoolAssignment.Claim> claims(Context<SandboxPolicy> context) {
        return context.getPrimaryCache().list()
                .map(p -> new PoolAssignment.Claim(p.getMetadata().getName(), creationTime(p),
                        p.getSpec() == null ? null : p.getSpec().getNodeSelector(),
                        p.getSpec() == null ? null : p.getSpec().getMaxNodes(),
                        p.getMetadata().getDeletionTimestamp() != null || !PolicyValidator.validate(p).isEmpty()))
                .toList();
    }

    private List<Node> heldNodes(String policy) {
        return nodes.list().filter(n -> PoolAssignment.poolLabel(n).map(policy::equals).orElse(false)).toList();
    }

    private Optional<ConfigMap> liveConfigMap(String policy) {
        return Optional.ofNullable(client.configMaps().inNamespace(config.namespace())
                .withName(PolicyObjects.profilesConfigMapName(policy)).get());
    }

    private Optional<DaemonSet> liveDaemonSet(String policy) {
        return Optional.ofNullable(client.apps().daemonSets().inNamespace(config.namespace())
                .withName(PolicyObjects.installerDaemonSetName(policy)).get());
    }

    private List<RuntimeClass> ownedRuntimeClasses(String policy) {
        return runtimeClasses.list()
                .filter(rc -> rc.getMetadata().getLabels() != null
                        && policy.equals(rc.getMetadata().getLabels().get(PolicyObjects.POLICY_LABEL)))
                .toList();
    }

    private static boolean ownedBy(HasMetadata resource, SandboxPolicy policy) {
        return resource.getMetadata().getOwnerReferences() != null && resource.getMetadata().getOwnerReferences().stream()
                .anyMatch(ref -> Objects.equals(ref.getUid(), policy.getMetadata().getUid()));
    }

    /**
     * Creates the object, or updates it when its desired-state hash changed or someone removed the
     * hash. Comparing hashes instead of whole specs keeps server-side defaults from causing an
     * update on every reconcile.
     */
    private <T extends HasMetadata> void createOrUpdate(T desired, Optional<T> live) {
        PolicyObjects.stampDesiredHash(desired);
        if (live.isEmpty()) {
            client.resource(desired).create();
            LOG.infof("created %s %s/%s", desired.getKind(), desired.getMetadata().getNamespace(), desired.getMetadata().getName());
        } else if (!PolicyObjects.sameDesiredHash(live.get(), desired)) {
            desired.getMetadata().setResourceVersion(live.get().getMetadata().getResourceVersion());
            client.resource(desired).update();
            LOG.infof("updated %s %s/%s", desired.getKind(), desired.getMetadata().getNamespace(), desired.getMetadata().getName());
        }
    }

    private static Map<String, String> profileHashes(SandboxPolicy policy) {
        Map<String, String> hashes = new LinkedHashMap<>();
        for (RuntimeClassSpec runtimeClass : policy.getSpec().getRuntimeClasses()) {
            hashes.put(runtimeClass.getName(), Profiles.hash(Profiles.render(runtimeClass.effectiveProfile())));
        }
        return hashes;
    }

    private static boolean hasSameCondition(SandboxPolicyStatus previous, SandboxPolicyStatus next, String type) {
        return previous != null && Objects.equals(condition(previous, type), condition(next, type))
                && Objects.equals(conditionMessage(previous, type), conditionMessage(next, type));
    }

    private static String condition(SandboxPolicyStatus status, String type) {
        return status.getConditions() == null ? null : status.getConditions().stream()
                .filter(c -> type.equals(c.getType())).map(c -> c.getStatus()).findFirst().orElse(null);
    }

    private static String conditionMessage(SandboxPolicyStatus status, String type) {
        return status.getConditions() == null ? null : status.getConditions().stream()
                .filter(c -> type.equals(c.getType())).map(c -> c.getMessage()).findFirst().orElse(null);
    }

    private static long generation(SandboxPolicy policy) {
        return policy.getMetadata().getGeneration() == null ? 0 : policy.getMetadata().getGeneration();
    }

    private static Instant creationTime(SandboxPolicy policy) {
        String created = policy.getMetadata().getCreationTimestamp();
        return created == null ? null : Instant.parse(created);
    }
}
