package dev.stockade.runtime.it;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.stockade.testing.CommandResult;
import dev.stockade.testing.Commands;
import dev.stockade.testing.HostPrerequisites;
import dev.stockade.testing.RuncBundles;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Real containers for the integration tests: a busybox root filesystem with the syscall probe,
 * bundles shaped like containerd's defaults, and the same bundle run through the Stockade payload
 * or through plain runc.
 */
final class Containers {

    static final ObjectMapper JSON = RuncBundles.JSON;
    private static final AtomicInteger COUNTER = new AtomicInteger();

    private final RuncBundles bundles;
    final Path workDir;
    final Path rootfs;
    final Path payload;
    final Path runc;
    final Path stateRoot;
    /**
     * The spec server directory the launcher asks first. By default one where no server runs, so
     * that a server on this machine cannot stand in for the per-create JVM under test.
     */
    Path specServer;

    Containers(Path workDir) {
        this.bundles = new RuncBundles(workDir);
        this.runc = bundles.runc();
        this.workDir = workDir;
        this.payload = Path.of(System.getProperty("stockade.payload", "target/payload")).toAbsolutePath();
        HostPrerequisites.require(Files.isExecutable(payload.resolve("bin/stockade-runtime")),
                "the runtime payload at " + payload + " (built by mvn package)");
        this.rootfs = bundles.rootfs();
        this.stateRoot = workDir.resolve("runc-state");
        this.specServer = workDir.resolve("no-spec-server");
        bundles.addProbe("probe", Path.of("src/test/resources/probe/probe.c"));
    }

    /** A profile file under the work directory. */
    Path profile(String name, String json) {
        try {
            Path file = workDir.resolve(name + ".json");
            Files.writeString(file, json);
            return file;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A bundle running {@code args} with containerd's default capabilities and a tmpfs /tmp. */
    ObjectNode spec(String... args) {
        return bundles.containerdSpec(args);
    }

    Path bundle(ObjectNode spec) {
        return bundles.bundle(spec);
    }

    static String newId() {
        return "stockade-it-" + ProcessHandle.current().pid() + "-" + COUNTER.incrementAndGet();
    }

    /** {@code <runtime> --root … --log … --log-format json run --bundle … <id>} in the foreground. */
    CommandResult run(Runtime runtime, Path profile, ObjectNode spec) {
        Path bundle = bundle(spec);
        List<String> command = new ArrayList<>(runtime.command(this));
        command.addAll(List.of("--root", stateRoot.toString(), "--log", bundle.resolve("log.json").toString(),
                "--log-format", "json", "run", "--bundle", bundle.toString(), newId()));
        return Commands.run(Duration.ofSeconds(60), runtime.environment(this, profile), command);
    }

    /** A runtime command line through a shell, for fd and environment set-ups ProcessBuilder cannot make. */
    CommandResult shell(Runtime runtime, Path profile, String script) {
        Map<String, String> environment = new java.util.HashMap<>(runtime.environment(this, profile));
        environment.put("RUNTIME", String.join(" ", runtime.command(this)));
        environment.put("STATE", stateRoot.toString());
        return Commands.run(Duration.ofSeconds(60), environment, List.of("sh", "-c", script));
    }

    /**
     * A copy of the launcher in a payload without its JRE: it can only create through a spec
     * server, since its own JVM cannot start.
     */
    Path launcherWithoutJre() {
        try {
            Path bin = Files.createDirectories(workDir.resolve("payload-without-jre/bin"));
            Path launcher = bin.resolve("stockade-runtime");
            if (!Files.exists(launcher)) {
                Files.copy(payload.resolve("bin/stockade-runtime"), launcher);
            }
            return launcher;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** What the launcher is given: the profile (when there is one) and the spec server to ask. */
    Map<String, String> launcherEnvironment(Path profile) {
        Map<String, String> environment = new java.util.HashMap<>(Map.of("STOCKADE_SPEC_SERVER", specServer.toString()));
        if (profile != null) {
            environment.put("STOCKADE_PROFILE", profile.toString());
        }
        return environment;
    }

    Path log(CommandResult result) {
        int bundleIndex = result.command().indexOf("--bundle");
        return Path.of(result.command().get(bundleIndex + 1)).resolve("log.json");
    }

    enum Runtime {
        STOCKADE, RUNC;

        List<String> command(Containers containers) {
            return List.of(this == STOCKADE ? containers.payload.resolve("bin/stockade-runtime").toString() : containers.runc.toString());
        }

        Map<String, String> environment(Containers containers, Path profile) {
            return this == STOCKADE ? containers.launcherEnvironment(profile) : Map.of();
        }
    }
}
