package dev.stockade.supervisor.it;

import dev.stockade.testing.CommandResult;
import dev.stockade.testing.Commands;
import dev.stockade.testing.HostPrerequisites;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/** gVisor's runsc as the test tooling builds it (test/cluster/build-tools gvisor, version pinned in versions.env). */
final class GvisorTools {

    private GvisorTools() {
    }

    /**
     * The runsc binary: in {@code STOCKADE_GVISOR_BIN} if set, else in build-tools' cache (built there
     * when missing, about 4 minutes from an empty Go cache). Fails in CI, skips on a laptop, without it.
     */
    static Path runsc() {
        String named = System.getenv("STOCKADE_GVISOR_BIN");
        Path bin;
        if (named != null) {
            bin = Path.of(named);
        } else {
            Path buildTools = Path.of("../../test/cluster/build-tools").toAbsolutePath().normalize();
            CommandResult built = Commands.run(Duration.ofMinutes(20), Map.of(), List.of(buildTools.toString(), "gvisor"));
            HostPrerequisites.require(built.exitCode() == 0, "gVisor's runsc from test/cluster/build-tools gvisor: " + built.stderr().strip());
            List<String> lines = built.stdout().strip().lines().toList();
            bin = Path.of(lines.getLast()).resolve("bin");
        }
        Path runsc = bin.resolve("runsc");
        HostPrerequisites.require(Files.isExecutable(runsc), "gVisor's runsc at " + runsc + " (test/cluster/build-tools gvisor)");
        return runsc;
    }
}
