package dev.stockade.operator.policy;

import dev.stockade.api.profile.Profiles;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.api.model.OwnerReferenceBuilder;
import io.fabric8.kubernetes.client.utils.Serialization;

import java.util.HashMap;
import java.util.Map;
import java.util.Objects;

/** Names, labels and owner references shared by every object a policy owns. */
public final class PolicyObjects {

    public static final String MANAGED_BY_LABEL = "app.kubernetes.io/managed-by";
    public static final String MANAGED_BY = "stockade-operator";
    public static final String PART_OF_LABEL = "app.kubernetes.io/part-of";
    public static final String NAME_LABEL = "app.kubernetes.io/name";
    public static final String POLICY_LABEL = "stockade.dev/policy";
    public static final String PROFILES_HASH_ANNOTATION = "stockade.dev/profiles-hash";
    /** Hash of the object as the operator built it; an update is sent only when it changes. */
    public static final String DESIRED_HASH_ANNOTATION = "stockade.dev/desired-hash";

    public static String profilesConfigMapName(String policy) {
        return "stockade-" + policy + "-profiles";
    }

    public static String installerDaemonSetName(String policy) {
        return "stockade-" + policy + "-installer";
    }

    public static Map<String, String> labels(String policy, String component) {
        return Map.of(
                MANAGED_BY_LABEL, MANAGED_BY,
                PART_OF_LABEL, "stockade",
                NAME_LABEL, component,
                POLICY_LABEL, policy);
    }

    /** Metadata of an owned object: garbage collection removes it with the policy on a real cluster. */
    public static ObjectMeta ownedMetadata(SandboxPolicy policy, String name, String namespace, String component) {
        return new ObjectMetaBuilder()
                .withName(name)
                .withNamespace(namespace)
                .withLabels(labels(policy.getMetadata().getName(), component))
                .withOwnerReferences(ownerReference(policy))
                .build();
    }

    public static OwnerReference ownerReference(SandboxPolicy policy) {
        return new OwnerReferenceBuilder()
                .withApiVersion(policy.getApiVersion())
                .withKind(policy.getKind())
                .withName(policy.getMetadata().getName())
                .withUid(policy.getMetadata().getUid())
                .withController(true)
                .withBlockOwnerDeletion(true)
                .build();
    }

    /** Records the hash of {@code desired} (as built, before this annotation) on the object itself. */
    public static void stampDesiredHash(HasMetadata desired) {
        if (desired.getMetadata().getAnnotations() != null) {
            desired.getMetadata().getAnnotations().remove(DESIRED_HASH_ANNOTATION);
        }
        String hash = Profiles.hash(Serialization.asJson(desired));
        if (desired.getMetadata().getAnnotations() == null) {
            desired.getMetadata().setAnnotations(new HashMap<>());
        }
        desired.getMetadata().getAnnotations().put(DESIRED_HASH_ANNOTATION, hash);
    }

    public static boolean sameDesiredHash(HasMetadata live, HasMetadata desired) {
        Map<String, String> liveAnnotations = live.getMetadata().getAnnotations();
        return liveAnnotations != null && Objects.equals(liveAnnotations.get(DESIRED_HASH_ANNOTATION),
                desired.getMetadata().getAnnotations().get(DESIRED_HASH_ANNOTATION));
    }

    private PolicyObjects() {
    }
}
