package dev.stockade.operator.runtimeclass;

import dev.stockade.operator.policy.SandboxPolicy;
import io.fabric8.kubernetes.api.model.node.v1.RuntimeClass;
import io.fabric8.kubernetes.api.model.node.v1.RuntimeClassBuilder;
import io.fabric8.kubernetes.client.utils.Serialization;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static dev.stockade.operator.Fixtures.policy;
import static dev.stockade.operator.Fixtures.selectLabel;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

class RuntimeClassPlanTest {

    private final SandboxPolicy policy = withUid(policy("sandbox", selectLabel("pool", "x"), "isolated", "strict"), "uid-1");

    @Test
    void missingClassesAreCreated() {
        RuntimeClassPlan.Plan plan = RuntimeClassPlan.of(policy, Map.of(), List.of());

        assertEquals(List.of("isolated", "strict"), plan.changes().stream()
                .map(c -> ((RuntimeClassPlan.Create) c).desired().getMetadata().getName()).toList());
        assertTrue(plan.problems().isEmpty());
    }

    @Test
    void classesAsWantedNeedNothing() {
        Map<String, RuntimeClass> live = Map.of("isolated", live("isolated", null), "strict", live("strict", null));

        assertEquals(new RuntimeClassPlan.Plan(List.of(), List.of()), RuntimeClassPlan.of(policy, live, List.copyOf(live.values())));
    }

    @Test
    void aChangedHandlerIsReplacedAndAChangedOverheadUpdatedWithTheLiveResourceVersion() {
        RuntimeClass otherHandler = live("isolated", rc -> rc.setHandler("stockade-old"));
        RuntimeClass otherOverhead = live("strict", rc -> rc.setOverhead(null));
        otherOverhead.getMetadata().setResourceVersion("42");

        List<RuntimeClassPlan.Change> changes = RuntimeClassPlan.of(policy,
                Map.of("isolated", otherHandler, "strict", otherOverhead), List.of(otherHandler, otherOverhead)).changes();

        RuntimeClassPlan.Replace replace = assertInstanceOf(RuntimeClassPlan.Replace.class, changes.get(0));
        assertEquals("stockade-old", replace.live().getHandler());
        assertEquals("stockade-isolated", replace.desired().getHandler());
        RuntimeClassPlan.Update update = assertInstanceOf(RuntimeClassPlan.Update.class, changes.get(1));
        assertEquals("42", update.desired().getMetadata().getResourceVersion());
    }

    @Test
    void aClassOfTheSameNameThatIsNotOursIsLeftAloneAndReported() {
        RuntimeClass foreign = new RuntimeClassBuilder().withNewMetadata().withName("isolated").endMetadata().withHandler("runsc").build();

        RuntimeClassPlan.Plan plan = RuntimeClassPlan.of(policy, Map.of("isolated", foreign), List.of());

        assertEquals(1, plan.changes().size(), "only strict is created");
        assertEquals(List.of("RuntimeClass isolated already exists and does not belong to this policy; rename "
                + "spec.runtimeClasses entry isolated or delete the existing RuntimeClass"), plan.problems());
    }

    @Test
    void ownedClassesNoLongerInTheSpecAreDeleted() {
        RuntimeClass dropped = live("dropped", null);
        dropped.getMetadata().setName("dropped");

        List<RuntimeClassPlan.Change> changes = RuntimeClassPlan.of(policy,
                Map.of("isolated", live("isolated", null), "strict", live("strict", null)), List.of(dropped)).changes();

        assertEquals(List.of(new RuntimeClassPlan.Delete(dropped)), changes);
    }

    /** The class as the operator would have created it, changed by {@code edit}. */
    private RuntimeClass live(String name, java.util.function.Consumer<RuntimeClass> edit) {
        RuntimeClass desired = RuntimeClasses.desired(policy).stream()
                .filter(rc -> rc.getMetadata().getName().equals(name)).findFirst()
                .orElseGet(() -> RuntimeClasses.desired(policy).getFirst());
        RuntimeClass copy = Serialization.clone(desired);
        copy.getMetadata().setResourceVersion("1");
        if (edit != null) {
            edit.accept(copy);
        }
        return copy;
    }

    private static SandboxPolicy withUid(SandboxPolicy policy, String uid) {
        policy.getMetadata().setUid(uid);
        return policy;
    }
}
