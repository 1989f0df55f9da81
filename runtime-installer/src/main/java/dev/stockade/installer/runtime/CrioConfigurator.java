package dev.stockade.installer.runtime;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.stockade.installer.InstallerException;
import dev.stockade.installer.host.HostRoot;
import dev.stockade.installer.preset.RuntimePreset;
import dev.stockade.installer.preset.RuntimePresets;
import dev.stockade.installer.toml.TomlDocuments;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * CRI-O merges every file under /etc/crio/crio.conf.d into its config key by key, so the handlers
 * live in one drop-in of Stockade's own and no host file is edited. The host's files are parsed
 * first: if CRI-O could not read them, a restart would take the node down, so the installer stops.
 */
public final class CrioConfigurator implements RuntimeConfigurator {

    private final HostRoot host;
    private final String mainConfig;
    private final String dropInDirectory;
    private final String dropIn;

    /** CRI-O's preset ({@link RuntimePresets#CRIO}) names crio.conf, its drop-in directory and Stockade's drop-in. */
    public CrioConfigurator(HostRoot host) {
        this(host, RuntimePresets.CRIO);
    }

    public CrioConfigurator(HostRoot host, RuntimePreset preset) {
        if (!(preset.configuration() instanceof RuntimePreset.CrioDropIn crio)) {
            throw new IllegalArgumentException("not CRI-O: " + preset.kind());
        }
        this.host = host;
        this.mainConfig = preset.configFile();
        this.dropInDirectory = crio.dropInDirectory();
        this.dropIn = crio.dropIn();
    }

    @Override
    public RuntimeKind kind() {
        return RuntimeKind.CRIO;
    }

    @Override
    public List<DesiredFile> desired(List<Handler> handlers) throws InstallerException {
        for (String hostFile : hostFiles()) {
            Optional<String> text = host.read(hostFile);
            if (text.isPresent()) {
                TomlDocuments.parse(hostFile, text.get());
            }
        }
        ObjectNode document = JsonNodeFactory.instance.objectNode();
        ObjectNode runtimes = TomlDocuments.table(document, "crio", "runtime", "runtimes");
        for (Handler handler : handlers) {
            ObjectNode runtime = runtimes.putObject(handler.name());
            runtime.put("runtime_path", handler.launcher());
            runtime.put("runtime_type", "oci");
        }
        String text = "# Written by stockade-runtime-installer and removed by its uninstall; do not edit.\n"
                + TomlDocuments.writeChecked(dropIn, document);
        return List.of(new DesiredFile(dropIn, text, true));
    }

    @Override
    public Optional<String> withoutStockade(String hostPath, String currentContent, List<Handler> installed) {
        return Optional.empty();
    }

    /**
     * crio.conf and every file CRI-O reads from crio.conf.d: it walks the directory with Go's
     * {@code filepath.Walk} and decodes every entry that is not a directory, whatever its name,
     * subdirectories included, in lexical order (cri-o pkg/config/config.go, {@code UpdateFromPath}).
     */
    private List<String> hostFiles() throws InstallerException {
        Path directory = host.resolve(dropInDirectory);
        if (!Files.isDirectory(directory)) {
            return List.of(mainConfig);
        }
        try (Stream<Path> entries = Files.walk(directory)) {
            return Stream.concat(Stream.of(mainConfig), entries
                            .filter(entry -> !Files.isDirectory(entry, LinkOption.NOFOLLOW_LINKS))
                            .map(host::hostPath)
                            .filter(name -> !name.equals(dropIn))
                            .sorted())
                    .toList();
        } catch (IOException | UncheckedIOException e) {
            throw new InstallerException("cannot list " + dropInDirectory + " (CRI-O reads every file under it): " + e.getMessage(), e);
        }
    }
}
