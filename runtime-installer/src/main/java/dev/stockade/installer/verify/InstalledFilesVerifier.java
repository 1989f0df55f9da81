package dev.stockade.installer.verify;

import com.fasterxml.jackson.core.JsonProcessingException;
import dev.stockade.api.node.HostLayout;
import dev.stockade.api.profile.Profiles;
import dev.stockade.installer.InstallerException;
import dev.stockade.installer.host.HostRoot;
import dev.stockade.installer.payload.PayloadInstaller;
import dev.stockade.installer.profile.ProfileInstaller;
import dev.stockade.installer.runtime.Handler;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * Checks what the container runtime will execute for each handler, as files on the host: the
 * launcher, the runtime binary behind {@code current}, and a profile the runtime can read. Every
 * verification starts with this; {@link CommandVerifier} then runs something.
 */
public final class InstalledFilesVerifier implements HandlerVerifier {

    private final HostRoot host;
    private final PayloadInstaller payload;

    /** {@code payload} says what each launcher must contain. */
    public InstalledFilesVerifier(HostRoot host, PayloadInstaller payload) {
        this.host = host;
        this.payload = payload;
    }

    @Override
    public void verify(List<Handler> handlers) throws InstallerException {
        String runtimeLauncher = HostLayout.CURRENT + "/" + HostLayout.RUNTIME_LAUNCHER;
        if (!Files.isExecutable(host.resolve(runtimeLauncher))) {
            throw new InstallerException(runtimeLauncher + " is missing or not executable");
        }
        for (Handler handler : handlers) {
            Path launcher = host.resolve(handler.launcher());
            if (!Files.isExecutable(launcher) || !host.read(handler.launcher()).equals(Optional.of(payload.launcherScript(handler)))) {
                throw new InstallerException("launcher " + handler.launcher() + " of handler " + handler.name() + " is missing, not executable or not Stockade's");
            }
            String profile = ProfileInstaller.hostPath(handler.runtimeClass());
            Optional<String> content = host.read(profile);
            if (content.isEmpty()) {
                throw new InstallerException("profile " + profile + " of handler " + handler.name() + " is missing");
            }
            try {
                Profiles.parse(content.get());
            } catch (JsonProcessingException e) {
                throw new InstallerException("profile " + profile + " of handler " + handler.name() + " does not parse: " + e.getOriginalMessage(), e);
            }
        }
    }

    @Override
    public String describe() {
        return "installed files";
    }
}
