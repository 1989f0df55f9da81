package dev.stockade.helm;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import com.marcnuri.helm.Helm;
import com.marcnuri.helm.TemplateCommand;

import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The chart rendered by the real Helm engine (helm-java), as text and as parsed objects. */
final class ChartRendering {

    static final String RELEASE = "stockade";
    static final String NAMESPACE = "stockade-system";
    static final ObjectMapper YAML = new YAMLMapper();
    /** Helm renders for an old Kubernetes unless told; the chart needs 1.25 or newer. */
    static final String KUBE_VERSION = "v1.31.0";

    /** {@code helm template stockade helm/stockade --namespace <namespace> --set key=value...}. */
    static String template(String namespace, Map<String, Object> values) {
        TemplateCommand command = new Helm(Build.chart()).template().withName(RELEASE).withNamespace(namespace)
                .withKubeVersion(KUBE_VERSION);
        values.forEach(command::set);
        return command.call();
    }

    static Rendered render(Map<String, Object> values) {
        return new Rendered(parse(template(NAMESPACE, values)));
    }

    static Rendered renderDefaults() {
        return render(Map.of());
    }

    static List<ObjectNode> parse(String yaml) {
        List<ObjectNode> objects = new ArrayList<>();
        try (var documents = YAML.readerFor(JsonNode.class).<JsonNode>readValues(yaml)) {
            while (documents.hasNext()) {
                JsonNode document = documents.next();
                if (document instanceof ObjectNode object && !object.isEmpty()) {
                    objects.add(object);
                }
            }
        } catch (IOException e) {
            throw new AssertionError("rendered YAML does not parse: " + e.getMessage() + "\n" + yaml, e);
        }
        return objects;
    }

    /** Rendered objects, looked up by kind and name. */
    record Rendered(List<ObjectNode> objects) {

        ObjectNode get(String kind, String name) {
            return objects.stream()
                    .filter(o -> kind.equals(o.path("kind").asText()) && name.equals(o.path("metadata").path("name").asText()))
                    .findFirst()
                    .orElseThrow(() -> new AssertionError("the chart renders no " + kind + " " + name + "; it renders "
                            + kindsAndNames()));
        }

        List<ObjectNode> ofKind(String kind) {
            return objects.stream().filter(o -> kind.equals(o.path("kind").asText())).toList();
        }

        Map<String, String> kindsAndNames() {
            Map<String, String> result = new LinkedHashMap<>();
            objects.forEach(o -> result.merge(o.path("kind").asText(), o.path("metadata").path("name").asText(),
                    (a, b) -> a + "," + b));
            return result;
        }
    }

    private ChartRendering() {
    }
}
