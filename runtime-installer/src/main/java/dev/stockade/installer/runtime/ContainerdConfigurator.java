package dev.stockade.installer.runtime;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.stockade.installer.InstallerException;
import dev.stockade.installer.host.HostRoot;
import dev.stockade.installer.preset.RuntimePreset;
import dev.stockade.installer.preset.RuntimePresets;
import dev.stockade.installer.toml.TomlArrayEdit;
import dev.stockade.installer.toml.TomlDocuments;

import java.io.IOException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.PathMatcher;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * Stock containerd (1.x with config version 2, 2.x with version 3). Handlers go into Stockade's
 * own drop-in, which the host's config.toml imports; the host file gets only an {@code imports}
 * entry, added by a textual edit that keeps its comments and layout.
 *
 * <p>containerd 1.x replaces a whole plugin section with the one from an imported file, so the
 * drop-in carries the host's effective CRI section (main file plus imports, in containerd's
 * order) with the handlers added; it is recomputed on every run, so a later edit of the host's
 * settings reaches it. containerd 2.x merges the sections, which gives the same result. A host
 * whose imports already cover the drop-in (a {@code conf.d/*.toml} glob) keeps its config.toml
 * as it is; a file imported after the drop-in that has its own CRI section is a {@link #notices notice}.
 */
public final class ContainerdConfigurator implements RuntimeConfigurator {

    /** Used when the host has no config file yet; containerd 2.x migrates version 2 on load. */
    static final int VERSION_FOR_NEW_CONFIG = 2;

    private static final String DROP_IN_HEADER = """
            # Written by stockade-runtime-installer and removed by its uninstall; do not edit.
            # It repeats the host's CRI settings from %s because containerd 1.x lets an
            # imported file replace a whole plugin section; edit those settings there.
            """;

    private final HostRoot host;
    private final String configPath;
    private final String dropInPath;
    private final String defaultState;

    /** {@code preset}: stock containerd's ({@link RuntimePresets#containerd}), which names the files and the default state directory. */
    public ContainerdConfigurator(HostRoot host, RuntimePreset preset) {
        if (!(preset.configuration() instanceof RuntimePreset.ContainerdDropIn dropIn)
                || !(preset.engine() instanceof RuntimePreset.Containerd engine)) {
            throw new IllegalArgumentException("not stock containerd, whose handlers go into a drop-in: " + preset.kind());
        }
        this.host = host;
        this.configPath = preset.configFile();
        this.dropInPath = dropIn.dropIn();
        this.defaultState = engine.defaultState();
    }

    @Override
    public RuntimeKind kind() {
        return RuntimeKind.CONTAINERD;
    }

    @Override
    public List<DesiredFile> desired(List<Handler> handlers) throws InstallerException {
        HostSettings settings = hostSettings();
        ObjectNode criSection = settings.effectiveSection();
        ContainerdRuntimes.addHandlers(criSection, settings.plugin(), handlers);
        ObjectNode dropIn = JsonNodeFactory.instance.objectNode();
        dropIn.put("version", settings.version());
        dropIn.putObject("plugins").set(settings.plugin(), criSection);
        String dropInText = DROP_IN_HEADER.formatted(configPath) + TomlDocuments.writeChecked(dropInPath, dropIn);

        List<DesiredFile> files = new ArrayList<>();
        files.add(new DesiredFile(dropInPath, dropInText, true));
        Optional<String> hostText = settings.hostText();
        if (!importsCover(settings.imports(), dropInPath)) {
            String base = settings.noSettings() ? withFinalNewline(hostText.orElse("")) + "version = " + VERSION_FOR_NEW_CONFIG + "\n" : hostText.get();
            String edited = TomlArrayEdit.append(base, "imports", dropInPath);
            checkOnlyImportChanged(TomlDocuments.parse(configPath, base), edited, dropInPath, true);
            files.add(new DesiredFile(configPath, edited, false));
        } else if (hostText.isPresent()) {
            files.add(new DesiredFile(configPath, hostText.get(), false));
        }
        return files;
    }

    /**
     * A drop-in that containerd 1.x reads after Stockade's (it sorts after {@code stockade.toml}
     * under an imports glob) and that has its own CRI section replaces Stockade's section, and the
     * handlers with it. The installer cannot reorder the host's files; it says which and what to do.
     */
    @Override
    public List<String> notices() throws InstallerException {
        HostSettings settings = hostSettings();
        if (settings.mergesImports()) {
            return List.of();
        }
        List<String> notices = new ArrayList<>();
        boolean afterDropIn = false;
        for (ImportedFile imported : settings.importedFiles()) {
            afterDropIn |= imported.path().equals(dropInPath);
            if (afterDropIn && imported.config() != null && imported.config().path("plugins").get(settings.plugin()) instanceof ObjectNode) {
                notices.add(imported.path() + " is imported after " + dropInPath + " and has its own [plugins.\"" + settings.plugin()
                        + "\"] section, which containerd 1.x loads instead of Stockade's, without its handlers. Move those settings into "
                        + configPath + ", or rename the file so that it sorts before " + Path.of(dropInPath).getFileName()
                        + " (the installer then carries them into its drop-in)");
            }
        }
        return notices;
    }

    @Override
    public Optional<String> withoutStockade(String hostPath, String currentContent, List<Handler> installed) throws InstallerException {
        if (hostPath.equals(dropInPath)) {
            return Optional.empty();
        }
        ObjectNode current = TomlDocuments.parse(hostPath, currentContent);
        String edited = TomlArrayEdit.remove(currentContent, "imports", dropInPath);
        checkOnlyImportChanged(current, edited, dropInPath, false);
        return Optional.of(edited);
    }

    /** Under containerd's {@code state} directory (the preset's default unless the config sets one), one bundle per running task. */
    @Override
    public List<String> taskStateDirectories() {
        String state = defaultState;
        try {
            Optional<String> text = host.read(configPath);
            if (text.isPresent() && TomlDocuments.parse(configPath, text.get()).get("state") instanceof JsonNode value && value.isTextual()) {
                state = value.textValue();
            }
        } catch (InstallerException e) {
            // An unreadable config cannot have a custom state directory that containerd uses either.
        }
        return List.of(RuntimePreset.Containerd.taskStateDirectory(state));
    }

    /**
     * What the host's containerd config says, read once: the main file, every file it imports in
     * containerd's order (with Stockade's drop-in where containerd would read it, its content
     * left out: it is the output), the config version and the CRI plugin that holds the runtimes.
     */
    private HostSettings hostSettings() throws InstallerException {
        Optional<String> hostText = host.read(configPath);
        ObjectNode hostConfig = hostText.isPresent() ? TomlDocuments.parse(configPath, hostText.get()) : JsonNodeFactory.instance.objectNode();
        // An absent or empty file means containerd's defaults; the file Stockade writes then says version 2.
        boolean noSettings = hostConfig.isEmpty();
        int version = noSettings ? VERSION_FOR_NEW_CONFIG : ContainerdRuntimes.configVersion(configPath, hostConfig);
        List<String> imports = imports(configPath, hostConfig);
        List<ImportedFile> importedFiles = new ArrayList<>();
        for (String imported : resolveImports(imports)) {
            if (imported.equals(dropInPath)) {
                importedFiles.add(new ImportedFile(imported, null));
                continue;
            }
            Optional<String> text = host.read(imported);
            if (text.isEmpty()) {
                throw new InstallerException(configPath + " imports " + imported + ", which does not exist; containerd "
                        + "cannot load this config. Fix or remove that import and the installer will retry.");
            }
            ObjectNode importedConfig = TomlDocuments.parse(imported, text.get());
            if (importedConfig.has("imports")) {
                throw new InstallerException(imported + " (imported by " + configPath + ") has imports of its own; the installer "
                        + "cannot work out containerd's merged CRI settings through nested imports and changed nothing.");
            }
            importedFiles.add(new ImportedFile(imported, importedConfig));
        }
        List<ObjectNode> configs = new ArrayList<>(List.of(hostConfig));
        importedFiles.stream().map(ImportedFile::config).filter(Objects::nonNull).forEach(configs::add);
        return new HostSettings(hostText, hostConfig, noSettings, version, imports, importedFiles, ContainerdRuntimes.runtimesPlugin(version, configs));
    }

    /** One file containerd imports; {@code config} is null for Stockade's own drop-in. */
    private record ImportedFile(String path, ObjectNode config) {
    }

    private record HostSettings(Optional<String> hostText, ObjectNode hostConfig, boolean noSettings, int version, List<String> imports,
                                List<ImportedFile> importedFiles, String plugin) {

        /** containerd 2.x merges imported plugin sections; 1.x replaces them (a version 2 file that keeps its runtimes under 2.x's ids is read by 2.x). */
        boolean mergesImports() {
            return version == 3 || plugin.equals(ContainerdRuntimes.CRI_V3);
        }

        /**
         * The CRI section containerd ends up with: the main file's, then each imported file's in
         * import order, replacing it (1.x) or merged into it (2.x).
         */
        ObjectNode effectiveSection() {
            ObjectNode section = criSection(hostConfig, plugin);
            for (ImportedFile imported : importedFiles) {
                JsonNode importedSection = imported.config() == null ? null : imported.config().path("plugins").get(plugin);
                if (importedSection instanceof ObjectNode importedTable) {
                    if (mergesImports()) {
                        TomlDocuments.deepMerge(section, importedTable);
                    } else {
                        section = importedTable.deepCopy();
                    }
                }
            }
            return section;
        }
    }

    private static ObjectNode criSection(ObjectNode config, String plugin) {
        JsonNode section = config.path("plugins").get(plugin);
        return section instanceof ObjectNode table ? table.deepCopy() : JsonNodeFactory.instance.objectNode();
    }

    /**
     * The files the imports name, in containerd's order: each entry in turn, a glob's matches
     * sorted. Stockade's drop-in is listed where containerd reads it, even before it exists.
     */
    private List<String> resolveImports(List<String> imports) throws InstallerException {
        List<String> resolved = new ArrayList<>();
        Path configDirectory = Path.of(configPath).getParent();
        for (String entry : imports) {
            String absolute = entry.startsWith("/") ? entry : configDirectory.resolve(entry).normalize().toString();
            if (!containsGlob(absolute)) {
                resolved.add(absolute);
                continue;
            }
            Path pattern = Path.of(absolute);
            Path directory = host.resolve(pattern.getParent().toString());
            PathMatcher matcher = FileSystems.getDefault().getPathMatcher("glob:" + pattern.getFileName());
            List<String> matches = new ArrayList<>();
            if (importsCover(List.of(absolute), dropInPath)) {
                matches.add(dropInPath);
            }
            if (Files.isDirectory(directory)) {
                try (Stream<Path> children = Files.list(directory)) {
                    children.filter(child -> matcher.matches(child.getFileName()))
                            .map(child -> pattern.getParent().resolve(child.getFileName()).toString())
                            .filter(child -> !child.equals(dropInPath))
                            .forEach(matches::add);
                } catch (IOException e) {
                    throw new InstallerException("cannot list " + pattern.getParent() + " (imported by " + configPath + "): " + e.getMessage(), e);
                }
            }
            matches.sort(null);
            resolved.addAll(matches);
        }
        return resolved;
    }

    private static boolean containsGlob(String path) {
        return path.contains("*") || path.contains("?") || path.contains("[");
    }

    private static List<String> imports(String hostPath, ObjectNode config) throws InstallerException {
        JsonNode imports = config.get("imports");
        if (imports == null) {
            return List.of();
        }
        if (!(imports instanceof ArrayNode array)) {
            throw new InstallerException(hostPath + ": 'imports' must be an array of file names; the installer left the file untouched");
        }
        List<String> names = new ArrayList<>();
        for (JsonNode name : array) {
            if (!name.isTextual()) {
                throw new InstallerException(hostPath + ": 'imports' holds " + name + ", which is not a file name; the installer left the file untouched");
            }
            names.add(name.textValue());
        }
        return names;
    }

    private boolean importsCover(List<String> imports, String file) {
        Path configDirectory = Path.of(configPath).getParent();
        for (String entry : imports) {
            String absolute = entry.startsWith("/") ? entry : configDirectory.resolve(entry).normalize().toString();
            if (absolute.equals(file) || FileSystems.getDefault().getPathMatcher("glob:" + absolute).matches(Path.of(file))) {
                return true;
            }
        }
        return false;
    }

    /**
     * Parses an edited host file and checks that the edit did exactly one thing: add (or remove)
     * the drop-in in {@code imports}. Anything else means the textual edit misread the file.
     */
    private void checkOnlyImportChanged(ObjectNode before, String editedText, String entry, boolean added) throws InstallerException {
        ObjectNode after = TomlDocuments.parse(configPath + " (as edited)", editedText);
        List<String> importsBefore = new ArrayList<>(imports(configPath, before));
        List<String> importsAfter = imports(configPath, after);
        if (added) {
            importsBefore.add(entry);
        } else {
            importsBefore.remove(entry);
        }
        ObjectNode restBefore = before.deepCopy();
        ObjectNode restAfter = after.deepCopy();
        restBefore.remove("imports");
        restAfter.remove("imports");
        if (!importsAfter.equals(importsBefore) || !restAfter.equals(restBefore)) {
            throw new InstallerException("the installer could not " + (added ? "add " : "remove ") + entry + (added ? " to" : " from")
                    + " the imports of " + configPath + " without changing anything else, so it left the file untouched. "
                    + "Add (or remove) the entry by hand: imports = [\"" + entry + "\"]");
        }
    }

    static String withFinalNewline(String text) {
        return text.isEmpty() || text.endsWith("\n") ? text : text + "\n";
    }

}
