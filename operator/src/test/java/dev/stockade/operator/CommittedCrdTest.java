package dev.stockade.operator;

import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.kubernetes.client.WithKubernetesTestServer;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

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
}
