package dev.stockade.supervisor.it;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.stockade.api.profile.KernelIdentity;
import dev.stockade.supervisor.listener.ListenerMessages;
import dev.stockade.testing.BusyboxImage;
import dev.stockade.testing.CommandResult;
import dev.stockade.testing.Commands;
import dev.stockade.testing.HostPrerequisites;

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
 * Real busybox containers run with the host's runc, with bundles written here the way the
 * Stockade runtime writes them for a profile that needs the supervisor: SCMP_ACT_NOTIFY rules,
 * {@code listenerPath} and {@code listenerMetadata}. The rootfs holds notify-probe, a static test
 * helper (src/test/resources/probe/notify-probe.c) that makes precise syscalls and checks results.
 */
final class NotifiedContainers {

    static final ObjectMapper JSON = JsonMapper.builder().build();
    private static final AtomicInteger COUNTER = new AtomicInteger();

    final Path workDir;
    final Path rootfs;
    final Path runc;
    final Path stateRoot;

    NotifiedContainers(Path workDir) {
        HostPrerequisites.requireRoot();
        this.runc = HostPrerequisites.requireExecutable("runc");
        HostPrerequisites.requireExecutable("gcc");
        this.workDir = workDir;
        this.rootfs = BusyboxImage.rootfs(workDir.resolve("rootfs"));
        this.stateRoot = workDir.resolve("runc-state");
        Commands.run("gcc", "-static", "-O2", "-o", rootfs.resolve("bin/notify-probe").toString(),
                Path.of("src/test/resources/probe/notify-probe.c").toAbsolutePath().toString()).requireSuccess();
        try {
            Files.createDirectories(rootfs.resolve("mnt"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A runc default spec running {@code args}, no terminal, on the busybox rootfs. */
    ObjectNode spec(String... args) {
        Path scratch = workDir.resolve("spec-" + COUNTER.incrementAndGet());
        try {
            Files.createDirectories(scratch);
            Commands.run(runc.toString(), "spec", "--bundle", scratch.toString()).requireSuccess();
            ObjectNode spec = (ObjectNode) JSON.readTree(scratch.resolve("config.json").toFile());
            ObjectNode process = (ObjectNode) spec.get("process");
            process.put("terminal", false);
            ArrayNode argv = process.putArray("args");
            for (String arg : args) {
                argv.add(arg);
            }
            spec.putObject("root").put("path", rootfs.toString()).put("readonly", false);
            return spec;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Routes {@code notified} syscalls to the supervisor on {@code socket}, everything else allowed,
     * with the metadata the runtime writes (pod identity, policy, kernel identity).
     */
    static ObjectNode notify(ObjectNode spec, Path socket, List<String> notified, ListenerMessages.Metadata metadata) {
        ObjectNode seccomp = ((ObjectNode) spec.get("linux")).putObject("seccomp");
        seccomp.put("defaultAction", "SCMP_ACT_ALLOW");
        seccomp.putArray("architectures").add("SCMP_ARCH_X86_64");
        seccomp.put("listenerPath", socket.toString());
        seccomp.put("listenerMetadata", metadata.toJson());
        ObjectNode rule = seccomp.putArray("syscalls").addObject();
        notified.forEach(rule.putArray("names")::add);
        rule.put("action", "SCMP_ACT_NOTIFY");
        return spec;
    }

    static ListenerMessages.Metadata metadata(String namespace, String pod, String container, KernelIdentity identity) {
        return new ListenerMessages.Metadata("tenants", "sandboxed", namespace, pod, container, identity);
    }

    Path bundle(ObjectNode spec) {
        try {
            Path bundle = Files.createDirectories(workDir.resolve("bundle-" + COUNTER.incrementAndGet()));
            Files.write(bundle.resolve("config.json"), JSON.writeValueAsBytes(spec));
            return bundle;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static String newId() {
        return "stockade-sv-it-" + ProcessHandle.current().pid() + "-" + COUNTER.incrementAndGet();
    }

    /** {@code runc run} in the foreground; the container's output comes back in the result. */
    CommandResult run(ObjectNode spec) {
        Path bundle = bundle(spec);
        List<String> command = new ArrayList<>(List.of(runc.toString(), "--root", stateRoot.toString(),
                "run", "--bundle", bundle.toString(), newId()));
        return Commands.run(Duration.ofSeconds(90), Map.of(), command);
    }
}
