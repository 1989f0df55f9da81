package dev.stockade.operator.runtimeclass;

import dev.stockade.operator.policy.SandboxPolicy;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.node.v1.RuntimeClass;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * What publishing a policy's RuntimeClasses takes, decided from the live objects: which to create,
 * update, replace or delete, and which names are blocked by a RuntimeClass that is not this
 * policy's. Pure: the caller applies the changes in order.
 */
public final class RuntimeClassPlan {

    /** One API change. */
    public sealed interface Change permits Create, Update, Replace, Delete {
    }

    public record Create(RuntimeClass desired) implements Change {
    }

    /** {@code desired} carries the live object's resourceVersion. */
    public record Update(RuntimeClass desired) implements Change {
    }

    /**
     * Delete {@code live} and create {@code desired}: a RuntimeClass's handler is immutable
     * (Kubernetes API, node.k8s.io/v1 RuntimeClass.handler).
     */
    public record Replace(RuntimeClass live, RuntimeClass desired) implements Change {
    }

    /** A RuntimeClass of this policy that its spec no longer lists. */
    public record Delete(RuntimeClass owned) implements Change {
    }

    /**
     * @param changes  in the order to apply them
     * @param problems one message per blocked class, naming the field and what to do (for Degraded)
     */
    public record Plan(List<Change> changes, List<String> problems) {
    }

    /**
     * @param policy the policy, with its uid
     * @param live   the RuntimeClass of each desired name as read from the API server (absent: none)
     * @param owned  the RuntimeClasses labelled as this policy's
     */
    public static Plan of(SandboxPolicy policy, Map<String, RuntimeClass> live, List<RuntimeClass> owned) {
        List<Change> changes = new ArrayList<>();
        List<String> problems = new ArrayList<>();
        List<RuntimeClass> desiredClasses = RuntimeClasses.desired(policy);
        for (RuntimeClass desired : desiredClasses) {
            String name = desired.getMetadata().getName();
            RuntimeClass current = live.get(name);
            if (current == null) {
                changes.add(new Create(desired));
            } else if (!ownedBy(current, policy)) {
                problems.add("RuntimeClass " + name + " already exists and does not belong to this policy; "
                        + "rename spec.runtimeClasses entry " + name + " or delete the existing RuntimeClass");
            } else if (!Objects.equals(current.getHandler(), desired.getHandler())) {
                changes.add(new Replace(current, desired));
            } else if (!RuntimeClasses.sameSpec(current, desired)) {
                desired.getMetadata().setResourceVersion(current.getMetadata().getResourceVersion());
                changes.add(new Update(desired));
            }
        }
        Set<String> wanted = desiredClasses.stream().map(rc -> rc.getMetadata().getName()).collect(Collectors.toSet());
        owned.stream().filter(rc -> !wanted.contains(rc.getMetadata().getName())).map(Delete::new).forEach(changes::add);
        return new Plan(List.copyOf(changes), List.copyOf(problems));
    }

    private static boolean ownedBy(HasMetadata resource, SandboxPolicy policy) {
        return resource.getMetadata().getOwnerReferences() != null && resource.getMetadata().getOwnerReferences().stream()
                .anyMatch(ref -> Objects.equals(ref.getUid(), policy.getMetadata().getUid()));
    }

    private RuntimeClassPlan() {
    }
}
