package dev.stockade.runtime;

import dev.stockade.runtime.spec.HostView;

import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The build's training run for the JDK AOT cache: the whole create path (command line, profile,
 * validation, hardening, writing the spec back, a refusal in runc's log format) on a bundled
 * CRI-shaped spec in a temporary bundle. It executes nothing: the JVM never runs runc itself. Runs
 * at build time only, never on the containerd path.
 */
public final class AotTraining {

    public static void main(String[] args) throws Exception {
        HostView host = new HostView() {
            @Override
            public String realPath(String hostPath) {
                return hostPath;
            }

            @Override
            public boolean isHostNamespace(String type, String path) {
                return false;
            }

            @Override
            public Optional<String> namespaceFile(String path) {
                return Optional.of(path);
            }

            @Override
            public Entry entry(String hostPath) {
                return Entry.MISSING;
            }

            @Override
            public Optional<String> versionOutput(String program) {
                return Optional.of("runc version 1.1.5\n");
            }
        };
        Path bundle = Files.createTempDirectory("stockade-training");
        try {
            Path profile = bundle.resolve("training.json");
            Files.writeString(profile, "{\"mode\":\"Enforce\",\"allowedHostPaths\":[{\"path\":\"/srv/data\"}],\"pidsLimit\":1024}");
            Path refusingProfile = bundle.resolve("refusing.json");
            Files.writeString(refusingProfile, "{\"allowedCapabilities\":[\"CHOWN\"],\"allowedSysctls\":[]}");
            PrintStream discard = new PrintStream(OutputStream.nullOutputStream());
            List<String> create = List.of("--root", "/run/containerd/runc/k8s.io", "--log", bundle.resolve("log.json").toString(),
                    "--log-format", "json", "create", "--bundle", bundle.toString(), "--pid-file", bundle.resolve("init.pid").toString(),
                    "training");
            for (int round = 0; round < 30; round++) {
                try (InputStream spec = AotTraining.class.getResourceAsStream("training/config.json")) {
                    Files.copy(spec, bundle.resolve("config.json"), StandardCopyOption.REPLACE_EXISTING);
                }
                Path use = round % 3 == 2 ? refusingProfile : profile;
                new SandboxRuntime(Map.of(SandboxRuntime.PROFILE_VARIABLE, use.toString(),
                        SandboxRuntime.LOG_VARIABLE, bundle.resolve("runtime.log").toString()), host).run(create, discard);
            }
        } finally {
            try (var files = Files.list(bundle)) {
                for (Path file : files.toList()) {
                    Files.delete(file);
                }
            }
            Files.delete(bundle);
        }
    }

    private AotTraining() {
    }
}
