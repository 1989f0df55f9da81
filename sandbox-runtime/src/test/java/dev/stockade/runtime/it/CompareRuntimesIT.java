package dev.stockade.runtime.it;

import dev.stockade.testing.CommandResult;
import dev.stockade.testing.Commands;
import dev.stockade.testing.HostPrerequisites;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The README's side-by-side benchmark (bench/compare-runtimes.sh) at its smallest, one round and
 * two lifecycle runs, so that it cannot rot: every workload, a pod through containerd's CRI plugin
 * among them, must give a figure under runc, runc with the default seccomp profile, Stockade and
 * runsc. The figures are written to target/compare-runtimes.md and never asserted (this machine is
 * too noisy for that).
 */
class CompareRuntimesIT {

    static final List<String> ROWS = List.of("1. lifecycle: ctr run", "1. lifecycle: CRI pod", "2. dd bs=1", "2. getpid",
            "2. uname", "3. 1000 fork+exec", "4. unpack and read", "4. write 8 MiB", "5. 1000 HTTP requests", "6. JVM start",
            "6. Python start", "7. host memory");

    @Test
    void everyWorkloadGivesAFigureUnderEveryRuntime() throws Exception {
        HostPrerequisites.requireRoot();
        HostPrerequisites.require(Files.isExecutable(Path.of("/usr/bin/python3")), "Debian's python3 (the Python start row)");
        Path payload = Path.of(System.getProperty("stockade.payload", "target/payload")).toAbsolutePath();
        CommandResult run = Commands.run(Duration.ofMinutes(30), Map.of("STOCKADE_PAYLOAD", payload.toString()),
                List.of("bench/compare-runtimes.sh", "1", "2"));
        Files.writeString(Path.of("target/compare-runtimes.md"), run.stdout());
        assertEquals(0, run.exitCode(), run.describe());
        List<String> table = run.stdout().lines().filter(line -> line.startsWith("| ") && !line.startsWith("| workload")
                && !line.startsWith("| ---")).toList();
        assertEquals(ROWS.size(), table.size(), run.stdout());
        for (int i = 0; i < ROWS.size(); i++) {
            String row = table.get(i);
            assertTrue(row.startsWith("| " + ROWS.get(i)), row);
            assertFalse(row.contains("failed"), "a workload failed: " + row + "\n" + run.stderr());
            assertTrue(row.matches("(\\| [^|]+ ){5}\\|"), "a title and one cell per runtime: " + row);
            assertFalse(row.contains(" 0.0 MiB"), "no runtime's processes were found: " + row);
        }
    }
}
