package dev.stockade.installer.runtime;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.stockade.installer.InstallerException;
import dev.stockade.installer.host.HostRoot;
import dev.stockade.installer.preset.RuntimePreset;
import dev.stockade.installer.toml.TomlDocuments;

import java.nio.file.Files;
import java.util.List;
import java.util.Optional;

/**
 * containerd configured through a template that the distribution renders into config.toml on
 * every start, so writes to the rendered file are lost: handlers go into the template, as a block
 * between markers. k3s and rke2 render a Go template; without a template of the host's own, the
 * installer writes one that extends k3s's built-in base template ({@code {{ template "base" . }}},
 * k3s/rke2 since v1.27) with that block. MicroK8s renders its own {@code containerd-template.toml}
 * (a TOML file whose strings hold {@code ${SNAP_DATA}}-style placeholders, filled in by
 * {@code sed} in the snap's run-containerd-with-args) into {@code containerd.toml}; its template
 * always exists, and the installer only appends to it.
 */
public final class TemplateConfigurator implements RuntimeConfigurator {

    static final String BEGIN = "# BEGIN stockade-runtime-installer (managed block, removed on uninstall)";
    static final String END = "# END stockade-runtime-installer";
    static final String BASE_TEMPLATE = "{{ template \"base\" . }}\n";

    private final HostRoot host;
    private final RuntimeKind kind;
    private final String rendered;
    private final RuntimePreset.ContainerdTemplate templates;
    private final String defaultState;

    /** {@code preset}: k3s's, RKE2's or MicroK8s's, which names the rendered file, the templates and the state directory. */
    public TemplateConfigurator(HostRoot host, RuntimePreset preset) {
        if (!(preset.configuration() instanceof RuntimePreset.ContainerdTemplate template)
                || !(preset.engine() instanceof RuntimePreset.Containerd engine)) {
            throw new IllegalArgumentException("not a distribution that renders containerd's config from a template: " + preset.kind());
        }
        this.host = host;
        this.kind = preset.kind();
        this.rendered = preset.configFile();
        this.templates = template;
        this.defaultState = engine.defaultState();
    }

    @Override
    public RuntimeKind kind() {
        return kind;
    }

    @Override
    public List<DesiredFile> desired(List<Handler> handlers) throws InstallerException {
        Optional<String> renderedText = host.read(rendered);
        int version = 2;
        ObjectNode renderedConfig = JsonNodeFactory.instance.objectNode();
        if (renderedText.isPresent()) {
            renderedConfig = TomlDocuments.parse(rendered, renderedText.get());
            version = renderedConfig.isEmpty() ? 2 : ContainerdRuntimes.configVersion(rendered, renderedConfig);
        }
        String template = templatePath(version);
        String plugin = ContainerdRuntimes.runtimesPlugin(version, List.of(renderedConfig));
        // The handlers copy the runc runtime rendered for this node (its cgroup driver among others).
        Optional<ObjectNode> runc = ContainerdRuntimes.runcTemplate(renderedConfig.path("plugins").get(plugin) instanceof ObjectNode section
                ? section : JsonNodeFactory.instance.objectNode(), plugin);
        String block = block(template, handlers, plugin, runc);
        Optional<String> templateText = host.read(template);
        String edited;
        if (templateText.isEmpty()) {
            if (!templates.extendsBase()) {
                throw new InstallerException(template + " does not exist: MicroK8s renders containerd's config from it, so the installer "
                        + "has nowhere to register the handlers and changed nothing. Reinstall or repair the MicroK8s snap.");
            }
            edited = BASE_TEMPLATE + block;
        } else {
            String withoutBlock = removeBlock(templateText.get());
            edited = ContainerdConfigurator.withFinalNewline(withoutBlock) + block;
            if (!templates.extendsBase()) {
                TomlDocuments.parse(template + " with Stockade's runtimes appended", edited);
            }
        }
        if (renderedText.isPresent()) {
            // The next rendering is the base (or the host's template) plus this block: prove the two compose.
            TomlDocuments.parse(rendered + " with Stockade's runtimes appended",
                    ContainerdConfigurator.withFinalNewline(removeBlock(renderedText.get())) + block);
        }
        return List.of(new DesiredFile(template, edited, templateText.isEmpty()));
    }

    @Override
    public Optional<String> withoutStockade(String hostPath, String currentContent, List<Handler> installed) {
        String withoutBlock = removeBlock(currentContent);
        if (withoutBlock.equals(BASE_TEMPLATE) || withoutBlock.isBlank()) {
            return Optional.empty();
        }
        return Optional.of(withoutBlock);
    }

    @Override
    public List<String> taskStateDirectories() {
        return List.of(RuntimePreset.Containerd.taskStateDirectory(defaultState));
    }

    /** k3s uses config-v3.toml.tmpl for containerd 2.x when present, else config.toml.tmpl; MicroK8s has one template. */
    private String templatePath(int version) {
        if (templates.v3Template().isEmpty()) {
            return templates.template();
        }
        String v3 = templates.v3Template().get();
        if (version == 3 && (Files.exists(host.resolve(v3)) || !Files.exists(host.resolve(templates.template())))) {
            return v3;
        }
        return templates.template();
    }

    private static String block(String template, List<Handler> handlers, String plugin, Optional<ObjectNode> runc) throws InstallerException {
        ObjectNode document = JsonNodeFactory.instance.objectNode();
        ObjectNode runtimes = TomlDocuments.table(document, "plugins", plugin, "containerd", "runtimes");
        for (Handler handler : handlers) {
            runtimes.set(handler.name(), ContainerdRuntimes.handlerRuntime(runc, handler));
        }
        return "\n" + BEGIN + "\n" + TomlDocuments.writeChecked(template, document) + END + "\n";
    }

    /** The text without Stockade's block (and the blank line the installer put before it). */
    static String removeBlock(String text) {
        int begin = text.indexOf(BEGIN);
        if (begin < 0) {
            return text;
        }
        int end = text.indexOf(END, begin);
        if (end < 0) {
            return text;
        }
        int after = end + END.length();
        if (after < text.length() && text.charAt(after) == '\n') {
            after++;
        }
        int start = begin;
        if (start > 0 && text.charAt(start - 1) == '\n' && (start == 1 || text.charAt(start - 2) == '\n')) {
            start--;
        }
        return text.substring(0, start) + text.substring(after);
    }

}
