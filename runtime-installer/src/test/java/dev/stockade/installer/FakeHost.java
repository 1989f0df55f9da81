package dev.stockade.installer;

import dev.stockade.api.node.HostLayout;
import dev.stockade.api.profile.Profiles;
import dev.stockade.api.profile.SandboxProfile;
import dev.stockade.installer.host.HostProcesses;
import dev.stockade.installer.specserver.SpecServerControl;
import dev.stockade.installer.host.HostRoot;
import dev.stockade.installer.payload.PayloadInstaller;
import dev.stockade.installer.profile.ProfileInstaller;
import dev.stockade.installer.restart.RuntimeRestarter;
import dev.stockade.installer.runtime.Handler;
import dev.stockade.installer.runtime.RuntimeConfigurator;
import dev.stockade.installer.supervisor.SupervisorControl;
import dev.stockade.installer.verify.InstalledFilesVerifier;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.function.Function;
import java.util.stream.Stream;

/**
 * A host as a directory tree under a test's temporary directory, with a payload and a profile
 * source beside it, and an installer wired to it whose restarter counts restarts.
 */
final class FakeHost {

    static final String POLICY = "untrusted-code";
    static final List<Handler> HANDLERS = List.of(new Handler("untrusted", "stockade-untrusted"), new Handler("strict", "stockade-strict"));

    final Path root;
    final Path payload;
    final Path profileSource;
    final CountingRestarter restarter = new CountingRestarter();

    FakeHost(Path directory) throws IOException {
        root = Files.createDirectories(directory.resolve("host"));
        payload = Files.createDirectories(directory.resolve("payload"));
        profileSource = Files.createDirectories(directory.resolve("profiles"));
        writePayload("0.1.0-test", "#!/bin/sh\necho stockade-runtime 0.1.0-test\n");
        writeProfile("untrusted", SandboxProfile.defaults());
        writeProfile("strict", new SandboxProfile(null, List.of("KILL"), SandboxProfile.SeccompLevel.Strict, null, null, 64L, true,
                null, null, null, null));
    }

    /**
     * The fake tree's launchers run directly, never in this machine's namespaces, and the node paths
     * they are given ({@code /opt/stockade/...}, {@code /run/stockade/...}) are the tree's. The
     * processes are this machine's: the installer must tell its own from everyone else's.
     */
    HostProcesses hostProcesses(HostRoot host) {
        return new HostProcesses(host, command -> command.stream()
                .map(argument -> argument.startsWith(HostLayout.RUNTIME_DIR + "/") || argument.startsWith(HostLayout.STATE_DIR + "/")
                        ? host.resolve(argument).toString() : argument).toList(), false);
    }

    SupervisorControl supervisorControl(HostRoot host) {
        return new SupervisorControl(host, Optional.empty(), hostProcesses(host));
    }

    HostRoot hostRoot() {
        return new HostRoot(root);
    }

    void writePayload(String version, String runtimeScript) throws IOException {
        Files.writeString(payload.resolve("VERSION"), version + "\n");
        Path bin = Files.createDirectories(payload.resolve("bin"));
        Files.writeString(bin.resolve("stockade-runtime"), runtimeScript);
        Files.setPosixFilePermissions(bin.resolve("stockade-runtime"), PosixFilePermissions.fromString("rwxr-xr-x"));
        Files.createDirectories(payload.resolve("lib"));
        Files.writeString(payload.resolve("lib/stockade-sandbox-runtime.jar"), "not really a jar, the installer copies it as it is\n");
    }

    void writeProfile(String runtimeClass, SandboxProfile profile) throws IOException {
        Files.writeString(profileSource.resolve(runtimeClass + ".json"), Profiles.render(profile));
    }

    /** Writes a host file (host-absolute path) and returns it. */
    Path write(String hostPath, String content) {
        Path file = hostRoot().resolve(hostPath);
        try {
            Files.createDirectories(file.getParent());
            Files.writeString(file, content);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return file;
    }

    String read(String hostPath) {
        try {
            return Files.readString(hostRoot().resolve(hostPath));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    boolean exists(String hostPath) {
        return Files.exists(hostRoot().resolve(hostPath), LinkOption.NOFOLLOW_LINKS);
    }

    Installer installer(Function<HostRoot, RuntimeConfigurator> configurator, Checkpoint checkpoint) {
        return installer(configurator, checkpoint, restarter);
    }

    Installer installer(Function<HostRoot, RuntimeConfigurator> configurator, Checkpoint checkpoint, RuntimeRestarter restarter) {
        HostRoot host = hostRoot();
        PayloadInstaller payloadInstaller = new PayloadInstaller(host, payload, Optional.of(POLICY), checkpoint);
        return new Installer(host, HANDLERS, configurator.apply(host), restarter, new InstalledFilesVerifier(host, payloadInstaller),
                payloadInstaller, new ProfileInstaller(host, profileSource), supervisorControl(host),
                new SpecServerControl(host, hostProcesses(host)), checkpoint);
    }

    /** Every file and directory under the host root, with its content (links as their target). */
    Map<String, String> snapshot() {
        Map<String, String> files = new TreeMap<>();
        try (Stream<Path> walk = Files.walk(root)) {
            for (Path path : walk.toList()) {
                String key = "/" + root.relativize(path);
                if (Files.isSymbolicLink(path)) {
                    files.put(key, "-> " + Files.readSymbolicLink(path));
                } else if (Files.isDirectory(path)) {
                    files.put(key + "/", "");
                } else {
                    files.put(key, Files.readString(path, StandardCharsets.UTF_8)
                            + " mode=" + PosixFilePermissions.toString(Files.getPosixFilePermissions(path)));
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return files;
    }

    /** A restarter that only counts: the fake tree has no container runtime to restart. */
    static final class CountingRestarter implements RuntimeRestarter {
        int restarts;

        @Override
        public void restart() {
            restarts++;
        }

        @Override
        public String describe() {
            return "counting restarter";
        }
    }
}
