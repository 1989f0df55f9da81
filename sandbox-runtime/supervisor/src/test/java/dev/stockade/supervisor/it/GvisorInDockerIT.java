package dev.stockade.supervisor.it;

import dev.stockade.api.node.LauncherEnvironment;
import dev.stockade.testing.BusyboxImage;
import dev.stockade.testing.BuiltTools;
import dev.stockade.testing.CommandResult;
import dev.stockade.testing.HostPrerequisites;
import dev.stockade.testing.PrivateDockerd;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * runsc registered in a real Docker engine's {@code runtimes}, as gVisor's docs install it, beside
 * Stockade's launcher and plain runc: the seed's demo commands under each. Writes
 * target/side-by-side-docker.md. Stockade's refusals are asserted; runc's and runsc's outcomes are
 * recorded, except that runsc must have run a container (or the column would say nothing).
 */
class GvisorInDockerIT {

    private static final String IMAGE = "stockade-it/busybox:gvisor";

    enum Runtime {
        RUNC("runc"), STOCKADE("stockade"), RUNSC("runsc");

        final String name;

        Runtime(String name) {
            this.name = name;
        }
    }

    @TempDir
    Path dir;

    @Test
    void theSeedsDemoUnderRuncStockadeAndRunsc() throws Exception {
        Path payload = Path.of(System.getProperty("stockade.payload", "../target/payload")).toAbsolutePath().normalize();
        HostPrerequisites.require(Files.isExecutable(payload.resolve("bin/stockade-runtime")), "the runtime payload at " + payload);
        Path runsc = BuiltTools.runsc();
        Path rootfs = BusyboxImage.rootfs(dir.resolve("rootfs"));
        try (PrivateDockerd dockerd = PrivateDockerd.start(dir.resolve("docker"), false)) {
            Path profile = Files.writeString(dir.resolve("untrusted.json"), "{}");
            Path launcher = dir.resolve("stockade-untrusted");
            Files.writeString(launcher, "#!/bin/sh\n" + LauncherEnvironment.PROFILE + "=" + profile + " "
                    + LauncherEnvironment.ENGINE_DIRECTORIES + "='docker:" + dockerd.dataRoot() + " docker:" + dockerd.execRoot() + "' "
                    + LauncherEnvironment.SPEC_SERVER + "=" + dir.resolve("no-spec-server") + " exec "
                    + payload.resolve("bin/stockade-runtime") + " \"$@\"\n");
            Files.setPosixFilePermissions(launcher, PosixFilePermissions.fromString("rwxr-xr-x"));
            // gVisor's Docker set-up (runsc install writes the same): the binary as a runtime, systrap without KVM.
            String daemonJson = Files.readString(dockerd.configFile()).strip();
            Files.writeString(dockerd.configFile(), daemonJson.substring(0, daemonJson.length() - 1).stripTrailing() + ",\n  \"runtimes\": {\n"
                    + "    \"stockade\": {\"path\": \"" + launcher + "\"},\n"
                    + "    \"runsc\": {\"path\": \"" + runsc + "\", \"runtimeArgs\": [\"--platform=systrap\"]}\n  }\n}\n");
            dockerd.restart();
            dockerd.buildImage(rootfs, IMAGE);

            Map<String, List<String>> rows = new LinkedHashMap<>();
            rows.put("`docker run --rm busybox uname -r`", List.of("uname", "-r"));
            rows.put("`-v /:/host` then `ls /host`", List.of("-v", "/:/host", "--", "ls", "/host"));
            rows.put("`--privileged` then `grep CapEff /proc/self/status`", List.of("--privileged", "--", "grep", "CapEff", "/proc/self/status"));
            rows.put("`--pid=host` then `cat /proc/1/cmdline`", List.of("--pid=host", "--", "cat", "/proc/1/cmdline"));
            rows.put("`--cap-add SYS_ADMIN` then `grep CapEff /proc/self/status`", List.of("--cap-add", "SYS_ADMIN", "--",
                    "grep", "CapEff", "/proc/self/status"));
            String engine = dockerd.docker("version", "--format", "{{.Server.Version}}").requireSuccess().stdout().strip();
            StringBuilder table = new StringBuilder("| docker run … (Docker " + engine + ") | runc | Stockade (default profile) | runsc (gVisor, systrap) |\n"
                    + "|---|---|---|---|\n");
            Map<String, Map<Runtime, CommandResult>> results = new LinkedHashMap<>();
            for (Map.Entry<String, List<String>> row : rows.entrySet()) {
                Map<Runtime, CommandResult> cells = new EnumMap<>(Runtime.class);
                for (Runtime runtime : Runtime.values()) {
                    cells.put(runtime, dockerd.docker(dockerRun(runtime, row.getValue()).toArray(String[]::new)));
                }
                results.put(row.getKey(), cells);
                table.append("| ").append(row.getKey()).append(" |");
                cells.values().forEach(result -> table.append(' ').append(SideBySideWithGvisorIT.cell(result)).append(" |"));
                table.append('\n');
            }
            Files.writeString(Path.of("target/side-by-side-docker.md"), table.toString());

            Map<Runtime, CommandResult> uname = results.get("`docker run --rm busybox uname -r`");
            assertEquals(0, uname.get(Runtime.RUNSC).exitCode(), "runsc runs through Docker: " + uname.get(Runtime.RUNSC).describe());
            assertTrue(uname.get(Runtime.RUNSC).stdout().contains("gvisor"), uname.get(Runtime.RUNSC).describe());
            assertEquals(0, uname.get(Runtime.STOCKADE).exitCode(), uname.get(Runtime.STOCKADE).describe());
            List<String> refusals = List.of("host-mount", "privileged", "host-namespace", "capabilities");
            List<Map<Runtime, CommandResult>> attacks = new ArrayList<>(results.values()).subList(1, results.size());
            for (int i = 0; i < attacks.size(); i++) {
                CommandResult viaStockade = attacks.get(i).get(Runtime.STOCKADE);
                assertNotEquals(0, viaStockade.exitCode(), viaStockade.describe());
                assertTrue(viaStockade.stderr().contains("(rule " + refusals.get(i) + ")"), viaStockade.describe());
            }
        }
    }

    /** {@code run --rm --runtime=R --network none [options] IMAGE command}; {@code --} splits options from the command. */
    private static List<String> dockerRun(Runtime runtime, List<String> arguments) {
        List<String> command = new ArrayList<>(List.of("run", "--rm", "--runtime=" + runtime.name, "--network", "none"));
        int split = arguments.indexOf("--");
        command.addAll(arguments.subList(0, Math.max(split, 0)));
        command.add(IMAGE);
        command.addAll(arguments.subList(split + 1, arguments.size()));
        return command;
    }
}
