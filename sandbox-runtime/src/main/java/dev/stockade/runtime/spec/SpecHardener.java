package dev.stockade.runtime.spec;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.stockade.api.profile.HostPathRule;
import dev.stockade.api.profile.SandboxProfile;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * What a profile applies silently to a spec that passed {@link SpecValidator}: the host paths the
 * validator resolved, capabilities reduced, no_new_privs, the seccomp allowlist, masked and
 * read-only paths, a pids limit, read-only sysfs/cgroup and allowed host paths, deny-by-default
 * device cgroup, optionally a read-only root.
 */
public final class SpecHardener {

    /** Masked in every container, on top of what the container runtime already masks. */
    static final List<String> DEFAULT_MASKED_PATHS = List.of("/proc/acpi", "/proc/asound", "/proc/kcore", "/proc/keys",
            "/proc/latency_stats", "/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug", "/proc/scsi",
            "/sys/firmware", "/sys/devices/virtual/powercap", "/sys/kernel/debug", "/sys/kernel/security");
    /**
     * Masked when the profile gives a kernel identity: the host kernel's own account of its release
     * and build, which would contradict the uname the supervisor answers (proc(5): version,
     * sys/kernel/osrelease and version, config.gz with the release in its header, cmdline with the
     * boot image's name; Ubuntu's version_signature; sysfs-rules: /sys/kernel/notes, the build's ELF
     * notes, where distributions put their release). The vDSO's ELF note still carries the host's
     * version code: only a kernel of the container's own hides that.
     */
    static final List<String> KERNEL_VERSION_FILES = List.of("/proc/version", "/proc/version_signature",
            "/proc/sys/kernel/osrelease", "/proc/sys/kernel/version", "/proc/config.gz", "/proc/cmdline", "/sys/kernel/notes");
    static final List<String> DEFAULT_READONLY_PATHS = List.of("/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys",
            "/proc/sysrq-trigger");

    private final SandboxProfile profile;
    private final SpecValidator validator;
    private final CapabilityRules capabilities;
    private final String architecture;

    public SpecHardener(SandboxProfile profile, SpecValidator validator, String profileName, String architecture) {
        this.profile = profile;
        this.validator = validator;
        this.capabilities = new CapabilityRules(profile.allowedCapabilities(), profileName);
        this.architecture = architecture;
    }

    /**
     * Hardens a container's config.json in place, {@code checked} being what the validator resolved
     * in it: those host paths are written in first, so that runc uses exactly what was checked.
     */
    public void harden(ObjectNode spec, CheckedPaths checked) {
        checked.writeInto();
        hardenProcess(object(spec, "process"));
        ObjectNode linux = object(spec, "linux");
        // After hardenProcess: capability-gated calls follow the capabilities the container keeps.
        linux.set("seccomp", SeccompProfiles.narrowedBy(SeccompProfiles.allowlist(profile, spec.path("process").path("capabilities"), architecture),
                linux.get("seccomp")));
        replace(linux, "maskedPaths", maskedPaths(spec, profile));
        replace(linux, "readonlyPaths", union(linux.path("readonlyPaths"), DEFAULT_READONLY_PATHS, profile.readonlyPaths()));
        ObjectNode resources = object(linux, "resources");
        ObjectNode pids = object(resources, "pids");
        long requested = pids.path("limit").asLong(0);
        pids.put("limit", requested > 0 ? Math.min(requested, profile.pidsLimit()) : profile.pidsLimit());
        denyDevicesByDefault(resources);
        if (profile.readOnlyRootFilesystem()) {
            object(spec, "root").put("readonly", true);
        }
        for (JsonNode mount : spec.path("mounts")) {
            hardenMount((ObjectNode) mount);
        }
    }

    /**
     * The paths runc will mask: the spec's own, the defaults, the profile's and, with a kernel
     * identity, the host kernel's version files, in that order.
     */
    static List<String> maskedPaths(JsonNode spec, SandboxProfile profile) {
        List<String> extra = new ArrayList<>(profile.maskedPaths());
        if (profile.kernelIdentity() != null) {
            extra.addAll(KERNEL_VERSION_FILES);
        }
        return union(spec.path("linux").path("maskedPaths"), DEFAULT_MASKED_PATHS, extra);
    }

    /** Hardens an exec's process.json in place. */
    public void hardenProcess(ObjectNode process) {
        process.put("noNewPrivileges", true);
        if (process.get("capabilities") instanceof ObjectNode capabilitySets) {
            capabilities.reduce(capabilitySets);
        }
    }

    /** A bind mount's source is the real path the validator checked (see {@link CheckedPaths}). */
    private void hardenMount(ObjectNode mount) {
        String type = mount.path("type").asText();
        boolean forceReadOnly = type.equals("sysfs") || type.equals("cgroup") || type.equals("cgroup2");
        if (SpecValidator.isBind(mount)) {
            Optional<HostPathRule> rule = validator.allowedHostPath(mount.path("source").asText());
            forceReadOnly = rule.isPresent() && rule.get().readOnly();
        }
        if (forceReadOnly) {
            List<String> options = new ArrayList<>(SpecValidator.options(mount));
            options.remove("rw");
            if (!options.contains("ro")) {
                options.add("ro");
            }
            ArrayNode array = mount.putArray("options");
            options.forEach(array::add);
        }
    }

    private static void denyDevicesByDefault(ObjectNode resources) {
        JsonNode validated = resources.path("devices");
        ArrayNode rules = JsonNodeFactory.instance.arrayNode();
        rules.addObject().put("allow", false).put("access", "rwm");
        // The rules that passed validation stay, after the deny-all.
        validated.forEach(rules::add);
        resources.set("devices", rules);
    }

    private static List<String> union(JsonNode own, List<String> defaults, List<String> extra) {
        Set<String> paths = new LinkedHashSet<>();
        own.forEach(path -> paths.add(path.asText()));
        paths.addAll(defaults);
        paths.addAll(extra);
        return List.copyOf(paths);
    }

    private static void replace(ObjectNode linux, String field, List<String> paths) {
        ArrayNode array = linux.putArray(field);
        paths.forEach(array::add);
    }

    static ObjectNode object(ObjectNode parent, String field) {
        return parent.get(field) instanceof ObjectNode existing ? existing : parent.putObject(field);
    }
}
