package dev.stockade.operator.install;

import dev.stockade.api.InstallerEnvironment;
import dev.stockade.api.Stockade;
import dev.stockade.operator.config.OperatorConfig;
import dev.stockade.operator.policy.InstallerSpec;
import dev.stockade.operator.policy.PolicyObjects;
import dev.stockade.operator.policy.SandboxPolicy;
import io.fabric8.kubernetes.api.model.ContainerPort;
import io.fabric8.kubernetes.api.model.ContainerPortBuilder;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.EnvVarBuilder;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.ResourceRequirements;
import io.fabric8.kubernetes.api.model.ResourceRequirementsBuilder;
import io.fabric8.kubernetes.api.model.apps.DaemonSet;
import io.fabric8.kubernetes.api.model.apps.DaemonSetBuilder;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.stream.Collectors;

/**
 * The installer DaemonSet of a policy: one privileged pod on every pool node (it targets the pool
 * label and tolerates the pool taint). Its pod template carries the profiles' hash, so a profile
 * change rolls the installers, which rewrite the profiles without restarting the container runtime.
 */
public final class InstallerDaemonSet {

    public static final String COMPONENT = "stockade-installer";
    static final String HOST_ROOT_VOLUME = "host-root";
    static final String PROFILES_VOLUME = "profiles";
    /** The container port scrapers select (the chart's Service, ServiceMonitor and scrape configuration). */
    public static final String METRICS_PORT_NAME = "metrics";

    /**
     * Whether an update of the installer DaemonSet can concern its policy: a change of its spec
     * (the generation), labels, annotations (the desired-state hash the reconcile compares), owner
     * references, finalizers or deletion. A status-only update cannot: the reconcile never reads the
     * DaemonSet's status, and the DaemonSet controller rewrites it as each installer pod is scheduled
     * and becomes ready, about twice a second over a 4000-node rollout, each of which woke a
     * reconcile over every node (test/cluster/bench/scale).
     */
    public static boolean changesMoreThanStatus(DaemonSet updated, DaemonSet previous) {
        ObjectMeta now = updated.getMetadata();
        ObjectMeta before = previous.getMetadata();
        return !Objects.equals(now.getGeneration(), before.getGeneration())
                || !Objects.equals(now.getLabels(), before.getLabels())
                || !Objects.equals(now.getAnnotations(), before.getAnnotations())
                || !Objects.equals(now.getOwnerReferences(), before.getOwnerReferences())
                || !Objects.equals(now.getFinalizers(), before.getFinalizers())
                || !Objects.equals(now.getDeletionTimestamp(), before.getDeletionTimestamp());
    }

    public static DaemonSet desired(SandboxPolicy policy, OperatorConfig config, String profilesHash) {
        String policyName = policy.getMetadata().getName();
        InstallerSpec installer = policy.getSpec().getInstaller() == null ? new InstallerSpec() : policy.getSpec().getInstaller();
        String hostRoot = Objects.requireNonNullElse(installer.getHostRootMountPath(), InstallerEnvironment.DEFAULT_HOST_ROOT);
        Map<String, String> selector = Map.of(
                PolicyObjects.NAME_LABEL, COMPONENT,
                PolicyObjects.POLICY_LABEL, policyName);
        int healthPort = config.installer().healthPort();
        int metricsPort = config.installer().metricsPort();

        return new DaemonSetBuilder()
                .withMetadata(PolicyObjects.ownedMetadata(policy,
                        PolicyObjects.installerDaemonSetName(policyName), config.namespace(), COMPONENT))
                .withNewSpec()
                    .withNewSelector().withMatchLabels(selector).endSelector()
                    .withNewUpdateStrategy()
                        .withType("RollingUpdate")
                        .withNewRollingUpdate().withMaxUnavailable(new IntOrString(1)).endRollingUpdate()
                    .endUpdateStrategy()
                    .withNewTemplate()
                        .withNewMetadata()
                            .withLabels(PolicyObjects.labels(policyName, COMPONENT))
                            .withAnnotations(Map.of(PolicyObjects.PROFILES_HASH_ANNOTATION, profilesHash))
                        .endMetadata()
                        .withNewSpec()
                            .withServiceAccountName(config.installer().serviceAccount())
                            // The installer restarts the host's container runtime through PID 1's namespaces.
                            .withHostPID(true)
                            .withPriorityClassName("system-node-critical")
                            .withNodeSelector(Map.of(Stockade.POOL_LABEL, policyName))
                            .addNewToleration()
                                .withKey(Stockade.SANDBOX_TAINT_KEY).withOperator("Equal").withValue(policyName)
                            .endToleration()
                            .withImagePullSecrets(installer.getImagePullSecrets())
                            .withTerminationGracePeriodSeconds(60L)
                            .addNewContainer()
                                .withName("installer")
                                .withImage(Objects.requireNonNullElse(installer.getImage(), config.installer().image()))
                                .withImagePullPolicy(installer.getImagePullPolicy() == null
                                        ? "IfNotPresent" : installer.getImagePullPolicy().name())
                                .withArgs("run")
                                .withEnv(environment(policy, installer, hostRoot, healthPort, metricsPort))
                                .withResources(resources(installer))
                                .withNewSecurityContext().withPrivileged(true).endSecurityContext()
                                .withPorts(ports(healthPort, metricsPort))
                                .withNewReadinessProbe()
                                    .withNewHttpGet().withPath("/readyz").withPort(new IntOrString("health")).endHttpGet()
                                    .withPeriodSeconds(10)
                                .endReadinessProbe()
                                .withNewLivenessProbe()
                                    .withNewHttpGet().withPath("/healthz").withPort(new IntOrString("health")).endHttpGet()
                                    .withPeriodSeconds(20).withFailureThreshold(6)
                                .endLivenessProbe()
                                .addNewVolumeMount()
                                    .withName(HOST_ROOT_VOLUME).withMountPath(hostRoot)
                                    .withMountPropagation("HostToContainer")
                                .endVolumeMount()
                                .addNewVolumeMount()
                                    .withName(PROFILES_VOLUME).withMountPath(InstallerEnvironment.DEFAULT_PROFILE_SOURCE)
                                    .withReadOnly(true)
                                .endVolumeMount()
                            .endContainer()
                            .addNewVolume()
                                .withName(HOST_ROOT_VOLUME)
                                .withNewHostPath().withPath("/").withType("Directory").endHostPath()
                            .endVolume()
                            .addNewVolume()
                                .withName(PROFILES_VOLUME)
                                .withNewConfigMap().withName(PolicyObjects.profilesConfigMapName(policyName)).endConfigMap()
                            .endVolume()
                        .endSpec()
                    .endTemplate()
                .endSpec()
                .build();
    }

    /** The probes' port, and the node's metrics port (HTTPS, token-checked) unless it is off. */
    private static List<ContainerPort> ports(int healthPort, int metricsPort) {
        List<ContainerPort> ports = new ArrayList<>(List.of(new ContainerPortBuilder().withName("health").withContainerPort(healthPort).build()));
        if (metricsPort != 0) {
            ports.add(new ContainerPortBuilder().withName(METRICS_PORT_NAME).withContainerPort(metricsPort).build());
        }
        return ports;
    }

    private static List<EnvVar> environment(SandboxPolicy policy, InstallerSpec installer, String hostRoot, int healthPort, int metricsPort) {
        String handlers = policy.getSpec().getRuntimeClasses().stream()
                .map(rc -> rc.getName() + "=" + rc.effectiveHandler())
                .collect(Collectors.joining(","));
        InstallerSpec.ContainerRuntime runtime = Objects.requireNonNullElse(
                installer.getContainerRuntime(), InstallerSpec.ContainerRuntime.Auto);
        return List.of(
                env(InstallerEnvironment.POLICY, policy.getMetadata().getName()),
                new EnvVarBuilder().withName(InstallerEnvironment.NODE_NAME)
                        .withNewValueFrom().withNewFieldRef().withFieldPath("spec.nodeName").endFieldRef().endValueFrom()
                        .build(),
                env(InstallerEnvironment.HANDLERS, handlers),
                env(InstallerEnvironment.CONTAINER_RUNTIME, runtime.name().toLowerCase(java.util.Locale.ROOT)),
                env(InstallerEnvironment.HOST_ROOT, hostRoot),
                env(InstallerEnvironment.PROFILE_SOURCE, InstallerEnvironment.DEFAULT_PROFILE_SOURCE),
                env(InstallerEnvironment.RESTART, Objects.requireNonNullElse(installer.getContainerRuntimeRestart(), InstallerEnvironment.DEFAULT_RESTART)),
                env(InstallerEnvironment.SUPERVISOR_METRICS, Objects.requireNonNullElse(installer.getSupervisorMetrics(),
                        InstallerEnvironment.DEFAULT_SUPERVISOR_METRICS)),
                env(InstallerEnvironment.KUBELET_ROOT, Objects.requireNonNullElse(installer.getKubeletRootDir(), InstallerEnvironment.DEFAULT_KUBELET_ROOT)),
                env(InstallerEnvironment.HEALTH_PORT, Integer.toString(healthPort)),
                env(InstallerEnvironment.METRICS_PORT, Integer.toString(metricsPort)));
    }

    private static EnvVar env(String name, String value) {
        return new EnvVarBuilder().withName(name).withValue(value).build();
    }

    private static ResourceRequirements resources(InstallerSpec installer) {
        if (installer.getResources() != null) {
            return installer.getResources();
        }
        return new ResourceRequirementsBuilder()
                .withRequests(Map.of("cpu", new Quantity("10m"), "memory", new Quantity("64Mi")))
                .withLimits(Map.of("memory", new Quantity("256Mi")))
                .build();
    }

    private InstallerDaemonSet() {
    }
}
