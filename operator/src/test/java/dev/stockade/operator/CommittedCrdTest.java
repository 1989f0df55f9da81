package dev.stockade.operator;

import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceColumnDefinition;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.api.model.apiextensions.v1.JSONSchemaProps;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.kubernetes.client.WithKubernetesTestServer;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The CRD users install (crds/, the chart, the manifests) must be the one the code generates.
 * The Quarkus build writes the generated CRD before any @QuarkusTest runs.
 */
@QuarkusTest
@WithKubernetesTestServer(crud = true)
class CommittedCrdTest {

    private static final String CRD_FILE = "sandboxpolicies.stockade.dev-v1.yml";

    @Test
    void committedCrdMatchesTheGeneratedOne() throws IOException {
        Path generated = Path.of("target", "kubernetes", CRD_FILE);
        Path committed = Path.of("..", "crds", CRD_FILE);
        assertTrue(Files.exists(generated), "the build did not generate " + generated);
        assertEquals(Files.readString(generated), Files.readString(committed),
                "crds/" + CRD_FILE + " differs from the generated CRD: copy " + generated.toAbsolutePath() + " over it");
    }

    @Test
    void kubectlGetPrintsTheColumnsInTheDeclaredOrder() throws IOException {
        CustomResourceDefinition crd = committed();
        assertEquals(List.of("Ready", "Nodes", "RuntimeClasses", "Age"), crd.getSpec().getVersions().getFirst()
                .getAdditionalPrinterColumns().stream().map(CustomResourceColumnDefinition::getName).toList());
    }

    /** {@code kubectl explain} has something to say about every field, Kubernetes-typed ones included. */
    @Test
    void everyFieldHasADescription() throws IOException {
        List<String> undescribed = new ArrayList<>();
        undescribedFields(committed().getSpec().getVersions().getFirst().getSchema().getOpenAPIV3Schema(), "", undescribed);
        assertEquals(List.of(), undescribed, "fields without a description (SandboxPolicyCrd can give Kubernetes-typed ones one)");
    }

    private static void undescribedFields(JSONSchemaProps schema, String path, List<String> undescribed) {
        if (schema.getProperties() != null) {
            schema.getProperties().forEach((name, field) -> {
                if (field.getDescription() == null || field.getDescription().isBlank()) {
                    undescribed.add(path + name);
                }
                undescribedFields(field, path + name + ".", undescribed);
            });
        }
        if (schema.getItems() != null && schema.getItems().getSchema() != null) {
            undescribedFields(schema.getItems().getSchema(), path.substring(0, path.length() - 1) + "[].", undescribed);
        }
    }

    private static CustomResourceDefinition committed() throws IOException {
        return Serialization.unmarshal(Files.readString(Path.of("..", "crds", CRD_FILE)), CustomResourceDefinition.class);
    }
}
