package dev.stockade.installer;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.toml.TomlMapper;
import dev.stockade.installer.host.HostRoot;
import dev.stockade.installer.preset.RuntimePreset;
import dev.stockade.installer.preset.RuntimePresets;
import dev.stockade.installer.runtime.ContainerdConfigurator;
import dev.stockade.installer.runtime.CrioConfigurator;
import dev.stockade.installer.runtime.DockerConfigurator;
import dev.stockade.installer.runtime.Handler;
import dev.stockade.installer.runtime.TemplateConfigurator;
import dev.stockade.installer.runtime.RuntimeConfigurator;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * One node layout under test: how to lay out the host's own configuration, what the container
 * runtime would read from it (the "view": it throws when the runtime could not load the files),
 * what must be true once the handlers are registered, and how to break the configuration.
 */
record Flavour(
        String name,
        Consumer<FakeHost> prepare,
        Function<HostRoot, RuntimeConfigurator> configurator,
        Function<FakeHost, JsonNode> view,
        Consumer<JsonNode> assertRegistered,
        String corruptFile,
        String corruptContent) {

    static final TomlMapper TOML = new TomlMapper();
    static final ObjectMapper JSON = new ObjectMapper();
    static final String CONFIG = RuntimePresets.CONTAINERD_CONFIG;

    @Override
    public String toString() {
        return name;
    }

    static List<Flavour> all() {
        return List.of(containerdWithoutConfig(), containerdWithCriSettings(), containerdWithImports(), containerd2(),
                rancher(RuntimePresets.K3S, false, 2), rancher(RuntimePresets.RKE2, true, 2), rancher(RuntimePresets.K3S, false, 3), microK8s(), crio(), docker());
    }

    static final String CONTAINERD_1_CONFIG = """
            # Host containerd config, managed by the node image
            version = 2
            root = "/var/lib/containerd"

            [plugins]
              [plugins."io.containerd.grpc.v1.cri"]
                sandbox_image = "registry.k8s.io/pause:3.9"
                restrict_oom_score_adj = true
                [plugins."io.containerd.grpc.v1.cri".cni]
                  bin_dir = "/opt/cni/bin"
                  conf_dir = "/etc/cni/net.d"
                [plugins."io.containerd.grpc.v1.cri".containerd]
                  default_runtime_name = "runc"
                  [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
                    runtime_type = "io.containerd.runc.v2"
                    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
                      SystemdCgroup = true
                [plugins."io.containerd.grpc.v1.cri".registry.mirrors."docker.io"]
                  endpoint = ["https://mirror.example.com"]
            """;

    static Flavour containerdWithoutConfig() {
        return containerd("containerd 1.x without config.toml", host -> host.write("/etc/containerd/.keep", ""), "io.containerd.grpc.v1.cri",
                section -> assertEquals("io.containerd.runc.v2", section.at("/containerd/runtimes/runc/runtime_type").asText(),
                        "runc must be declared again, or CRI would lose its default runtime"));
    }

    static Flavour containerdWithCriSettings() {
        return containerd("containerd 1.x with other CRI settings", host -> host.write(CONFIG, CONTAINERD_1_CONFIG), "io.containerd.grpc.v1.cri",
                section -> {
                    assertEquals("registry.k8s.io/pause:3.9", section.at("/sandbox_image").asText());
                    assertTrue(section.at("/restrict_oom_score_adj").asBoolean());
                    assertEquals("/opt/cni/bin", section.at("/cni/bin_dir").asText());
                    assertTrue(section.at("/containerd/runtimes/runc/options/SystemdCgroup").asBoolean());
                    assertEquals("https://mirror.example.com", section.at("/registry/mirrors/docker.io/endpoint/0").asText());
                });
    }

    static Flavour containerdWithImports() {
        return containerd("containerd 1.x with imports", host -> {
            host.write(CONFIG, """
                    version = 2
                    imports = [
                      "/etc/containerd/site.toml", # site registry settings
                    ]

                    [plugins."io.containerd.grpc.v1.cri"]
                      sandbox_image = "main-file-value-replaced-by-the-import"
                    """);
            host.write("/etc/containerd/site.toml", """
                    version = 2
                    [plugins."io.containerd.grpc.v1.cri"]
                      sandbox_image = "registry.site/pause:3.9"
                      [plugins."io.containerd.grpc.v1.cri".cni]
                        conf_dir = "/etc/site/cni"
                    """);
        }, "io.containerd.grpc.v1.cri", section -> {
            assertEquals("registry.site/pause:3.9", section.at("/sandbox_image").asText());
            assertEquals("/etc/site/cni", section.at("/cni/conf_dir").asText());
        });
    }

    static Flavour containerd2() {
        return containerd("containerd 2.x", host -> host.write(CONFIG, """
                version = 3
                [plugins.'io.containerd.cri.v1.images']
                  snapshotter = 'overlayfs'
                [plugins.'io.containerd.cri.v1.runtime']
                  enable_selinux = false
                  [plugins.'io.containerd.cri.v1.runtime'.containerd]
                    default_runtime_name = 'runc'
                    [plugins.'io.containerd.cri.v1.runtime'.containerd.runtimes.runc.options]
                      SystemdCgroup = true
                """), "io.containerd.cri.v1.runtime", section -> {
            assertTrue(section.at("/containerd/runtimes/runc/options/SystemdCgroup").asBoolean());
            assertEquals("runc", section.at("/containerd/default_runtime_name").asText());
            // containerd 2.x merges this partial runc into its built-in one; the handlers copy the result.
            for (Handler handler : FakeHost.HANDLERS) {
                JsonNode runtime = section.at("/containerd/runtimes/" + handler.name());
                assertTrue(runtime.at("/options/SystemdCgroup").asBoolean(), section.toString());
                assertEquals("podsandbox", runtime.path("sandboxer").asText(), section.toString());
            }
        });
    }

    private static Flavour containerd(String name, Consumer<FakeHost> prepare, String plugin, Consumer<JsonNode> hostSettings) {
        return new Flavour(name, prepare,
                host -> new ContainerdConfigurator(host, RuntimePresets.containerd(CONFIG)),
                Flavour::containerdView,
                view -> {
                    JsonNode section = view.path("plugins").path(plugin);
                    for (Handler handler : FakeHost.HANDLERS) {
                        JsonNode runtime = section.at("/containerd/runtimes/" + handler.name());
                        assertEquals("io.containerd.runc.v2", runtime.path("runtime_type").asText(), view.toString());
                        assertEquals(handler.launcher(), runtime.at("/options/BinaryName").asText(), view.toString());
                    }
                    hostSettings.accept(section);
                },
                CONFIG, "version = 2\n[plugins.\"io.containerd.grpc.v1.cri\"\nsandbox_image = \n");
    }

    /**
     * What containerd 1.x loads: the main file, then each import in order replacing whole plugin
     * sections (2.x: merging them). Throws when a file is missing or does not parse, as containerd would fail.
     */
    static JsonNode containerdView(FakeHost host) {
        if (!host.exists(CONFIG)) {
            return JsonNodeFactory.instance.objectNode();
        }
        ObjectNode main = toml(host.read(CONFIG));
        ObjectNode merged = main.deepCopy();
        merged.remove("imports");
        for (String imported : importedFiles(host, main)) {
            if (!host.exists(imported)) {
                throw new AssertionError(CONFIG + " imports " + imported + ", which does not exist: containerd would not start");
            }
            ObjectNode importedConfig = toml(host.read(imported));
            importedConfig.path("plugins").properties().forEach(plugin -> {
                ObjectNode plugins = merged.withObjectProperty("plugins");
                if (main.path("version").asInt() == 3 && plugins.get(plugin.getKey()) instanceof ObjectNode existing) {
                    dev.stockade.installer.toml.TomlDocuments.deepMerge(existing, (ObjectNode) plugin.getValue());
                } else {
                    plugins.set(plugin.getKey(), plugin.getValue());
                }
            });
        }
        return merged;
    }

    /** The files {@code imports} names, as containerd resolves them: relative to the config's directory, globs expanded and sorted. */
    static List<String> importedFiles(FakeHost host, ObjectNode config) {
        List<String> files = new java.util.ArrayList<>();
        for (JsonNode entry : config.path("imports")) {
            Path path = Path.of(CONFIG).resolveSibling(entry.asText()).normalize();
            if (!entry.asText().contains("*")) {
                files.add(path.toString());
                continue;
            }
            java.nio.file.PathMatcher matcher = path.getFileSystem().getPathMatcher("glob:" + path.getFileName());
            Path directory = host.hostRoot().resolve(path.getParent().toString());
            if (!Files.isDirectory(directory)) {
                continue;
            }
            try (Stream<Path> children = Files.list(directory)) {
                children.filter(child -> matcher.matches(child.getFileName()))
                        .map(child -> path.getParent().resolve(child.getFileName()).toString()).sorted().forEach(files::add);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return files;
    }

    /** k3s/rke2 with containerd 1.x (config version 2, config.toml.tmpl) or 2.x (version 3, config-v3.toml.tmpl). */
    static Flavour rancher(RuntimePreset preset, boolean ownTemplate, int version) {
        String directory = "/var/lib/rancher/" + preset.settingName() + "/agent/etc/containerd";
        String template = directory + (version == 3 ? "/config-v3.toml.tmpl" : "/config.toml.tmpl");
        String plugin = version == 3 ? "io.containerd.cri.v1.runtime" : "io.containerd.grpc.v1.cri";
        String customPart = "{{ template \"base\" . }}\n\n[plugins.\"io.containerd.grpc.v1.cri\".registry.configs.\"r.example\".tls]\n  insecure_skip_verify = true\n";
        return new Flavour(preset.settingName() + (ownTemplate ? " with the host's template" : " without template") + ", containerd config version " + version,
                host -> {
                    host.write(directory + "/config.toml", "# rendered by " + preset.settingName() + "\nversion = " + version + "\n\n"
                            + "[plugins.\"" + plugin + "\".containerd.runtimes.runc]\n  runtime_type = \"io.containerd.runc.v2\"\n");
                    if (ownTemplate) {
                        host.write(template, customPart);
                    }
                },
                host -> new TemplateConfigurator(host, preset),
                host -> {
                    ObjectNode view = JsonNodeFactory.instance.objectNode();
                    if (host.exists(template)) {
                        String text = host.read(template);
                        view.put("template", text);
                        // What the next rendering appends after the base template must parse on its own.
                        view.set("appended", toml(text.replace("{{ template \"base\" . }}", "")));
                    }
                    return view;
                },
                view -> {
                    String text = view.path("template").asText();
                    assertTrue(text.startsWith("{{ template \"base\" . }}\n"), text);
                    if (ownTemplate) {
                        assertTrue(text.startsWith(customPart), "the host's own template is kept: " + text);
                    }
                    for (Handler handler : FakeHost.HANDLERS) {
                        assertEquals(handler.launcher(), view.at("/appended/plugins/" + plugin + "/containerd/runtimes/"
                                + handler.name() + "/options/BinaryName").asText(), text);
                    }
                },
                directory + "/config.toml", "version = 2\n[plugins\n");
    }

    static final String MICROK8S_TEMPLATE = """
            # Use config version 2 to enable new configuration fields.
            version = 2
            oom_score = 0

            [plugins."io.containerd.grpc.v1.cri"]
              sandbox_image = "registry.k8s.io/pause:3.7"
              [plugins."io.containerd.grpc.v1.cri".containerd]
                snapshotter = "${SNAPSHOTTER}"
                default_runtime_name = "${RUNTIME}"
                [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
                  runtime_type = "io.containerd.runc.v2"
                  [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
                    SystemdCgroup = true
              [plugins."io.containerd.grpc.v1.cri".cni]
                bin_dir = "${SNAP_DATA}/opt/cni/bin"
                conf_dir = "${SNAP_DATA}/args/cni-network"
            """;

    /** What the snap's run-containerd-with-args does to the template before every start. */
    static String renderMicroK8s(String template) {
        return template.replace("${SNAP}", "/snap/microk8s/7229").replace("${SNAP_DATA}", "/var/snap/microk8s/7229")
                .replace("${RUNTIME}", "runc").replace("${SNAPSHOTTER}", "overlayfs");
    }

    /** MicroK8s: the handlers go into containerd-template.toml; the rendered containerd.toml is the snap's, and is left alone. */
    static Flavour microK8s() {
        String template = RuntimePresets.MICROK8S_ARGS + "/containerd-template.toml";
        String rendered = RuntimePresets.MICROK8S_ARGS + "/containerd.toml";
        return new Flavour("microk8s", host -> {
            host.write(template, MICROK8S_TEMPLATE);
            host.write(rendered, renderMicroK8s(MICROK8S_TEMPLATE));
        }, host -> new TemplateConfigurator(host, RuntimePresets.MICROK8S), host -> {
            ObjectNode view = toml(renderMicroK8s(host.read(template)));
            view.put("rendered file", host.read(rendered));
            return view;
        }, view -> {
            assertEquals(renderMicroK8s(MICROK8S_TEMPLATE), view.path("rendered file").asText(), "the rendered file is the snap's");
            JsonNode runtimes = view.at("/plugins/io.containerd.grpc.v1.cri/containerd/runtimes");
            assertEquals("runc", view.at("/plugins/io.containerd.grpc.v1.cri/containerd/default_runtime_name").asText());
            assertEquals("/var/snap/microk8s/7229/opt/cni/bin", view.at("/plugins/io.containerd.grpc.v1.cri/cni/bin_dir").asText());
            for (Handler handler : FakeHost.HANDLERS) {
                assertEquals(handler.launcher(), runtimes.at("/" + handler.name() + "/options/BinaryName").asText(), view.toString());
                assertTrue(runtimes.at("/" + handler.name() + "/options/SystemdCgroup").asBoolean(), "copied from the rendered runc");
            }
        }, template, "version = 2\n[plugins.\"io.containerd.grpc.v1.cri\"\n");
    }

    static Flavour crio() {
        return new Flavour("cri-o", host -> {
            host.write(RuntimePresets.CRIO.configFile(), "[crio.runtime]\ndefault_runtime = \"runc\"\n");
            host.write(RuntimePresets.CRIO_DROP_INS + "/10-site.conf", "[crio.image]\npause_image = \"registry.site/pause:3.9\"\n");
        }, CrioConfigurator::new, host -> {
            ObjectNode view = JsonNodeFactory.instance.objectNode();
            try (Stream<Path> files = Files.list(host.hostRoot().resolve(RuntimePresets.CRIO_DROP_INS))) {
                for (Path file : files.sorted().toList()) {
                    dev.stockade.installer.toml.TomlDocuments.deepMerge(view, toml(Files.readString(file)));
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            return view;
        }, view -> {
            assertEquals("registry.site/pause:3.9", view.at("/crio/image/pause_image").asText());
            for (Handler handler : FakeHost.HANDLERS) {
                assertEquals(handler.launcher(), view.at("/crio/runtime/runtimes/" + handler.name() + "/runtime_path").asText());
                assertEquals("oci", view.at("/crio/runtime/runtimes/" + handler.name() + "/runtime_type").asText());
            }
        }, RuntimePresets.CRIO_DROP_INS + "/10-site.conf", "[crio.image\n");
    }

    static Flavour docker() {
        return new Flavour("docker", host -> host.write(RuntimePresets.DOCKER.configFile(),
                "{\n\t\"log-driver\": \"json-file\",\n\t\"runtimes\": {\"other\": {\"path\": \"/usr/bin/other-runtime\"}}\n}\n"),
                DockerConfigurator::new,
                host -> {
                    try {
                        return host.exists(RuntimePresets.DOCKER.configFile()) ? JSON.readTree(host.read(RuntimePresets.DOCKER.configFile()))
                                : JsonNodeFactory.instance.objectNode();
                    } catch (IOException e) {
                        throw new UncheckedIOException(e);
                    }
                },
                view -> {
                    assertEquals("json-file", view.path("log-driver").asText());
                    assertEquals("/usr/bin/other-runtime", view.at("/runtimes/other/path").asText());
                    for (Handler handler : FakeHost.HANDLERS) {
                        assertEquals(handler.launcher(), view.at("/runtimes/" + handler.name() + "/path").asText());
                    }
                },
                RuntimePresets.DOCKER.configFile(), "{ \"log-driver\": ");
    }

    static ObjectNode toml(String text) {
        try {
            JsonNode tree = TOML.readTree(text);
            return tree == null || tree.isMissingNode() ? JsonNodeFactory.instance.objectNode() : (ObjectNode) tree;
        } catch (IOException e) {
            throw new AssertionError("does not parse as TOML: " + e.getMessage() + "\n" + text, e);
        }
    }
}
