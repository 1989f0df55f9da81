package dev.stockade.installer.runtime;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.stockade.api.node.HostLayout;
import dev.stockade.installer.InstallerException;
import dev.stockade.installer.toml.TomlDocuments;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** What containerd's CRI plugin needs to know about a Stockade handler, in both config formats. */
final class ContainerdRuntimes {

    static final String CRI_V2 = "io.containerd.grpc.v1.cri";
    static final String CRI_V3 = "io.containerd.cri.v1.runtime";
    static final String RUNC_SHIM = "io.containerd.runc.v2";
    /** Shims that run an OCI runtime binary named by {@code options.BinaryName}. */
    static final List<String> RUNC_SHIMS = List.of(RUNC_SHIM, "io.containerd.runc.v1");

    /**
     * The CRI plugin whose section gets the handlers: where the host's runtimes are. Version 3 is
     * containerd 2.x's id; version 2 is 1.x's id, unless the files declare runtimes only under 2.x's
     * id: such a file is read by containerd 2.x (which migrates version 2 on load), while 1.x would
     * ignore that section and the runtimes in it.
     *
     * @param configs the main config and every file it imports
     */
    static String runtimesPlugin(int version, List<ObjectNode> configs) {
        if (version == 3) {
            return CRI_V3;
        }
        boolean underV2 = configs.stream().anyMatch(config -> declaresRuntimes(config, CRI_V2));
        boolean underV3 = configs.stream().anyMatch(config -> declaresRuntimes(config, CRI_V3));
        return underV3 && !underV2 ? CRI_V3 : CRI_V2;
    }

    private static boolean declaresRuntimes(ObjectNode config, String plugin) {
        return config.path("plugins").path(plugin).path("containerd").path("runtimes") instanceof ObjectNode runtimes && !runtimes.isEmpty();
    }

    /** The {@code version} of a parsed containerd config; refuses version 1 and unknown ones. */
    static int configVersion(String hostPath, ObjectNode config) throws InstallerException {
        JsonNode version = config.get("version");
        if (version == null || !version.isIntegralNumber()) {
            throw new InstallerException(hostPath + " has no 'version = 2' or 'version = 3' line: it is a config version 1 "
                    + "file, which the installer does not edit. Migrate it with 'containerd config migrate' and retry.");
        }
        int value = version.intValue();
        if (value != 2 && value != 3) {
            throw new InstallerException(hostPath + " has config version " + value
                    + ", which the installer does not know; it supports version 2 (containerd 1.x) and 3 (containerd 2.x)");
        }
        return value;
    }

    /**
     * Adds one runtime per handler to the section of CRI plugin {@code plugin}: the host's runc
     * runtime (see {@link #runcTemplate}) running the handler's launcher in place of runc. Under
     * containerd 1.x's id, a section that declares no runtime runs containerd's built-in {@code
     * runc}, which declaring ours would drop (1.x replaces the built-in list), so {@code runc} is
     * declared again there; a section that declares runtimes keeps exactly those: containerd loads
     * no other. containerd 2.x keeps its built-in {@code runc} beside declared runtimes, so
     * nothing is declared again under its id.
     */
    static void addHandlers(ObjectNode criSection, String plugin, List<Handler> handlers) {
        Optional<ObjectNode> template = runcTemplate(criSection, plugin);
        ObjectNode runtimes = TomlDocuments.table(criSection, "containerd", "runtimes");
        if (runtimes.isEmpty() && !plugin.equals(CRI_V3)) {
            runtimes.set("runc", defaultRunc());
        }
        for (Handler handler : handlers) {
            runtimes.set(handler.name(), handlerRuntime(template, handler));
        }
    }

    /**
     * The runtime a handler copies, so that its containers run as the node's other pods do (same
     * cgroup driver, base spec, runc root, annotations): the default runtime when it is a runc
     * shim (NVIDIA's {@code nvidia} is one: a runc shim with another BinaryName), else the runtime
     * called {@code runc} when it is one, else the first runc-shim runtime by name. Empty when the
     * section declares none: the handler then gets containerd's defaults. Under containerd 2.x's
     * id the section's {@code runc} is the built-in one ({@link #builtInRuncV3}) with whatever the
     * section declares for it merged in, as 2.x loads it: kubeadm's and the distributions' 2.x
     * configs declare only {@code runc.options.SystemdCgroup = true}.
     */
    static Optional<ObjectNode> runcTemplate(ObjectNode criSection, String plugin) {
        JsonNode containerd = criSection.path("containerd");
        JsonNode runtimes = containerd.path("runtimes");
        if (plugin.equals(CRI_V3)) {
            ObjectNode merged = runtimes instanceof ObjectNode declared ? declared.deepCopy() : JsonNodeFactory.instance.objectNode();
            ObjectNode runc = builtInRuncV3();
            if (merged.get("runc") instanceof ObjectNode declaredRunc) {
                TomlDocuments.deepMerge(runc, declaredRunc);
            }
            merged.set("runc", runc);
            runtimes = merged;
        }
        List<String> candidates = new ArrayList<>();
        JsonNode defaultName = containerd.get("default_runtime_name");
        candidates.add(defaultName != null && defaultName.isTextual() ? defaultName.textValue() : "runc");
        candidates.add("runc");
        List<String> others = new ArrayList<>();
        runtimes.fieldNames().forEachRemaining(others::add);
        others.sort(null);
        candidates.addAll(others);
        for (String name : candidates) {
            // A rendered file (k3s, MicroK8s) holds the handlers of the last install: never copy one of those.
            if (runtimes.get(name) instanceof ObjectNode runtime && RUNC_SHIMS.contains(runtime.path("runtime_type").asText())
                    && !runtime.path("options").path("BinaryName").asText().startsWith(HostLayout.HANDLERS + "/")) {
                return Optional.of(runtime);
            }
        }
        return Optional.empty();
    }

    /** One handler's runtime: a copy of the template (containerd's runc shim without one) with the launcher as BinaryName. */
    static ObjectNode handlerRuntime(Optional<ObjectNode> template, Handler handler) {
        ObjectNode runtime = template.map(ObjectNode::deepCopy).orElseGet(() -> {
            ObjectNode fresh = JsonNodeFactory.instance.objectNode();
            fresh.put("runtime_type", RUNC_SHIM);
            return fresh;
        });
        TomlDocuments.table(runtime, "options").put("BinaryName", handler.launcher());
        return runtime;
    }

    /**
     * containerd's built-in runc runtime as {@code containerd config dump} shows it (1.6 and 1.7):
     * the runc shim with every option at its zero value, so that declaring it again changes nothing.
     */
    static ObjectNode defaultRunc() {
        ObjectNode runc = JsonNodeFactory.instance.objectNode();
        runc.put("runtime_type", RUNC_SHIM);
        ObjectNode options = runc.putObject("options");
        for (String text : List.of("BinaryName", "CriuImagePath", "CriuPath", "CriuWorkPath", "Root", "ShimCgroup")) {
            options.put(text, "");
        }
        options.put("IoGid", 0);
        options.put("IoUid", 0);
        options.put("NoNewKeyring", false);
        options.put("NoPivotRoot", false);
        options.put("SystemdCgroup", false);
        return runc;
    }

    /**
     * containerd 2.x's built-in runc runtime as {@code containerd config default} of 2.2 shows
     * it: the runc shim in pod-sandbox mode with every option at its zero value.
     */
    static ObjectNode builtInRuncV3() {
        ObjectNode runc = JsonNodeFactory.instance.objectNode();
        runc.put("runtime_type", RUNC_SHIM);
        for (String text : List.of("runtime_path", "base_runtime_spec", "cni_conf_dir", "snapshotter", "io_type")) {
            runc.put(text, "");
        }
        runc.putArray("pod_annotations");
        runc.putArray("container_annotations");
        for (String flag : List.of("privileged_without_host_devices", "privileged_without_host_devices_all_devices_allowed", "cgroup_writable")) {
            runc.put(flag, false);
        }
        runc.put("cni_max_conf_num", 0);
        runc.put("sandboxer", "podsandbox");
        ObjectNode options = runc.putObject("options");
        for (String text : List.of("BinaryName", "CriuImagePath", "CriuWorkPath", "Root", "ShimCgroup")) {
            options.put(text, "");
        }
        options.put("IoGid", 0);
        options.put("IoUid", 0);
        options.put("NoNewKeyring", false);
        options.put("SystemdCgroup", false);
        return runc;
    }

    private ContainerdRuntimes() {
    }
}
