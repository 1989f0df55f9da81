package dev.stockade.testing;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * OCI bundles for tests that call runc (or a runtime with runc's command line) directly: a busybox
 * root filesystem, optionally with a static C probe the test compiles, and specs starting from
 * {@code runc spec}. Everything lives under the work directory.
 */
public final class RuncBundles {

    public static final ObjectMapper JSON = JsonMapper.builder().build();
    /** containerd's default capabilities (pkg/oci defaultUnixCaps), as a container gets them that asks for none. */
    public static final List<String> CONTAINERD_DEFAULT_CAPABILITIES = List.of("CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID",
            "CAP_FOWNER", "CAP_MKNOD", "CAP_NET_RAW", "CAP_SETGID", "CAP_SETUID", "CAP_SETFCAP", "CAP_SETPCAP",
            "CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT", "CAP_KILL", "CAP_AUDIT_WRITE");
    private static final AtomicInteger COUNTER = new AtomicInteger();

    private final Path workDir;
    private final Path runc;
    private final Path rootfs;

    /** Builds the busybox root filesystem under {@code workDir}; needs root and runc. */
    public RuncBundles(Path workDir) {
        HostPrerequisites.requireRoot();
        this.runc = HostPrerequisites.requireExecutable("runc");
        this.workDir = workDir;
        this.rootfs = BusyboxImage.rootfs(workDir.resolve("rootfs"));
        try {
            Files.createDirectories(rootfs.resolve("mnt"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public Path runc() {
        return runc;
    }

    public Path rootfs() {
        return rootfs;
    }

    /** Compiles a C source statically (gcc) into the root filesystem as /bin/{@code name}. */
    public void addProbe(String name, Path source) {
        HostPrerequisites.requireExecutable("gcc");
        Commands.run("gcc", "-static", "-O2", "-o", rootfs.resolve("bin").resolve(name).toString(),
                source.toAbsolutePath().toString()).requireSuccess();
    }

    /** runc's default spec running {@code args}, no terminal, on the busybox root filesystem (writable). */
    public ObjectNode spec(String... args) {
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
     * A bundle as containerd shapes one for a container that asks for nothing: runc's default spec
     * running {@code args} with containerd's default capabilities (oci.DefaultSpec) and a tmpfs /tmp.
     */
    public ObjectNode containerdSpec(String... args) {
        ObjectNode spec = spec(args);
        ObjectNode capabilities = (ObjectNode) spec.get("process").get("capabilities");
        for (String set : List.of("bounding", "effective", "permitted")) {
            ArrayNode array = capabilities.putArray(set);
            CONTAINERD_DEFAULT_CAPABILITIES.forEach(array::add);
        }
        ((ArrayNode) spec.get("mounts")).addObject().put("destination", "/tmp").put("type", "tmpfs").put("source", "tmpfs")
                .putArray("options").add("nosuid").add("nodev");
        return spec;
    }

    /** A bundle directory holding {@code spec} as its config.json. */
    public Path bundle(ObjectNode spec) {
        try {
            Path bundle = Files.createDirectories(workDir.resolve("bundle-" + COUNTER.incrementAndGet()));
            Files.write(bundle.resolve("config.json"), JSON.writeValueAsBytes(spec));
            return bundle;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
