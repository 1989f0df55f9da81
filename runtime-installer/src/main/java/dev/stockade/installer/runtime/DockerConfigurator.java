package dev.stockade.installer.runtime;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.stockade.installer.InstallerException;
import dev.stockade.installer.engine.EngineConfigs;
import dev.stockade.installer.host.HostRoot;

import java.util.List;
import java.util.Optional;

/**
 * Docker reads runtimes from the {@code runtimes} object of its daemon.json (no drop-ins;
 * /etc/docker/daemon.json unless the running dockerd names another with --config-file) and reloads
 * them on SIGHUP. JSON has no comments to lose, so the file is re-serialised; the
 * original is restored byte for byte on uninstall when nobody changed it since.
 */
public final class DockerConfigurator implements RuntimeConfigurator {

    private static final ObjectMapper MAPPER = JsonMapper.builder().enable(SerializationFeature.INDENT_OUTPUT).build();

    private final HostRoot host;
    private final EngineConfigs.DockerDaemon daemon;

    /** A Docker daemon with its defaults: /etc/docker/daemon.json, /var/lib/docker, /var/run/docker. */
    public DockerConfigurator(HostRoot host) {
        this(host, EngineConfigs.DockerDaemon.defaults());
    }

    /** {@code daemon}: the node's Docker daemon as {@link dev.stockade.installer.engine.NodeEngines#docker()} found it. */
    public DockerConfigurator(HostRoot host, EngineConfigs.DockerDaemon daemon) {
        this.host = host;
        this.daemon = daemon;
    }

    @Override
    public RuntimeKind kind() {
        return RuntimeKind.DOCKER;
    }

    @Override
    public List<DesiredFile> desired(List<Handler> handlers) throws InstallerException {
        Optional<String> text = host.read(daemon.configFile());
        ObjectNode config = text.isPresent() ? parse(daemon.configFile(), text.get()) : JsonNodeFactory.instance.objectNode();
        ObjectNode expected = config.deepCopy();
        JsonNode existingRuntimes = config.get("runtimes");
        if (existingRuntimes != null && !existingRuntimes.isObject()) {
            throw new InstallerException(daemon.configFile() + ": 'runtimes' must be an object; the installer left the file untouched");
        }
        ObjectNode runtimes = existingRuntimes == null ? config.putObject("runtimes") : (ObjectNode) existingRuntimes;
        for (Handler handler : handlers) {
            runtimes.putObject(handler.name()).put("path", handler.launcher());
        }
        String written = write(config);
        ObjectNode reread = parse(daemon.configFile(), written);
        ((ObjectNode) expected.withObjectProperty("runtimes")).setAll(runtimes);
        if (!reread.equals(expected)) {
            throw new InstallerException("internal error: the JSON written for " + daemon.configFile() + " does not read back as intended; nothing was written");
        }
        return List.of(new DesiredFile(daemon.configFile(), written, false));
    }

    @Override
    public Optional<String> withoutStockade(String hostPath, String currentContent, List<Handler> installed) throws InstallerException {
        ObjectNode config = parse(hostPath, currentContent);
        if (!(config.get("runtimes") instanceof ObjectNode present) || installed.stream().noneMatch(h -> present.has(h.name()))) {
            return Optional.of(currentContent);
        }
        if (config.get("runtimes") instanceof ObjectNode runtimes) {
            installed.forEach(handler -> runtimes.remove(handler.name()));
            if (runtimes.isEmpty()) {
                config.remove("runtimes");
            }
        }
        return config.isEmpty() ? Optional.empty() : Optional.of(write(config));
    }

    @Override
    public List<String> taskStateDirectories() {
        return List.of(daemon.taskStateDirectory());
    }

    private static ObjectNode parse(String file, String text) throws InstallerException {
        try {
            JsonNode tree = MAPPER.readTree(text);
            if (tree instanceof ObjectNode object) {
                return object;
            }
            if (tree == null || tree.isMissingNode()) {
                return JsonNodeFactory.instance.objectNode();
            }
            throw new InstallerException(file + " is not a JSON object; the installer left it untouched");
        } catch (JsonProcessingException e) {
            throw new InstallerException(file + " is not valid JSON (" + e.getOriginalMessage() + " at line "
                    + e.getLocation().getLineNr() + "); the installer left it untouched. Fix the file and the installer will retry.", e);
        }
    }

    private static String write(ObjectNode config) {
        try {
            return MAPPER.writeValueAsString(config) + "\n";
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot write JSON", e);
        }
    }
}
