package dev.stockade.operator.install;

import dev.stockade.api.InstallerEnvironment;
import dev.stockade.api.Stockade;
import dev.stockade.api.profile.Profiles;
import dev.stockade.operator.config.OperatorConfig;
import dev.stockade.operator.policy.InstallerSpec;
import dev.stockade.operator.policy.PolicyObjects;
import dev.stockade.operator.policy.SandboxPolicy;
import dev.stockade.operator.runtimeclass.RuntimeClasses;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.Toleration;
import io.fabric8.kubernetes.api.model.apps.DaemonSet;
import io.fabric8.kubernetes.api.model.node.v1.RuntimeClass;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

import static dev.stockade.operator.Fixtures.policy;
import static dev.stockade.operator.Fixtures.selectLabel;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The objects a policy turns into, as a cluster admin would inspect them with kubectl. */
class InstallerObjectsTest {

    private static final OperatorConfig CONFIG = new OperatorConfig() {
        public String namespace() {
            return "stockade-system";
        }

        public Installer installer() {
            return new Installer() {
                public String image() {
                    return "registry.example/stockade-installer:1.0";
                }

                public String serviceAccount() {
                    return "stockade-installer";
                }

                public int healthPort() {
                    return 8090;
                }

                public int metricsPort() {
                    return 9465;
                }
            };
        }

        public Duration removalTimeout() {
            return Duration.ofMinutes(10);
        }

        public int nodeWriteConcurrency() {
            return 4;
        }

        public Admission admission() {
            return () -> true;
        }

        public LeaderElection leaderElection() {
            return () -> "lease";
        }
    };

    /** Every value a policy may give is one the installer accepts, and the policy can give each of them. */
    @Test
    void everyContainerRuntimeOfThePolicyIsOneTheInstallerAccepts() {
        List<String> settings = java.util.Arrays.stream(InstallerSpec.ContainerRuntime.values())
                .map(runtime -> runtime.name().toLowerCase(java.util.Locale.ROOT)).toList();
        assertEquals(InstallerEnvironment.CONTAINER_RUNTIME_CHOICES, settings);
    }

    @Test
    void daemonSetTargetsThePoolToleratesItsTaintAndCarriesTheProfilesHash() {
        SandboxPolicy policy = named(policy("sandbox", selectLabel("a", "b"), "isolated", "strict"));
        ConfigMap profiles = ProfileConfigMap.desired(policy, "stockade-system");
        String hash = profiles.getMetadata().getAnnotations().get(PolicyObjects.PROFILES_HASH_ANNOTATION);

        DaemonSet daemonSet = InstallerDaemonSet.desired(policy, CONFIG, hash);
        PodSpec pod = daemonSet.getSpec().getTemplate().getSpec();
        Container installer = pod.getContainers().getFirst();

        assertEquals("stockade-sandbox-installer", daemonSet.getMetadata().getName());
        assertEquals(Map.of(Stockade.POOL_LABEL, "sandbox"), pod.getNodeSelector());
        Toleration toleration = pod.getTolerations().getFirst();
        assertEquals(List.of(Stockade.SANDBOX_TAINT_KEY, "Equal", "sandbox"),
                List.of(toleration.getKey(), toleration.getOperator(), toleration.getValue()));
        assertEquals(hash, daemonSet.getSpec().getTemplate().getMetadata().getAnnotations().get(PolicyObjects.PROFILES_HASH_ANNOTATION));
        assertEquals("registry.example/stockade-installer:1.0", installer.getImage());
        assertEquals("stockade-installer", pod.getServiceAccountName());
        Map<String, String> env = installer.getEnv().stream().filter(e -> e.getValue() != null)
                .collect(Collectors.toMap(EnvVar::getName, EnvVar::getValue));
        assertEquals("isolated=stockade-isolated,strict=stockade-strict", env.get(InstallerEnvironment.HANDLERS));
        assertEquals("sandbox", env.get(InstallerEnvironment.POLICY));
        assertEquals(InstallerEnvironment.DEFAULT_KUBELET_ROOT, env.get(InstallerEnvironment.KUBELET_ROOT), "the kubelet root the installer tells the runtime");
        assertEquals("auto", env.get(InstallerEnvironment.RESTART), "the installer picks the restart for the node's runtime");
        assertEquals("off", env.get(InstallerEnvironment.SUPERVISOR_METRICS), "no unauthenticated endpoint in the host's network unless asked");
        assertEquals("9465", env.get(InstallerEnvironment.METRICS_PORT));
        assertEquals(Map.of("health", 8090, "metrics", 9465), installer.getPorts().stream()
                .collect(Collectors.toMap(port -> port.getName(), port -> port.getContainerPort())), "the port scrapers select by name");
        assertEquals("spec.nodeName", installer.getEnv().stream().filter(e -> e.getName().equals(InstallerEnvironment.NODE_NAME))
                .findFirst().orElseThrow().getValueFrom().getFieldRef().getFieldPath());
        assertEquals("/readyz", installer.getReadinessProbe().getHttpGet().getPath());
        assertTrue(installer.getSecurityContext().getPrivileged());
        assertEquals(profiles.getMetadata().getName(), pod.getVolumes().stream()
                .filter(v -> v.getConfigMap() != null).findFirst().orElseThrow().getConfigMap().getName());
    }

    @Test
    void aProfileChangeChangesTheHashAndSoRollsTheInstallers() {
        SandboxPolicy policy = named(policy("sandbox", selectLabel("a", "b"), "isolated"));
        String before = ProfileConfigMap.desired(policy, "ns").getMetadata().getAnnotations().get(PolicyObjects.PROFILES_HASH_ANNOTATION);
        policy.getSpec().getRuntimeClasses().getFirst().setProfile(null);
        ConfigMap after = ProfileConfigMap.desired(policy, "ns");

        assertNotEquals(before, after.getMetadata().getAnnotations().get(PolicyObjects.PROFILES_HASH_ANNOTATION));
        assertEquals(Profiles.render(dev.stockade.api.profile.SandboxProfile.defaults()), after.getData().get("isolated.json"));
    }

    @Test
    void runtimeClassSchedulesOnVerifiedNodesPastThePoolTaintWithOverhead() {
        SandboxPolicy policy = named(policy("sandbox", selectLabel("a", "b"), "isolated"));
        policy.getSpec().setTaintEffect(dev.stockade.operator.policy.SandboxPolicySpec.TaintEffect.NoExecute);
        policy.getSpec().getRuntimeClasses().getFirst().setHandler("my-handler");

        RuntimeClass runtimeClass = RuntimeClasses.desired(policy).getFirst();

        assertEquals("isolated", runtimeClass.getMetadata().getName());
        assertEquals("my-handler", runtimeClass.getHandler());
        assertEquals(Map.of(Stockade.RUNTIME_READY_LABEL, "sandbox"), runtimeClass.getScheduling().getNodeSelector());
        assertEquals("NoExecute", runtimeClass.getScheduling().getTolerations().getFirst().getEffect());
        assertEquals(new Quantity("16Mi"), runtimeClass.getOverhead().getPodFixed().get("memory"));
        assertEquals("uid-1", runtimeClass.getMetadata().getOwnerReferences().getFirst().getUid());
    }

    private static SandboxPolicy named(SandboxPolicy policy) {
        policy.getMetadata().setUid("uid-1");
        return policy;
    }
}
