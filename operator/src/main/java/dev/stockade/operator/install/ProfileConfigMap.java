package dev.stockade.operator.install;

import dev.stockade.api.Stockade;
import dev.stockade.api.profile.Profiles;
import dev.stockade.operator.policy.PolicyObjects;
import dev.stockade.operator.policy.RuntimeClassSpec;
import dev.stockade.operator.policy.SandboxPolicy;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;

import java.util.Map;
import java.util.TreeMap;

/** The policy's profiles, one canonical JSON file per runtime class, as the installer mounts them. */
public final class ProfileConfigMap {

    public static final String COMPONENT = "stockade-profiles";

    public static ConfigMap desired(SandboxPolicy policy, String namespace) {
        Map<String, String> data = renderedProfiles(policy);
        return new ConfigMapBuilder()
                .withMetadata(PolicyObjects.ownedMetadata(policy,
                        PolicyObjects.profilesConfigMapName(policy.getMetadata().getName()), namespace, COMPONENT))
                .editMetadata().addToAnnotations(PolicyObjects.PROFILES_HASH_ANNOTATION, combinedHash(data)).endMetadata()
                .withData(data)
                .build();
    }

    public static Map<String, String> renderedProfiles(SandboxPolicy policy) {
        Map<String, String> data = new TreeMap<>();
        for (RuntimeClassSpec runtimeClass : policy.getSpec().getRuntimeClasses()) {
            data.put(Stockade.profileFileName(runtimeClass.getName()), Profiles.render(runtimeClass.effectiveProfile()));
        }
        return data;
    }

    /** One hash over every file: the DaemonSet's pod template carries it, so a change rolls the installers. */
    public static String combinedHash(Map<String, String> data) {
        StringBuilder all = new StringBuilder();
        new TreeMap<>(data).forEach((file, content) -> all.append(file).append('\n').append(content));
        return Profiles.hash(all.toString());
    }

    private ProfileConfigMap() {
    }
}
