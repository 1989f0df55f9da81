package dev.stockade.helm;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;

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
}
