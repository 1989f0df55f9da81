package dev.stockade.runtime;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.stockade.api.profile.Profiles;
import dev.stockade.api.profile.SandboxProfile;
import dev.stockade.runtime.cli.RuncCommandLine;
import dev.stockade.runtime.host.RuncLog;
import dev.stockade.runtime.spec.HostView;
import dev.stockade.runtime.spec.Refusal;
import dev.stockade.runtime.spec.SpecHardener;
import dev.stockade.runtime.spec.SpecValidator;

import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.util.List;
import java.util.Optional;

/**
 * The build's training run for the JDK AOT cache: walks the create path (command line, profile,
 * validation, hardening, JSON writing, a refusal) on a bundled CRI-shaped spec without executing
 * anything. Runs at build time only, never on the containerd path.
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
        };
        SandboxProfile profile = Profiles.parse(Profiles.render(SandboxProfile.defaults()));
        ObjectNode original;
        try (InputStream in = AotTraining.class.getResourceAsStream("training/config.json")) {
            original = (ObjectNode) SandboxRuntime.JSON.readTree(in);
        }
        PrintStream discard = new PrintStream(OutputStream.nullOutputStream());
        for (int round = 0; round < 50; round++) {
            RuncCommandLine.parse(List.of("--root", "/run/containerd/runc/k8s.io", "--log", "/dev/null", "--log-format", "json",
                    "create", "--bundle", "/run/bundle", "--pid-file", "/run/bundle/init.pid", "--console-socket", "/tmp/c.sock", "id"));
            ObjectNode spec = original.deepCopy();
            SpecValidator validator = new SpecValidator(profile, "training", host);
            validator.validate(spec);
            new SpecHardener(profile, validator, "training", System.getProperty("os.arch")).harden(spec, host);
            SandboxRuntime.JSON.writeValueAsBytes(spec);
            ((ObjectNode) spec.get("process").get("capabilities")).putArray("bounding").add("CAP_SYS_ADMIN");
            try {
                validator.validate(spec);
            } catch (Refusal refusal) {
                new RuncLog(Optional.empty(), "json", discard).error(refusal.getMessage());
            }
        }
        Class.forName("dev.stockade.runtime.host.NativeProcess");
    }

    private AotTraining() {
    }
}
