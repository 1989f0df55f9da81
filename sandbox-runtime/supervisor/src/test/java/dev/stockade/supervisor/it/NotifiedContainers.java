package dev.stockade.supervisor.it;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.stockade.api.node.ListenerMetadata;
import dev.stockade.api.profile.KernelIdentity;
import dev.stockade.testing.CommandResult;
import dev.stockade.testing.Commands;
import dev.stockade.testing.RuncBundles;

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

    static final ObjectMapper JSON = RuncBundles.JSON;
    private static final AtomicInteger COUNTER = new AtomicInteger();

    private final RuncBundles bundles;
    final Path workDir;
    final Path rootfs;
    final Path runc;
    final Path stateRoot;

    NotifiedContainers(Path workDir) {
        this.bundles = new RuncBundles(workDir);
        this.runc = bundles.runc();
        this.workDir = workDir;
        this.rootfs = bundles.rootfs();
        this.stateRoot = workDir.resolve("runc-state");
        bundles.addProbe("notify-probe", Path.of("src/test/resources/probe/notify-probe.c"));
    }

    /** A runc default spec running {@code args}, no terminal, on the busybox rootfs. */
    ObjectNode spec(String... args) {
        return bundles.spec(args);
    }

    /**
     * Routes {@code notified} syscalls to the supervisor on {@code socket}, everything else allowed,
     * with the metadata the runtime writes (pod identity, policy, kernel identity).
     */
    static ObjectNode notify(ObjectNode spec, Path socket, List<String> notified, ListenerMetadata metadata) {
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

    static ListenerMetadata metadata(String namespace, String pod, String container, KernelIdentity identity) {
        return new ListenerMetadata("tenants", "sandboxed", namespace, pod, container, identity);
    }

    Path bundle(ObjectNode spec) {
        return bundles.bundle(spec);
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
