package dev.stockade.runtime.spec;

import com.fasterxml.jackson.databind.JsonNode;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Keys that runc would read as a field of the OCI runtime spec although they are not spelt as the
 * spec spells it. runc decodes config.json (and an exec process file, and update's resources) with
 * Go's encoding/json, which takes a key for a field in any letter case when the exact key is absent,
 * folding the Kelvin sign to k and the long s to s, and keeps the last of several: {@code "Mounts"},
 * {@code "Capabilities"}, {@code "ſeccomp"} or {@code "LIMIT"} reach runc as mounts, capabilities,
 * seccomp and limit. The checks read the exact keys only, so such a key is refused: what is checked
 * must be what runc reads.
 *
 * <p>Field names: the json tags of runtime-spec v1.2.1 and v1.3.0 specs-go/config.go (runc 1.1 to
 * 1.4). The keys of the spec's maps (annotations, linux.sysctl, linux.netDevices,
 * linux.timeOffsets, linux.resources.rdma and .unified) are names of their own, not fields; their
 * values are checked.
 */
final class SpecKeys {

    static final List<String> FIELDS = List.of(
            "DNSSearchList", "access", "action", "additionalGids", "affinity", "allow", "allowUnqualifiedDNSQuery", "allowedAddress",
            "ambient", "anet", "annotations", "apparmorProfile", "architectures", "args", "blockIO", "bounding", "bps", "burst",
            "capabilities", "cappedCPU", "cappedMemory", "cgroupsPath", "checkBeforeUpdate", "chflags", "class", "classID", "closID",
            "commandLine", "configureAllowedAddress", "consoleSize", "containerID", "count", "cpu", "cpus", "createContainer",
            "createRuntime", "credentialSpec", "cwd", "deadline", "defaultAction", "defaultErrnoRet", "defrouter", "destination",
            "deviceTree", "devices", "disableOOMKiller", "domain", "domainname", "dtdevs", "effective", "enableCMT", "enableMBM",
            "enableMonitoring", "endpointList", "enforceStatfs", "env", "errnoRet", "execCPUAffinity", "fileMode", "final", "firstGFN",
            "firstMFN", "flags", "format", "freebsd", "gid", "gidMappings", "group", "hard", "hcaHandles", "hcaObjects", "height", "hooks",
            "host", "hostID", "hostname", "hugepageLimits", "hwconfig", "hyperv", "hypervisor", "id", "idType", "idle",
            "ignoreFlushesDuringBoot", "image", "index", "inheritable", "initial", "initrd", "intelRdt", "interface", "ioPriority", "iomems",
            "iops", "ip4", "ip4Addr", "ip6", "ip6Addr", "irqs", "jail", "kernel", "kernelTCP", "l3CacheSchema", "layerFolders", "leafWeight",
            "limit", "limitpriv", "linkProtection", "linkname", "linux", "listenerMetadata", "listenerPath", "lowerLink", "macAddress",
            "major", "mask", "maskedPaths", "maxShmMemory", "maximum", "memBwSchema", "memory", "memoryPolicy", "mems", "milestone", "minor",
            "mlock", "mode", "mount", "mountLabel", "mounts", "name", "names", "namespaces", "nanosecs", "ncpus", "netDevices", "network",
            "networkNamespace", "networkSharedContainerName", "nice", "noNewPrivileges", "nodes", "nrMFNs", "ociVersion", "oomScoreAdj",
            "op", "options", "pageSize", "parameters", "parent", "path", "period", "permitted", "personality", "physical", "pids", "policy",
            "poststart", "poststop", "prestart", "priorities", "priority", "process", "quota", "quotas", "rate", "rawSockets", "rdma",
            "readonly", "readonlyPaths", "realtimePeriod", "realtimeRuntime", "reservation", "reservedPorts", "resources", "rlimits", "root",
            "rootfsPropagation", "runtime", "sandboxSize", "scheduler", "schemata", "seccomp", "secs", "selinuxLabel", "servicing",
            "setHostname", "shares", "size", "socketAf", "soft", "solaris", "source", "startContainer", "storage", "suser", "swap",
            "swappiness", "syscalls", "sysctl", "sysvmsg", "sysvsem", "sysvshm", "terminal", "throttleReadBpsDevice",
            "throttleReadIOPSDevice", "throttleWriteBpsDevice", "throttleWriteIOPSDevice", "timeOffsets", "timeout", "type", "uid",
            "uidMappings", "umask", "unified", "useHierarchy", "user", "username", "utilityVMPath", "value", "valueTwo", "vcpus", "vm",
            "vnet", "vnetInterfaces", "weight", "weightDevice", "width", "windows", "zos");

    /** Fields whose value is a Go map: their keys are free-form. */
    static final Set<String> MAPS = Set.of("annotations", "sysctl", "netDevices", "timeOffsets", "rdma", "unified");

    private static final Map<String, String> BY_FOLDED = new HashMap<>();

    static {
        FIELDS.forEach(field -> BY_FOLDED.put(fold(field), field));
    }

    /** Go's simple case folding as far as field names go: ASCII letters, the Kelvin sign and the long s. */
    static String fold(String key) {
        StringBuilder folded = new StringBuilder(key.length());
        for (int i = 0; i < key.length(); i++) {
            folded.append(Character.toLowerCase(Character.toUpperCase(key.charAt(i))));
        }
        return folded.toString();
    }

    /** Refuses the first key under {@code node} (named {@code field}) that runc would read as a differently spelt field. */
    static void check(JsonNode node, String field) throws Refusal {
        check(node, field, false);
    }

    private static void check(JsonNode node, String field, boolean mapKeys) throws Refusal {
        if (node.isArray()) {
            int index = 0;
            for (JsonNode element : node) {
                check(element, field + "[" + index++ + "]", false);
            }
            return;
        }
        if (!node.isObject()) {
            return;
        }
        for (Map.Entry<String, JsonNode> entry : node.properties()) {
            String key = entry.getKey();
            String at = field.isEmpty() ? key : field + "." + key;
            if (!mapKeys) {
                String spelt = BY_FOLDED.get(fold(key));
                if (spelt != null && !spelt.equals(key)) {
                    throw new Refusal(at, "spec", "the key '" + key + "' is not spelt as the OCI runtime spec spells '" + spelt
                            + "', though runc would read it as that field, which the sandbox runtime checks only as spelt; write '"
                            + spelt + "'");
                }
            }
            check(entry.getValue(), at, !mapKeys && MAPS.contains(key));
        }
    }

    private SpecKeys() {
    }
}
