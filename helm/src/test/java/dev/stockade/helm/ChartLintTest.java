package dev.stockade.helm;

import com.marcnuri.helm.Helm;
import com.marcnuri.helm.LintResult;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

class ChartLintTest {

    @Test
    void strictLintIsClean() {
        LintResult result = new Helm(Build.chart()).lint().strict().call();

        assertFalse(result.isFailed(), "helm lint --strict failed: " + result.getMessages());
        assertEquals(java.util.List.of(), result.getMessages().stream().filter(m -> !m.startsWith("[INFO]")).toList(),
                "helm lint --strict reports warnings or errors");
    }
}
