package dev.stockade.helm;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.stockade.helm.ChartRendering.Rendered;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import org.junit.jupiter.api.Test;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

/**
 * Every rendered Kubernetes object reads into the fabric8 model without a field the model does not
 * know: a misspelt field (readOnlyRootFileSystem, serviceAccount...) would otherwise be dropped by
 * the API server without a word, leaving the default in force.
 */
class RenderedFieldsTest {

    private static final KubernetesSerialization SERIALIZATION = new KubernetesSerialization();
    private static final String MODEL_PACKAGE = "io.fabric8.kubernetes.api.model";

    @Test
    void everyRenderedFieldIsOneKubernetesKnows() {
        Rendered rendered = ChartRendering.render(Map.of("metrics.serviceMonitor.enabled", true, "examplePolicy.enabled", true,
                "metrics.node.service.enabled", true, "metrics.node.serviceMonitor.enabled", true,
                "metrics.node.readers[0].name", "prometheus", "metrics.node.readers[0].namespace", "monitoring",
                "metrics.prometheusRule.enabled", true));
        List<String> unknown = new ArrayList<>();
        int typed = 0;
        for (ObjectNode object : rendered.objects()) {
            Object model = SERIALIZATION.unmarshal(object.toString());
            if (model instanceof GenericKubernetesResource) {
                continue; // ServiceMonitor, PrometheusRule, SandboxPolicy: no built-in model to check against.
            }
            typed++;
            collectUnknown(model, object.path("kind").asText() + " " + object.path("metadata").path("name").asText(), unknown);
        }

        assertFalse(typed < 10, "expected the chart's built-in kinds to be checked, got " + typed);
        assertEquals(List.of(), unknown, "fields Kubernetes does not know");
    }

    @Test
    void theCheckFindsAMisspeltField() {
        List<String> unknown = new ArrayList<>();
        Object model = SERIALIZATION.unmarshal("""
                {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"},
                 "spec": {"containers": [{"name": "c", "securityContext": {"readOnlyRootFileSystem": true}}]}}
                """);

        collectUnknown(model, "Pod p", unknown);

        assertEquals(List.of("Pod p.spec.containers[0].securityContext: [readOnlyRootFileSystem]"), unknown);
    }

    private static void collectUnknown(Object value, String path, List<String> unknown) {
        if (value instanceof Collection<?> items) {
            int index = 0;
            for (Object item : items) {
                collectUnknown(item, path + "[" + index++ + "]", unknown);
            }
            return;
        }
        if (value instanceof Map<?, ?> entries) {
            entries.forEach((key, item) -> collectUnknown(item, path + "." + key, unknown));
            return;
        }
        if (value == null || !value.getClass().getPackageName().startsWith(MODEL_PACKAGE)) {
            return;
        }
        for (Method getter : value.getClass().getMethods()) {
            if (getter.getParameterCount() != 0 || Modifier.isStatic(getter.getModifiers()) || !getter.getName().startsWith("get")
                    || getter.getDeclaringClass() == Object.class) {
                continue;
            }
            Object child = invoke(getter, value);
            if (getter.getName().equals("getAdditionalProperties")) {
                if (child instanceof Map<?, ?> extra && !extra.isEmpty()) {
                    unknown.add(path + ": " + extra.keySet());
                }
            } else {
                String field = Character.toLowerCase(getter.getName().charAt(3)) + getter.getName().substring(4);
                collectUnknown(child, path + "." + field, unknown);
            }
        }
    }

    private static Object invoke(Method getter, Object target) {
        try {
            return getter.invoke(target);
        } catch (IllegalAccessException | InvocationTargetException e) {
            throw new IllegalStateException("cannot read " + getter + ": " + e.getMessage(), e);
        }
    }
}
