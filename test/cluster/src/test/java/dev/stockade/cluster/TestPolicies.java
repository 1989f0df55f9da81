package dev.stockade.cluster;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** SandboxPolicy manifests as a user writes them, for policies that must not take the test node. */
final class TestPolicies {

    /**
     * Writes {@code dir/<name>.yaml}: a policy named {@code name} whose selector matches no node, with
     * {@code spec} (YAML lines indented by two spaces, e.g. its runtimeClasses) added to its spec.
     */
    static Path selectingNoNode(Path dir, String name, String spec) throws IOException {
        return Files.writeString(dir.resolve(name + ".yaml"), yaml(name, spec));
    }

    static String yaml(String name, String spec) {
        return "apiVersion: stockade.dev/v1alpha1\nkind: SandboxPolicy\nmetadata:\n  name: " + name + "\nspec:\n"
                + "  nodeSelector:\n    matchLabels: {stockade.dev/test: no-such-node}\n" + spec;
    }

    private TestPolicies() {
    }
}
