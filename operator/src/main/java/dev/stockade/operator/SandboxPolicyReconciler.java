package dev.stockade.operator;

import dev.stockade.api.Stockade;
import dev.stockade.api.node.HostLayout;
import dev.stockade.api.profile.Profiles;
import dev.stockade.operator.admission.NamespaceRuntimeClass;
import dev.stockade.operator.admission.PoolFence;
import dev.stockade.operator.config.OperatorConfig;
import dev.stockade.operator.config.SettingsCheck;
import dev.stockade.operator.install.InstallerDaemonSet;
import dev.stockade.operator.install.ProfileConfigMap;
import dev.stockade.operator.policy.NodeStatus;
import dev.stockade.operator.policy.PolicyObjects;
import dev.stockade.operator.policy.PolicyValidator;
import dev.stockade.operator.policy.RuntimeClassSpec;
import dev.stockade.operator.policy.SandboxPolicy;
import dev.stockade.operator.policy.SandboxPolicySpec;
import dev.stockade.operator.policy.SandboxPolicyStatus;
import dev.stockade.operator.pool.BoundedParallel;
import dev.stockade.operator.pool.NodeChanges;
import dev.stockade.operator.pool.NodeConcerns;
import dev.stockade.operator.pool.NodeFence;
import dev.stockade.operator.pool.NodePatcher;
import dev.stockade.operator.pool.NodePhases;
import dev.stockade.operator.pool.NodeRemoval;
import dev.stockade.operator.pool.PoolAssignment;
import dev.stockade.operator.pool.Requeue;
import dev.stockade.operator.pool.SlimNodeStore;
import dev.stockade.operator.runtimeclass.RuntimeClassPlan;
import dev.stockade.operator.status.AdmissionFence;
import dev.stockade.operator.status.ApiFailures;
import dev.stockade.operator.status.PolicyEvents;
import dev.stockade.operator.status.PolicyMetrics;
import dev.stockade.operator.status.PolicyStatusBuilder;
import dev.stockade.operator.status.PolicyTransitions;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.admissionregistration.v1.ValidatingAdmissionPolicy;
import io.fabric8.kubernetes.api.model.admissionregistration.v1.ValidatingAdmissionPolicyBinding;
import io.fabric8.kubernetes.api.model.admissionregistration.v1beta1.MutatingAdmissionPolicy;
import io.fabric8.kubernetes.api.model.admissionregistration.v1beta1.MutatingAdmissionPolicyBinding;
import io.fabric8.kubernetes.api.model.apps.DaemonSet;
import io.fabric8.kubernetes.api.model.node.v1.RuntimeClass;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
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
import io.javaoperatorsdk.operator.processing.event.source.filter.OnUpdateFilter;
import io.javaoperatorsdk.operator.processing.event.source.informer.InformerEventSource;
import io.javaoperatorsdk.operator.processing.event.source.informer.Mappers;
import io.quarkiverse.operatorsdk.annotations.RBACRule;
import io.quarkiverse.operatorsdk.annotations.RBACVerbs;
import org.jboss.logging.Logger;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
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
// The pool fence (a shared ValidatingAdmissionPolicy, a binding per policy) and the opt-in
// namespaces' shared admission policies. Not narrowed by
// resourceNames: the Operator SDK's RBAC generation drops them, and "create" cannot be narrowed.
@RBACRule(apiGroups = "admissionregistration.k8s.io",
        resources = {"validatingadmissionpolicies", "validatingadmissionpolicybindings", "mutatingadmissionpolicies",
                "mutatingadmissionpolicybindings"},
        verbs = {RBACVerbs.GET, RBACVerbs.CREATE, RBACVerbs.UPDATE, RBACVerbs.DELETE})
// fabric8's LeaderElector renews the Lease with a PATCH: without it the leader loses its Lease and
// exits at the first renewal (seen on a real API server).
@RBACRule(apiGroups = "coordination.k8s.io", resources = "leases", verbs = {RBACVerbs.GET, RBACVerbs.CREATE,
        RBACVerbs.UPDATE, RBACVerbs.PATCH})
public class SandboxPolicyReconciler implements Reconciler<SandboxPolicy>, Cleaner<SandboxPolicy> {

    public static final String NAME = "sandboxpolicy";
    private static final Logger LOG = Logger.getLogger(SandboxPolicyReconciler.class);

    private final KubernetesClient client;
    private final OperatorConfig config;
    private final NodePatcher nodePatcher;
    /** Node patches in flight, over all reconciles. */
    private final BoundedParallel nodeWrites;
    private final PolicyEvents events;
    private final PolicyMetrics metrics;
    private InformerEventSource<Node, SandboxPolicy> nodes;
    private final NodeConcerns nodeConcerns = new NodeConcerns();
    private InformerEventSource<RuntimeClass, SandboxPolicy> runtimeClasses;
    private InformerEventSource<DaemonSet, SandboxPolicy> daemonSets;
    private InformerEventSource<ConfigMap, SandboxPolicy> configMaps;
    /** Admission objects have no informer (their API may not be served): what was last applied, and when. */
    private final Map<String, Applied> applied = new java.util.concurrent.ConcurrentHashMap<>();
    /**
     * Held while the admission objects are computed and written. Every policy's reconcile writes
     * the shared ones (the pool fence's policy, the namespaces' policies and bindings): 20 policies
     * created at once had 4 reconcile threads each read, then create or update, the same object,
     * and the losers' 409s sent their policies into the SDK's retry backoff.
     */
    private final Object admissionWrites = new Object();

    /** An object as last written or found, by its desired-state hash. */
    private record Applied(String desiredHash, Instant at) {
    }

    /**
     * How long an applied admission object is trusted without reading it back: less than the
     * settled requeue, so that every periodic reconcile puts back one that someone deleted.
     */
    private static final Duration RECHECK_APPLIED = Requeue.SETTLED.minusMinutes(1);

    /** Nodes per page of the node informer's list (at start and after a lost watch). */
    static final long NODE_LIST_PAGE = 500;

    public SandboxPolicyReconciler(KubernetesClient client, OperatorConfig config, NodePatcher nodePatcher,
                                   PolicyEvents events, PolicyMetrics metrics) {
        this.client = client;
        this.config = config;
        this.nodePatcher = nodePatcher;
        SettingsCheck.check(config.nodeWriteConcurrency(), config.removalTimeout());
        this.nodeWrites = new BoundedParallel(config.nodeWriteConcurrency());
        LOG.infof("node patches in flight at most %d; a leaving node's installer may take %s to uninstall",
                config.nodeWriteConcurrency(), config.removalTimeout());
        this.events = events;
        this.metrics = metrics;
    }

    @Override
    public List<EventSource<?, SandboxPolicy>> prepareEventSources(EventSourceContext<SandboxPolicy> context) {
        // A node change wakes only the policies whose pool it can change (NodeConcerns).
        nodes = new InformerEventSource<>(InformerEventSourceConfiguration.from(Node.class, SandboxPolicy.class)
                .withName("nodes")
                .withSecondaryToPrimaryMapper(node -> {
                    List<SandboxPolicy> policies = context.getPrimaryCache().list().toList();
                    Set<String> woken = nodeConcerns.wake(node, claims(policies.stream()));
                    return policies.stream().filter(p -> woken.contains(p.getMetadata().getName()))
                            .map(ResourceID::fromResource).collect(Collectors.toSet());
                })
                .withOnUpdateFilter((updated, previous) -> NodeChanges.changesAPool(updated, previous,
                        claims(context.getPrimaryCache().list())))
                .withItemStore(new SlimNodeStore())
                // Listed in pages: one unpaged list of 5000 nodes (20 MB of JSON, parsed whole)
                // ran a 154 MiB heap out of memory at start.
                .withInformerListLimit(NODE_LIST_PAGE)
                .build(), context);
        runtimeClasses = ownedObjects(RuntimeClass.class, "runtimeclasses", null, null, context);
        daemonSets = ownedObjects(DaemonSet.class, "daemonsets", config.namespace(), InstallerDaemonSet::changesMoreThanStatus, context);
        configMaps = ownedObjects(ConfigMap.class, "configmaps", config.namespace(), null, context);
        return List.of(nodes, runtimeClasses, daemonSets, configMaps);
    }

    /**
     * Objects this operator created (its label), mapped back to their policy by owner reference;
     * {@code onUpdate}, when not null, says which updates wake the policy.
     */
    private static <R extends HasMetadata> InformerEventSource<R, SandboxPolicy> ownedObjects(
            Class<R> type, String name, String namespace, OnUpdateFilter<R> onUpdate, EventSourceContext<SandboxPolicy> context) {
        InformerEventSourceConfiguration.Builder<R> configuration = InformerEventSourceConfiguration.from(type, SandboxPolicy.class)
                .withName(name)
                .withLabelSelector(PolicyObjects.MANAGED_BY_LABEL + "=" + PolicyObjects.MANAGED_BY)
                .withSecondaryToPrimaryMapper(Mappers.fromOwnerReferences(SandboxPolicy.class, true));
        if (namespace != null) {
            configuration.withNamespaces(namespace);
        }
        if (onUpdate != null) {
            configuration.withOnUpdateFilter(onUpdate);
        }
        return new InformerEventSource<>(configuration.build(), context);
    }

    /**
     * The pipeline: validate, profiles, admission fence, pool (fence members, release leavers),
     * installer, RuntimeClasses, status. Each step computes its desired state in pure code and changes only
     * what differs.
     */
    @Override
    public UpdateControl<SandboxPolicy> reconcile(SandboxPolicy policy, Context<SandboxPolicy> context) {
        List<String> problems = PolicyValidator.validate(policy);
        if (!problems.isEmpty()) {
            // Leave the pool as it is: half-applying a broken spec could strip a working pool.
            publishStatus(policy, statusBuilder(policy).specProblems(problems).build(), context);
            metrics.recordReconcile(policy.getMetadata().getName(), "invalid");
            return UpdateControl.noUpdate();
        }
        ConfigMap profiles = applyProfiles(policy);
        // Before any node is tainted: no window in which a tolerating pod lands on a fenced node.
        AdmissionFence admissionFence = applyAdmissionFence(policy, context);
        List<PoolAssignment.Claim> claims = claims(context);
        List<Node> allNodes = nodes.list().toList();
        nodeConcerns.forgetAllBut(allNodes.stream().map(n -> n.getMetadata().getName()).collect(Collectors.toSet()));
        PoolAssignment.Pool pool = PoolAssignment.assign(claims, allNodes).poolOf(policy.getMetadata().getName());
        Members members = fenceMembers(policy, pool, claims);
        List<NodeStatus> leaving = releaseLeavers(policy, pool);
        applyInstaller(policy, profiles);
        List<String> runtimeClassProblems = publishRuntimeClasses(policy);

        SandboxPolicyStatus next = statusBuilder(policy)
                .operationalProblems(runtimeClassProblems)
                .admissionFence(admissionFence)
                .members(members.statuses())
                .leaving(leaving)
                .conflicts(pool.conflicts())
                .runtimeClassNames(policy.getSpec().getRuntimeClasses().stream().map(RuntimeClassSpec::getName).toList())
                .build();
        publishStatus(policy, next, context);
        metrics.recordPool(policy.getMetadata().getName(), next.getNodeStatuses());
        metrics.recordReconcile(policy.getMetadata().getName(), "ok");
        return UpdateControl.<SandboxPolicy>noUpdate().rescheduleAfter(Requeue.after(leaving.size(), members.waitingForRelease()));
    }

    /**
     * Any failed reconcile (a 403, a webhook's refusal, a quota…) sets Degraded/ApiError naming the
     * call and the server's answer, so it shows in the policy and not only in the log; the
     * framework retries, and the next successful reconcile clears it.
     */
    @Override
    public ErrorStatusUpdateControl<SandboxPolicy> updateErrorStatus(SandboxPolicy policy, Context<SandboxPolicy> context, Exception e) {
        if (ApiFailures.isConflict(e)) {
            // Someone wrote the object since our cache saw it: an ordinary retry, not a failure to report.
            metrics.recordReconcile(policy.getMetadata().getName(), "conflict");
            return ErrorStatusUpdateControl.noStatusUpdate();
        }
        String failure = ApiFailures.describe(e);
        try {
            publishStatus(policy, statusBuilder(policy).apiFailure(failure), context);
        } catch (RuntimeException statusFailure) {
            LOG.warnf("policy %s: cannot record the failure in its status (%s): %s", policy.getMetadata().getName(),
                    statusFailure.getMessage(), failure);
        }
        metrics.recordReconcile(policy.getMetadata().getName(), "error");
        return ErrorStatusUpdateControl.noStatusUpdate();
    }

    @Override
    public DeleteControl cleanup(SandboxPolicy policy, Context<SandboxPolicy> context) {
        String name = policy.getMetadata().getName();
        List<NodeStatus> leaving = releaseLeavers(policy, PoolAssignment.Pool.empty());
        if (!leaving.isEmpty()) {
            writeStatus(policy, statusBuilder(policy).leaving(leaving).runtimeClassNames(List.of()).build(), context);
            return DeleteControl.noFinalizerRemoval().rescheduleAfter(Requeue.after(leaving.size(), 0));
        }
        // Nodes are clean: now the objects garbage collection would also remove, so nothing
        // lingers on clusters where it is slow or owner references were stripped.
        liveDaemonSet(name).ifPresent(ds -> client.resource(ds).delete());
        liveConfigMap(name).ifPresent(cm -> client.resource(cm).delete());
        ownedRuntimeClasses(name).forEach(rc -> client.resource(rc).delete());
        removeAdmissionFence(policy, context);
        metrics.forget(name);
        events.normal(policy, "PoolRemoved", "every node released; DaemonSet, ConfigMap and RuntimeClasses deleted");
        return DeleteControl.defaultDelete();
    }

    /** The profile ConfigMap the installers read; returned as desired, with its hash annotation. */
    private ConfigMap applyProfiles(SandboxPolicy policy) {
        ConfigMap profiles = ProfileConfigMap.desired(policy, config.namespace());
        createOrUpdate(profiles, liveConfigMap(policy.getMetadata().getName()), configMaps, policy);
        return profiles;
    }

    private void applyInstaller(SandboxPolicy policy, ConfigMap profiles) {
        DaemonSet daemonSet = InstallerDaemonSet.desired(policy, config,
                profiles.getMetadata().getAnnotations().get(PolicyObjects.PROFILES_HASH_ANNOTATION));
        createOrUpdate(daemonSet, liveDaemonSet(policy.getMetadata().getName()), daemonSets, policy);
    }

    /** The pool's members as the status shows them, and how many another live policy still holds. */
    private record Members(List<NodeStatus> statuses, int waitingForRelease) {
    }

    private Members fenceMembers(SandboxPolicy policy, PoolAssignment.Pool pool, List<PoolAssignment.Claim> claims) {
        String name = policy.getMetadata().getName();
        Set<String> livePolicies = claims.stream().map(PoolAssignment.Claim::policy).collect(Collectors.toSet());
        Map<String, String> desiredHashes = profileHashes(policy);
        String effect = policy.getSpec().effectiveTaintEffect().name();
        List<NodeStatus> statuses = new ArrayList<>();
        List<Node> toWrite = new ArrayList<>();
        int waiting = 0;
        for (String nodeName : pool.members()) {
            Optional<Node> node = nodes.get(new ResourceID(nodeName));
            if (node.isEmpty()) {
                continue;
            }
            Optional<String> holder = PoolAssignment.otherHolder(node.get(), name);
            if (holder.isPresent() && livePolicies.contains(holder.get())) {
                statuses.add(NodePhases.waitingFor(nodeName, holder.get()));
                waiting++;
            } else if (holder.isEmpty() && NodeFence.of(node.get(), name).fence(effect).isEmpty()) {
                // Already fenced: no thread and no request (most nodes, in most reconciles).
                statuses.add(NodePhases.member(node.get(), name, desiredHashes));
            } else {
                toWrite.add(node.get());
            }
        }
        List<Fenced> written = nodeWrites.map(toWrite, listed -> {
            // The cache's newest copy when the write starts: an older one loses to a heartbeat (409).
            Node node = nodes.get(ResourceID.fromResource(listed)).orElse(listed);
            return fence(policy, node, livePolicies, desiredHashes);
        });
        written.forEach(fenced -> statuses.add(fenced.status()));
        waiting += (int) written.stream().filter(Fenced::waitingForRelease).count();
        return new Members(statuses, waiting);
    }

    /** A pool node after {@link #fence}: its status, and whether another live policy still holds it. */
    private record Fenced(NodeStatus status, boolean waitingForRelease) {
    }

    /**
     * Fences a pool node, first removing what a deleted policy left on it. Every decision is made
     * again on the node each write goes to (after a 409, the one read back): the cached copy may
     * be older than another policy's label.
     */
    private Fenced fence(SandboxPolicy policy, Node node, Set<String> livePolicies, Map<String, String> desiredHashes) {
        String name = policy.getMetadata().getName();
        Node current = node;
        Optional<String> staleHolder = PoolAssignment.otherHolder(current, name).filter(holder -> !livePolicies.contains(holder));
        if (staleHolder.isPresent()) {
            // Left behind by a policy that no longer exists: nobody else will ever clean it.
            NodePatcher.Outcome<Boolean> cleaned = nodePatcher.decideAndApply(current, n -> {
                boolean stillThere = PoolAssignment.otherHolder(n, name).equals(staleHolder);
                return new NodePatcher.Decision<>(stillThere, stillThere ? NodeFence.of(n, staleHolder.get()).release(true) : Optional.empty());
            });
            current = cleaned.node().orElse(current);
            if (cleaned.decision()) {
                LOG.infof("policy %s: removed leftovers of deleted policy %s from node %s", name, staleHolder.get(),
                        node.getMetadata().getName());
            }
        }
        String effect = policy.getSpec().effectiveTaintEffect().name();
        NodePatcher.Outcome<Optional<String>> fenced = nodePatcher.decideAndApply(current, n -> NodeFence.unlessHeld(n, name, effect));
        Node written = fenced.node().orElse(current);
        // Another policy's label, seen only on the node read back: a live one is waited for, a
        // deleted one's is cleaned by the next reconcile.
        return fenced.decision().isPresent() ? new Fenced(NodePhases.waitingFor(written.getMetadata().getName(), fenced.decision().get()), true)
                : new Fenced(NodePhases.member(written, name, desiredHashes), false);
    }

    /**
     * Takes the nodes this policy holds outside {@code pool} through the removal handshake
     * ({@link NodeRemoval}). Returns the status of those still on their way out.
     */
    private List<NodeStatus> releaseLeavers(SandboxPolicy policy, PoolAssignment.Pool pool) {
        String name = policy.getMetadata().getName();
        Instant now = Instant.now();
        List<Node> leavers = heldNodes(name).stream().filter(n -> !pool.members().contains(n.getMetadata().getName())).toList();
        List<NodeRemoval.Step> steps = nodeWrites.map(leavers, listed -> {
            Node node = nodes.get(ResourceID.fromResource(listed)).orElse(listed);
            // Decided again on the node read back after a 409: it may show an installer the cached
            // copy did not, and releasing that node without the handshake would leave the runtime
            // on a node no longer fenced.
            return nodePatcher.decideAndApply(node, current -> NodeRemoval.nextWithPatch(current, name, now, config.removalTimeout()))
                    .decision();
        });
        List<NodeStatus> leaving = new ArrayList<>();
        Map<NodeRemoval.Action, List<String>> byAction = new java.util.EnumMap<>(NodeRemoval.Action.class);
        for (int i = 0; i < leavers.size(); i++) {
            Node node = leavers.get(i);
            NodeRemoval.Step step = steps.get(i);
            byAction.computeIfAbsent(step.action(), a -> new ArrayList<>()).add(node.getMetadata().getName());
            if (step.action() == NodeRemoval.Action.REQUEST_REMOVAL || step.action() == NodeRemoval.Action.WAIT) {
                leaving.add(NodePhases.removing(node, name, step.waited(), config.removalTimeout()));
            }
        }
        // One Event per kind and reconcile, not one per node: a pool of thousands leaves at once.
        if (byAction.containsKey(NodeRemoval.Action.RELEASE)) {
            LOG.infof("policy %s: %s left the pool", name, nodeList(byAction.get(NodeRemoval.Action.RELEASE)));
        }
        if (byAction.containsKey(NodeRemoval.Action.REQUEST_REMOVAL)) {
            events.normal(policy, "NodeLeaving", "asked the installer on " + nodeList(byAction.get(NodeRemoval.Action.REQUEST_REMOVAL))
                    + " to uninstall");
        }
        if (byAction.containsKey(NodeRemoval.Action.FORCE_RELEASE)) {
            events.warning(policy, "RemovalForced", "the installer on " + nodeList(byAction.get(NodeRemoval.Action.FORCE_RELEASE))
                    + " did not uninstall within " + config.removalTimeout() + "; removed Stockade's labels and taint without it. "
                    + "Check the host for leftovers under " + HostLayout.RUNTIME_DIR + " and the container runtime's configuration");
        }
        return leaving;
    }

    /** "node a" / "3 nodes (a, b, c)" / "40 nodes (a, b, c, d, e and 35 more)". */
    private static String nodeList(List<String> nodeNames) {
        if (nodeNames.size() == 1) {
            return "node " + nodeNames.getFirst();
        }
        String shown = String.join(", ", nodeNames.subList(0, Math.min(5, nodeNames.size())));
        return nodeNames.size() + " nodes (" + shown + (nodeNames.size() > 5 ? " and " + (nodeNames.size() - 5) + " more" : "") + ")";
    }

    /**
     * Applies the {@link RuntimeClassPlan}. Returns problems that block a class (a RuntimeClass of
     * that name that is not ours).
     */
    private List<String> publishRuntimeClasses(SandboxPolicy policy) {
        String name = policy.getMetadata().getName();
        List<RuntimeClass> owned = ownedRuntimeClasses(name);
        Map<String, RuntimeClass> live = new HashMap<>();
        owned.forEach(rc -> live.put(rc.getMetadata().getName(), rc));
        for (RuntimeClassSpec runtimeClass : policy.getSpec().getRuntimeClasses()) {
            if (!live.containsKey(runtimeClass.getName())) {
                // Not in the cache of ours: read from the API server, where a class that is not ours
                // (it lacks our label) or one just created shows.
                Optional.ofNullable(client.resources(RuntimeClass.class).withName(runtimeClass.getName()).get())
                        .ifPresent(rc -> live.put(runtimeClass.getName(), rc));
            }
        }
        RuntimeClassPlan.Plan plan = RuntimeClassPlan.of(policy, live, owned);
        for (RuntimeClassPlan.Change change : plan.changes()) {
            switch (change) {
                case RuntimeClassPlan.Create create -> {
                    client.resource(create.desired()).create();
                    LOG.infof("policy %s: created RuntimeClass %s (handler %s)", name, create.desired().getMetadata().getName(),
                            create.desired().getHandler());
                }
                case RuntimeClassPlan.Update update -> client.resource(update.desired()).update();
                case RuntimeClassPlan.Replace replace -> {
                    client.resource(replace.live()).withGracePeriod(0).delete();
                    client.resource(replace.desired()).create();
                    LOG.infof("policy %s: replaced RuntimeClass %s, handler %s -> %s", name, replace.live().getMetadata().getName(),
                            replace.live().getHandler(), replace.desired().getHandler());
                }
                case RuntimeClassPlan.Delete delete -> {
                    client.resource(delete.owned()).delete();
                    LOG.infof("policy %s: deleted RuntimeClass %s, no longer in the spec", name, delete.owned().getMetadata().getName());
                }
            }
        }
        return plan.problems();
    }

    /**
     * The pool fence ({@link PoolFence}): the shared ValidatingAdmissionPolicy and this policy's
     * binding, one reconcile at a time ({@link #admissionWrites}). Returns the fence's state for
     * the status.
     */
    private AdmissionFence applyAdmissionFence(SandboxPolicy policy, Context<SandboxPolicy> context) {
        synchronized (admissionWrites) {
            if (!config.admission().fence()) {
                applied.clear();
                live(ValidatingAdmissionPolicyBinding.class, PoolFence.bindingName(policy.getMetadata().getName())).ifPresent(binding -> client.resource(binding).delete());
                return AdmissionFence.disabled();
            }
            ValidatingAdmissionPolicyBinding binding = PoolFence.binding(policy);
            try {
                applyRemembered(PoolFence.policy(config.namespace()), ValidatingAdmissionPolicy.class);
                applyRemembered(binding, ValidatingAdmissionPolicyBinding.class);
            } catch (KubernetesClientException e) {
                if (e.getCode() == 404) {
                    return AdmissionFence.unsupported(e.getStatus() == null ? e.getMessage() : e.getStatus().getMessage());
                }
                throw e;
            }
            return AdmissionFence.active(PoolFence.NAME, binding.getMetadata().getName(), applyNamespaceDefaults(context),
                    policy.getSpec().effectiveTaintEffect() == SandboxPolicySpec.TaintEffect.PreferNoSchedule);
        }
    }

    /**
     * Opt-in namespaces ({@link NamespaceRuntimeClass}), for the classes of every valid policy.
     * Returns whether the API server serves the mutating half.
     */
    private boolean applyNamespaceDefaults(Context<SandboxPolicy> context) {
        List<NamespaceRuntimeClass.StockadeClass> classes = NamespaceRuntimeClass.classesOf(context.getPrimaryCache().list()
                .filter(p -> p.getMetadata().getDeletionTimestamp() == null && PolicyValidator.validate(p).isEmpty()).toList());
        applyRemembered(NamespaceRuntimeClass.validatingPolicy(classes), ValidatingAdmissionPolicy.class);
        applyRemembered(NamespaceRuntimeClass.validatingBinding(), ValidatingAdmissionPolicyBinding.class);
        try {
            applyRemembered(NamespaceRuntimeClass.mutatingPolicy(classes), MutatingAdmissionPolicy.class);
            applyRemembered(NamespaceRuntimeClass.mutatingBinding(), MutatingAdmissionPolicyBinding.class);
            return true;
        } catch (KubernetesClientException e) {
            if (e.getCode() == 404) {
                return false;
            }
            throw e;
        }
    }

    private <T extends HasMetadata> Optional<T> live(Class<T> type, String name) {
        return Optional.ofNullable(client.resources(type).withName(name).get());
    }

    /** Deletes the policy's binding, and the shared admission objects with the last SandboxPolicy. */
    private void removeAdmissionFence(SandboxPolicy policy, Context<SandboxPolicy> context) {
        synchronized (admissionWrites) {
            applied.clear();
            try {
                live(ValidatingAdmissionPolicyBinding.class, PoolFence.bindingName(policy.getMetadata().getName())).ifPresent(binding -> client.resource(binding).delete());
                boolean lastPolicy = context.getPrimaryCache().list()
                        .allMatch(p -> p.getMetadata().getName().equals(policy.getMetadata().getName()));
                if (lastPolicy) {
                    client.resources(ValidatingAdmissionPolicy.class).withName(PoolFence.NAME).delete();
                    client.resources(ValidatingAdmissionPolicyBinding.class).withName(NamespaceRuntimeClass.NAME).delete();
                    client.resources(ValidatingAdmissionPolicy.class).withName(NamespaceRuntimeClass.NAME).delete();
                    client.resources(MutatingAdmissionPolicyBinding.class).withName(NamespaceRuntimeClass.NAME).delete();
                    client.resources(MutatingAdmissionPolicy.class).withName(NamespaceRuntimeClass.NAME).delete();
                }
            } catch (KubernetesClientException e) {
                if (e.getCode() != 404) {
                    throw e;
                }
            }
        }
    }

    /** Records the Events the change deserves ({@link PolicyTransitions}), then writes the status. */
    private void publishStatus(SandboxPolicy policy, SandboxPolicyStatus next, Context<SandboxPolicy> context) {
        for (PolicyTransitions.Notice notice : PolicyTransitions.between(policy.getStatus(), next)) {
            if (notice.warning()) {
                events.warning(policy, notice.reason(), notice.message());
            } else {
                events.normal(policy, notice.reason(), notice.message());
            }
        }
        writeStatus(policy, next, context);
        metrics.recordConditions(policy.getMetadata().getName(), next.getConditions());
    }

    private static PolicyStatusBuilder statusBuilder(SandboxPolicy policy) {
        return new PolicyStatusBuilder(generation(policy), policy.getStatus(), Instant.now());
    }

    private void writeStatus(SandboxPolicy policy, SandboxPolicyStatus next, Context<SandboxPolicy> context) {
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
        // the framework reconciles again with fresh data. The written policy goes into the SDK's
        // cache at once (and its own watch event is dropped): a reconcile that came before the watch
        // delivered it computed from, and PUT with, the version it replaced, and got a 409 (141 of
        // 319 status writes of a 4000-node release did).
        context.eventSourceRetriever().getControllerEventSource()
                .eventFilteringUpdateAndCacheResource(policy, cached -> client.resource(patch).updateStatus());
    }

    private List<PoolAssignment.Claim> claims(Context<SandboxPolicy> context) {
        return claims(context.getPrimaryCache().list());
    }

    private static List<PoolAssignment.Claim> claims(java.util.stream.Stream<SandboxPolicy> policies) {
        return policies
                .map(p -> new PoolAssignment.Claim(p.getMetadata().getName(), creationTime(p),
                        p.getSpec() == null ? null : p.getSpec().getNodeSelector(),
                        p.getSpec() == null ? null : p.getSpec().getMaxNodes(),
                        p.getMetadata().getDeletionTimestamp() != null || !PolicyValidator.validate(p).isEmpty()))
                .toList();
    }

    private List<Node> heldNodes(String policy) {
        return nodes.list().filter(n -> PoolAssignment.poolLabel(n).map(policy::equals).orElse(false)).toList();
    }

    /** From the informer's cache: reconciles that change nothing read nothing from the API server. */
    private Optional<ConfigMap> liveConfigMap(String policy) {
        return configMaps.get(new ResourceID(PolicyObjects.profilesConfigMapName(policy), config.namespace()));
    }

    private Optional<DaemonSet> liveDaemonSet(String policy) {
        return daemonSets.get(new ResourceID(PolicyObjects.installerDaemonSetName(policy), config.namespace()));
    }

    private List<RuntimeClass> ownedRuntimeClasses(String policy) {
        return runtimeClasses.list()
                .filter(rc -> rc.getMetadata().getLabels() != null
                        && policy.equals(rc.getMetadata().getLabels().get(PolicyObjects.POLICY_LABEL)))
                .toList();
    }

    /**
     * Creates the object, or updates it when its desired-state hash changed or someone removed the
     * hash. Comparing hashes instead of whole specs keeps server-side defaults from causing an
     * update on every reconcile.
     */
    private <T extends HasMetadata> void createOrUpdate(T desired, Optional<T> live) {
        createOrUpdate(desired, live, null, null);
    }

    /**
     * The same, for an object whose {@code cache} is an informer: the write goes into the cache at
     * once, so the next reconcile does not take a lagging cache for a missing or stale object.
     */
    private <T extends HasMetadata> void createOrUpdate(T desired, Optional<T> live, InformerEventSource<T, SandboxPolicy> cache,
                                                        SandboxPolicy policy) {
        PolicyObjects.stampDesiredHash(desired);
        if (live.isEmpty()) {
            T created = client.resource(desired).create();
            if (cache != null) {
                cache.handleRecentResourceCreate(ResourceID.fromResource(policy), created);
            }
            LOG.infof("created %s %s/%s", desired.getKind(), desired.getMetadata().getNamespace(), desired.getMetadata().getName());
        } else if (!PolicyObjects.sameDesiredHash(live.get(), desired)) {
            desired.getMetadata().setResourceVersion(live.get().getMetadata().getResourceVersion());
            T updated = client.resource(desired).update();
            if (cache != null) {
                cache.handleRecentResourceUpdate(ResourceID.fromResource(policy), updated, live.get());
            }
            LOG.infof("updated %s %s/%s", desired.getKind(), desired.getMetadata().getNamespace(), desired.getMetadata().getName());
        }
    }

    /**
     * Applies an admission object, which has no informer: read back and written only when its
     * desired state changed or {@link #RECHECK_APPLIED} has passed (someone may have deleted it).
     */
    private <T extends HasMetadata> void applyRemembered(T desired, Class<T> type) {
        PolicyObjects.stampDesiredHash(desired);
        String key = type.getSimpleName() + "/" + desired.getMetadata().getName();
        String hash = desired.getMetadata().getAnnotations().get(PolicyObjects.DESIRED_HASH_ANNOTATION);
        Applied last = applied.get(key);
        Instant now = Instant.now();
        if (last != null && last.desiredHash().equals(hash) && last.at().plus(RECHECK_APPLIED).isAfter(now)) {
            return;
        }
        createOrUpdate(desired, live(type, desired.getMetadata().getName()));
        applied.put(key, new Applied(hash, now));
    }

    private static Map<String, String> profileHashes(SandboxPolicy policy) {
        Map<String, String> hashes = new LinkedHashMap<>();
        for (RuntimeClassSpec runtimeClass : policy.getSpec().getRuntimeClasses()) {
            hashes.put(runtimeClass.getName(), Profiles.hash(Profiles.render(runtimeClass.effectiveProfile())));
        }
        return hashes;
    }

    private static long generation(SandboxPolicy policy) {
        return policy.getMetadata().getGeneration() == null ? 0 : policy.getMetadata().getGeneration();
    }

    private static Instant creationTime(SandboxPolicy policy) {
        String created = policy.getMetadata().getCreationTimestamp();
        return created == null ? null : Instant.parse(created);
    }
}
