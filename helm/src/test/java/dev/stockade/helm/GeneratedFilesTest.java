package dev.stockade.helm;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.Test;
import org.yaml.snakeyaml.Yaml;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The chart is the one source of truth of the install paths: manifests/install.yaml, the OLM
 * bundle, manifests/prometheus/ and the chart's copies of the CRD and sample must be what it
 * generates. With -Dstockade.regenerate=true (manifests/regenerate) the files are rewritten instead.
 */
class GeneratedFilesTest {

    @Test
    void committedFilesAreWhatTheChartGenerates() throws IOException {
        if (Build.regenerate()) {
            // The chart's copies first: install.yaml and the bundle are rendered from the chart.
            for (int pass = 0; pass < 2; pass++) {
                for (Map.Entry<String, String> file : GeneratedFiles.expected().entrySet()) {
                    write(GeneratedFiles.path(file.getKey()), file.getValue());
                }
            }
        }
        List<String> stale = new ArrayList<>();
        GeneratedFiles.expected().forEach((relative, content) -> {
            Path file = GeneratedFiles.path(relative);
            if (!Files.isRegularFile(file) || !content.equals(Build.read(file))) {
                stale.add(relative);
            }
        });

        assertEquals(List.of(), stale, "these files differ from what helm/stockade, crds/ and manifests/samples/ generate;"
                + " run " + GeneratedFiles.REGENERATE_COMMAND + " and commit the result");
    }

    /** Written beside and renamed, so a reader never sees half a file. */
    private static void write(Path file, String content) throws IOException {
        Files.createDirectories(file.getParent());
        Path temporary = file.resolveSibling(file.getFileName() + ".tmp");
        Files.writeString(temporary, content);
        Files.move(temporary, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    /**
     * A string in a generated file must reach the API server as a string: "0x20" or "on" left
     * unquoted would be read (YAML 1.1, as Kubernetes and OLM read manifests) as 32 or true, and an
     * environment variable or annotation of that type is refused.
     */
    @Test
    void stringsThatYamlReadsAsAnotherTypeAreWrittenQuoted() {
        List<String> strings = List.of("32", "0x20", "0X20", "0o17", "0O17", "0b101", "0B101", "1e3", "1_000", "1:20", ".5",
                "-.inf", ".NaN", "on", "Off", "yes", "N", "y", "true", "null", "~", "", "2026-12-01", "2026-12-01T06:23:00Z",
                "<<", "plain", "PT10M", "10m", "v1.2.3");
        ObjectNode values = JsonNodeFactory.instance.objectNode();
        strings.forEach(value -> values.put(key(strings, value), value));
        values.put("number", 32).put("flag", true);

        String written = GeneratedFiles.yaml(values);
        Map<String, Object> read = new Yaml().load(written);

        strings.forEach(value -> assertEquals(value, read.get(key(strings, value)), "written as:\n" + written));
        // SnakeYAML reads these as strings either way; go-yaml, which Kubernetes uses, does not.
        for (String goYamlNonString : List.of("N", "y", "0X20", "0o17", "0O17", "0B101")) {
            assertTrue(written.contains(key(strings, goYamlNonString) + ": \"" + goYamlNonString + "\""), written);
        }
        assertEquals(32, read.get("number"), "numbers stay numbers");
        assertEquals(true, read.get("flag"), "booleans stay booleans");
        for (String plain : List.of("plain", "PT10M", "10m", "v1.2.3")) {
            assertTrue(written.contains(key(strings, plain) + ": " + plain + "\n"), "ordinary strings stay unquoted:\n" + written);
        }
    }

    private static String key(List<String> strings, String value) {
        return "s" + strings.indexOf(value);
    }
}
