package dev.stockade.installer.verify;

import com.fasterxml.jackson.databind.JsonNode;
import dev.stockade.installer.InstallerException;
import dev.stockade.installer.engine.NodeEngines;
import dev.stockade.installer.host.HostRoot;
import dev.stockade.installer.restart.CommandRestarter;
import dev.stockade.installer.runtime.Handler;
import dev.stockade.installer.toml.TomlDocuments;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Asks the host's containerd binary for the configuration it loads ({@code containerd --config
 * FILE config dump}, run inside the host root) and checks that every handler is there with its
 * launcher: proof that the drop-in and the imports entry are read the way the installer meant.
 * The binary asked is the running containerd's that reads the file, when one runs ({@link
 * NodeEngines#runningContainerd}): 1.x and 2.x read the same file differently.
 */
public final class ContainerdDumpVerifier implements HandlerVerifier {

    private final HandlerVerifier before;
    private final HostRoot host;
    private final String binary;
    private final String configPath;
    private final Duration timeout;

    /** {@code binary}: the host's containerd when none runs with this config, on the host's PATH or absolute (MicroK8s ships its own). */
    public ContainerdDumpVerifier(HandlerVerifier before, HostRoot host, String binary, String configPath, Duration timeout) {
        this.before = before;
        this.host = host;
        this.binary = binary;
        this.configPath = configPath;
        this.timeout = timeout;
    }

    @Override
    public void verify(List<Handler> handlers) throws InstallerException {
        before.verify(handlers);
        List<String> command = new ArrayList<>(host.isSystemRoot() ? List.of() : List.of("chroot", host.path().toString()));
        command.addAll(List.of(new NodeEngines(host).runningContainerd(configPath).orElse(binary), "--config", configPath, "config", "dump"));
        String dump = CommandRestarter.runCommand(command, timeout, "asking containerd for its configuration");
        JsonNode plugins = TomlDocuments.parse("the output of containerd config dump", dump).path("plugins");
        for (Handler handler : handlers) {
            boolean found = false;
            for (String plugin : List.of("io.containerd.grpc.v1.cri", "io.containerd.cri.v1.runtime")) {
                JsonNode runtime = plugins.path(plugin).path("containerd").path("runtimes").path(handler.name());
                found |= handler.launcher().equals(runtime.path("options").path("BinaryName").asText());
            }
            if (!found) {
                throw new InstallerException("containerd does not load handler " + handler.name() + " with BinaryName "
                        + handler.launcher() + " from " + configPath + " (containerd config dump); its configuration was not read as written");
            }
        }
    }

    @Override
    public String describe() {
        return before.describe() + ", then containerd config dump";
    }
}
