package dev.stockade.installer.runtime;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.stockade.installer.InstallerException;
import dev.stockade.installer.toml.TomlDocuments;

import java.util.List;

/** What containerd's CRI plugin needs to know about a Stockade handler, in both config formats. */
final class ContainerdRuntimes {

    static final String CRI_V2 = "io.containerd.grpc.v1.cri";
    static final String CRI_V3 = "io.containerd.cri.v1.runtime";
    static final String RUNC_SHIM = "io.containerd.runc.v2";

    /** The CRI plugin holding runtimes for a config version: 2 for containerd 1.x, 3 for 2.x. */
    static String criPlugin(int version) {
        return version == 3 ? CRI_V3 : CRI_V2;
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
     * Adds one runtime per handler to a CRI plugin section: the runc shim running the handler's
     * launcher in place of runc. Declaring any runtime replaces containerd's built-in list, so
     * {@code runc} is declared too when the section did not have it.
     */
    static void addHandlers(ObjectNode criSection, List<Handler> handlers) {
        ObjectNode runtimes = TomlDocuments.table(criSection, "containerd", "runtimes");
        if (!runtimes.has("runc")) {
            runtimes.set("runc", defaultRunc());
        }
        for (Handler handler : handlers) {
            runtimes.set(handler.name(), handlerRuntime(handler));
        }
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

    static ObjectNode handlerRuntime(Handler handler) {
        ObjectNode runtime = JsonNodeFactory.instance.objectNode();
        runtime.put("runtime_type", RUNC_SHIM);
        runtime.putObject("options").put("BinaryName", handler.launcher());
        return runtime;
    }

    private ContainerdRuntimes() {
    }
}
