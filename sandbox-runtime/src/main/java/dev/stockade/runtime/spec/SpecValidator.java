package dev.stockade.runtime.spec;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.stockade.api.InstallerEnvironment;
import dev.stockade.api.node.CriAnnotations;
import dev.stockade.api.node.EngineDirectories;
import dev.stockade.api.profile.HostPathRule;
import dev.stockade.api.profile.SandboxProfile;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The refusal rules of a profile on an OCI runtime spec (config.json), one method per rule. Pure:
 * the host is seen only through {@link HostView}. The first broken rule is reported.
 */
public final class SpecValidator {

    /** Sysctls Kubernetes considers safe (namespaced, no effect outside the pod), as of Kubernetes 1.34. */
    static final Set<String> SAFE_SYSCTLS = Set.of("kernel.shm_rmid_forced", "net.ipv4.ip_local_port_range",
            "net.ipv4.tcp_syncookies", "net.ipv4.ping_group_range", "net.ipv4.ip_unprivileged_port_start",
            "net.ipv4.ip_local_reserved_ports", "net.ipv4.tcp_keepalive_time", "net.ipv4.tcp_fin_timeout",
            "net.ipv4.tcp_keepalive_intvl", "net.ipv4.tcp_keepalive_probes", "net.ipv4.tcp_rmem", "net.ipv4.tcp_wmem");

    static final List<String> REQUIRED_NAMESPACES = List.of("pid", "network", "ipc", "uts", "mount");

    /** Device nodes every container gets: null, zero, full, random, urandom, tty, console, ptmx. */
    static final Map<String, String> STANDARD_DEVICES = Map.of("/dev/null", "c 1:3", "/dev/zero", "c 1:5",
            "/dev/full", "c 1:7", "/dev/random", "c 1:8", "/dev/urandom", "c 1:9", "/dev/tty", "c 5:0",
            "/dev/console", "c 5:1", "/dev/ptmx", "c 5:2");
    /** Device-cgroup rules beyond the standard nodes: pseudo-terminals (major 136). */
    static final Set<String> STANDARD_DEVICE_RULES = Set.of("c 1:3", "c 1:5", "c 1:7", "c 1:8", "c 1:9", "c 5:0",
            "c 5:1", "c 5:2", "c 136:*");

    /** Mount types other than bind that a container may have, with where they may go. */
    static final Map<String, String> SPECIAL_FILESYSTEMS = Map.of("proc", "/proc", "sysfs", "/sys",
            "devpts", "/dev/pts", "mqueue", "/dev/mqueue", "cgroup", "/sys/fs/cgroup", "cgroup2", "/sys/fs/cgroup");

    /**
     * Host directories and files the kubelet and the container runtime manage for one pod, exactly
     * as they hand them to the runtime: a volume's own directory (emptyDir, configMap, secret,
     * projected, downwardAPI; a CSI volume's "mount" directory), a subPath the kubelet prepared
     * (volume-subpaths/&lt;volume&gt;/&lt;container&gt;/&lt;index&gt;), etc-hosts, a termination-message file.
     * (The engine's own per-container and per-sandbox files are {@link EngineFiles}.) Nothing
     * below them: no engine mounts a path inside a volume (the kubelet prepares a subPath as its own
     * bind mount), and a container of the pod could swap a directory there for a link between this
     * check and runc's mount.
     */
    static final String KUBELET_POD_DIRECTORIES = "/pods/([0-9a-f-]+)/(volumes/[^/]+/[^/]+|volumes/kubernetes\\.io~csi/[^/]+/mount"
            + "|volume-subpaths/[^/]+/[^/]+/[0-9]+|etc-hosts|containers/[^/]+/[^/]+)";
    /** A path below one of {@link #KUBELET_POD_DIRECTORIES}. */
    static final String BELOW_KUBELET_POD_DIRECTORIES =
            "/pods/[0-9a-f-]+/(volumes/[^/]+/[^/]+|volume-subpaths/[^/]+/[^/]+/[0-9]+|etc-hosts|containers/[^/]+/[^/]+)/.+";
    /**
     * The kubelet's volumes of API data (configMap, secret, projected, downwardAPI): the kubelet
     * writes them and mounts them read-only into every container of the pod, whatever the pod asks.
     */
    static final Pattern KUBELET_API_DATA_VOLUME = Pattern.compile(
            "volumes/kubernetes\\.io~(configmap|secret|projected|downward-api)/[^/]+");

    private final SandboxProfile profile;
    private final String profileName;
    private final HostView host;
    private final CapabilityRules capabilities;
    private final ProcessSettings processSettings;
    private final Pattern kubeletPodPath;
    private final Pattern belowKubeletPodPath;
    private final String delegate;
    private final EngineFiles engineFiles;
    private final EngineDirectories realEngines;

    public SpecValidator(SandboxProfile profile, String profileName, HostView host) {
        this(profile, profileName, host, InstallerEnvironment.DEFAULT_KUBELET_ROOT);
    }

    public SpecValidator(SandboxProfile profile, String profileName, HostView host, String kubeletRoot) {
        this(profile, profileName, host, kubeletRoot, "runc");
    }

    public SpecValidator(SandboxProfile profile, String profileName, HostView host, String kubeletRoot, String delegate) {
        this(profile, profileName, host, kubeletRoot, EngineDirectories.DEFAULTS, delegate);
    }

    /**
     * {@code kubeletRoot} is the kubelet's --root-dir and {@code engines} the container engine's
     * directories (from the handler's launcher); both compared, like mount sources, after following
     * symlinks. {@code delegate} is the runtime the launcher runs after the check (runc or crun, its
     * path): how it resolves mount destinations decides whether a mount may lie inside a volume
     * other containers write ({@link #checkNestedMount}).
     */
    public SpecValidator(SandboxProfile profile, String profileName, HostView host, String kubeletRoot, EngineDirectories engines,
                         String delegate) {
        this.delegate = delegate;
        this.realEngines = new EngineDirectories(engines.entries().stream()
                .map(entry -> new EngineDirectories.Entry(entry.layout(), host.realPath(entry.path()))).toList());
        this.engineFiles = new EngineFiles(realEngines);
        this.profile = profile;
        this.profileName = profileName;
        this.host = host;
        this.capabilities = new CapabilityRules(profile.allowedCapabilities(), profileName);
        this.processSettings = new ProcessSettings(profile, profileName);
        String realKubeletRoot = Pattern.quote(host.realPath(kubeletRoot));
        this.kubeletPodPath = Pattern.compile(realKubeletRoot + KUBELET_POD_DIRECTORIES);
        this.belowKubeletPodPath = Pattern.compile(realKubeletRoot + BELOW_KUBELET_POD_DIRECTORIES);
    }

    /**
     * Checks the config.json of container {@code containerId} (the id runc is given, {@code runc
     * create <id>}), whose bundle is {@code bundle} (a relative root.path is taken from there);
     * throws the first refusal. Returns the host paths it resolved, which the hardener writes into
     * the spec so that runc uses exactly what was checked.
     */
    public CheckedPaths validate(JsonNode spec, Path bundle, String containerId) throws Refusal {
        return validate(spec, bundle, containerId, RuntimeState.of(delegate, Optional.empty()));
    }

    /**
     * The same, where {@code state} is where the delegate runtime keeps its containers' state (the
     * command line's --root): a container may use another's engine files only when it joins a
     * namespace of a container found there ({@link #checkOwner}).
     */
    public CheckedPaths validate(JsonNode spec, Path bundle, String containerId, RuntimeState state) throws Refusal {
        // First: every other check reads the keys as the spec spells them, and runc must read the same.
        SpecKeys.check(spec, "");
        checkPrivileged(spec);
        List<CheckedPaths.Pin> pins = new ArrayList<>();
        Map<String, String> joined = checkNamespaces(spec, pins);
        capabilities.check(spec.path("process").path("capabilities"), "process.capabilities");
        processSettings.check(spec.get("process"));
        checkMounts(spec, new Creation(containerId, joined, new EngineRecords(host, realEngines, state)), rootfs(spec, bundle), pins);
        checkDevices(spec);
        checkCgroupFiles(spec);
        checkNetworkClass(spec);
        checkIntelRdt(spec);
        checkSysctls(spec);
        checkHooks(spec, pins);
        return new CheckedPaths(pins);
    }

    /** The OCI hook kinds, all of which run a program of the host's file system. */
    static final List<String> HOOK_KINDS = List.of("prestart", "createRuntime", "createContainer", "startContainer", "poststart", "poststop");

    /** The container engines' own binaries: as hooks they run only in the exact shape the engine adds ({@link EngineHooks}). */
    static final Set<String> ENGINE_PROGRAMS = Set.of("dockerd", "containerd", "crio");

    /**
     * OCI hooks run programs of the host, as root, and most of them in the host's namespaces: only
     * the container engine's own hook, exactly as the engine writes it, and programs under the
     * profile's allowedHostPaths may run. Kubernetes gives pods no way to set hooks; they come from
     * the node (the engine, CRI-O hook directories, NRI). The program's real path is pinned into
     * the spec, so runc runs what was checked (Docker names dockerd as /proc/&lt;pid&gt;/exe, which
     * another process could own by the time runc runs it).
     */
    void checkHooks(JsonNode spec, List<CheckedPaths.Pin> pins) throws Refusal {
        for (String kind : HOOK_KINDS) {
            int index = 0;
            for (JsonNode hook : spec.path("hooks").path(kind)) {
                String field = "hooks." + kind + "[" + index++ + "]";
                String path = hook.path("path").asText();
                if (!(hook instanceof ObjectNode holder) || !path.startsWith("/") || !Path.of(path).normalize().toString().equals(path)) {
                    throw new Refusal(field + ".path", "hook",
                            "the " + kind + " hook's program " + path + " is not a normalized absolute path; sandbox profile " + profileName
                                    + " runs only programs it can check");
                }
                String real = host.realPath(path);
                Optional<String> notDockers = EngineHooks.dockerNetworkHookMismatch(kind, hook, real);
                Optional<HostPathRule> writable = writableRule(real, true);
                if (notDockers.isPresent() && writable.isPresent()) {
                    // A container may mount that entry writable: it could replace the program the node runs as root.
                    throw new Refusal(field + ".path", "hook",
                            "the " + kind + " hook's program " + real + " lies in " + writable.get().path() + ", which sandbox profile "
                                    + profileName + " lets containers write (allowedHostPaths readOnly: false), so a container could "
                                    + "replace the program the node then runs as root; put hook programs under a read-only entry");
                }
                if (notDockers.isEmpty() || allowedHostPath(real).isPresent()) {
                    pins.add(new CheckedPaths.Pin(holder, "path", real));
                    continue;
                }
                String program = path + (real.equals(path) ? "" : " (really " + real + ")");
                if (isEngineProgram(real)) {
                    throw new Refusal(field, "hook",
                            "the " + kind + " hook would run the container engine's binary " + program + " as root on the host with the "
                                    + "arguments " + hook.path("args").valueStream().map(JsonNode::asText).toList() + ", which sandbox profile "
                                    + profileName + " does not allow: an engine's binary runs only as the hook the engine adds itself, "
                                    + EngineHooks.DOCKER_NETWORK_HOOK + " (" + notDockers.get() + "); remove the hook, or add the "
                                    + "program's directory to the profile's allowedHostPaths if the node really needs it");
                }
                throw new Refusal(field + ".path", "hook",
                        "the " + kind + " hook would run host program " + program + " as root, which sandbox profile " + profileName
                                + " does not allow; add its directory to the profile's allowedHostPaths if the node needs it");
            }
        }
    }

    private static boolean isEngineProgram(String realPath) {
        Path program = Path.of(realPath);
        return program.getParent() != null && EngineHooks.SYSTEM_BINARY_DIRECTORIES.contains(program.getParent().toString())
                && ENGINE_PROGRAMS.contains(program.getFileName().toString());
    }

    /** Checks an exec's process.json and the capabilities of {@code runc exec --cap}. */
    public void validateProcess(JsonNode process, List<String> addedCapabilities) throws Refusal {
        if (process != null) {
            SpecKeys.check(process, "process");
            capabilities.check(process.path("capabilities"), "process.capabilities");
            processSettings.check(process);
        }
        for (String capability : addedCapabilities) {
            capabilities.check(capability, "exec --cap");
        }
    }

    /** exec's --apparmor and --process-label, which set the exec'd process's labels like its process file's. */
    public void validateExecLabels(java.util.Optional<String> apparmor, java.util.Optional<String> processLabel) throws Refusal {
        processSettings.checkMacLabels(apparmor.orElse(""), processLabel.orElse(""), "exec --apparmor", "exec --process-label");
    }

    void checkPrivileged(JsonNode spec) throws Refusal {
        boolean allDevices = false;
        for (JsonNode rule : spec.path("linux").path("resources").path("devices")) {
            allDevices |= rule.path("allow").asBoolean(false) && deviceRule(rule).equals("a *:*");
        }
        boolean sysAdmin = false;
        for (JsonNode capability : spec.path("process").path("capabilities").path("bounding")) {
            sysAdmin |= CapabilityRules.withPrefix(capability.asText()).equals("CAP_SYS_ADMIN");
        }
        if (allDevices && sysAdmin) {
            throw new Refusal("process.capabilities / linux.resources.devices", "privileged",
                    "privileged containers are not allowed by sandbox profile " + profileName
                            + "; remove securityContext.privileged (docker and podman: --privileged)");
        }
    }

    /**
     * The container makes its own namespaces, or joins ones that are not the host's. A path it
     * joins is resolved once, to a /proc/&lt;pid&gt;/ns link or a pinned namespace file in a directory
     * only root may change, and pinned into the spec: runc opens the very namespace checked, not
     * a link someone swaps in between (a new user's trial joined the host's network namespace
     * through a link flipped while containers were created). Returns the joined paths by OCI type.
     */
    Map<String, String> checkNamespaces(JsonNode spec, List<CheckedPaths.Pin> pins) throws Refusal {
        Set<String> present = new HashSet<>();
        Map<String, String> joined = new HashMap<>();
        int index = 0;
        for (JsonNode namespace : spec.path("linux").path("namespaces")) {
            String type = namespace.path("type").asText();
            present.add(type);
            String path = namespace.path("path").asText("");
            if (!path.isEmpty()) {
                String field = "linux.namespaces[" + index + "].path";
                Optional<String> file = host.namespaceFile(path);
                if (file.isEmpty() || !(namespace instanceof ObjectNode holder)) {
                    throw new Refusal(field, "host-namespace", "the " + type + " namespace at " + path + " is not a namespace file the "
                            + "runtime can pin (a /proc/<pid>/ns link, or a file in directories only root may change, reached through at "
                            + "most 40 links); sandbox profile " + profileName + " joins only namespaces it can check");
                }
                if (host.isHostNamespace(type, file.get())) {
                    throw new Refusal(field, "host-namespace",
                            "joining the host's " + type + " namespace (or one this runtime cannot examine) at " + path
                                    + (file.get().equals(path) ? "" : " (really " + file.get() + ")")
                                    + " is not allowed by sandbox profile " + profileName);
                }
                pins.add(new CheckedPaths.Pin(holder, "path", file.get()));
                joined.put(type, file.get());
            }
            index++;
        }
        for (String type : REQUIRED_NAMESPACES) {
            if (!present.contains(type)) {
                throw new Refusal("linux.namespaces", "host-namespace",
                        "the container would share the host's " + type + " namespace (host" + hostFlag(type)
                                + "), which sandbox profile " + profileName + " does not allow");
            }
        }
        return joined;
    }

    private static String hostFlag(String type) {
        return switch (type) {
            case "network" -> "Network";
            case "pid" -> "PID";
            case "ipc" -> "IPC";
            default -> " " + type;
        };
    }

    /**
     * A bind mount's source as checked: its real path, what it is, the pod it belongs to (kubelet
     * paths), and who else may write in it (null when no other container can).
     */
    private record BindSource(String realPath, EngineMounts.Source kind, String podUid, String writableBy, EngineFiles.Owned engineFile) {
    }

    /** A bind mount of a kubelet pod directory: its field, its source as the spec gives it, and the pod's uid. */
    private record PodMount(String field, String source, String podUid) {
    }

    /** A mount done before the one being checked: its field, where runc put it, what it is, and who else may write in it. */
    private record Mounted(String field, String path, String what, String writableBy) {
    }

    /**
     * The container being created: the id runc is given, the namespaces its spec joins (OCI type
     * to the path as checked and pinned), and what the engines record about the others.
     */
    record Creation(String containerId, Map<String, String> joined, EngineRecords records) {
    }

    void checkMounts(JsonNode spec, Creation creation, ContainerPaths rootfs, List<CheckedPaths.Pin> pins) throws Refusal {
        List<PodMount> podMounts = new ArrayList<>();
        List<EngineFiles.Owned> mountedEngineFiles = new ArrayList<>();
        List<String> mounted = new ArrayList<>();
        List<Mounted> before = new ArrayList<>();
        Set<String> destinations = new HashSet<>();
        int index = 0;
        for (JsonNode mount : spec.path("mounts")) {
            String field = "mounts[" + index++ + "]";
            String destination = mount.path("destination").asText();
            List<String> options = options(mount);
            if (options.contains("shared") || options.contains("rshared")) {
                throw new Refusal(field + ".options", "mount-propagation",
                        "shared propagation of " + destination + " would let the container mount on the host; "
                                + "sandbox profile " + profileName + " does not allow it (mountPropagation: Bidirectional)");
            }
            boolean bind = isBind(mount);
            EngineMounts.Source sourceKind = EngineMounts.Source.OTHER;
            String writableBy = null;
            if (bind) {
                BindSource source = checkBindSource(spec, creation, mount, field);
                if (source.podUid() != null) {
                    podMounts.add(new PodMount(field, mount.path("source").asText(), source.podUid()));
                }
                if (source.engineFile() != null) {
                    mountedEngineFiles.add(source.engineFile());
                }
                sourceKind = source.kind();
                writableBy = source.writableBy();
                pins.add(new CheckedPaths.Pin((ObjectNode) mount, "source", source.realPath()));
            } else {
                checkSpecialFilesystem(mount, field);
            }
            String cleaned = ContainerPaths.cleaned(destination);
            String where = checkDestination(mount, field, cleaned, bind, sourceKind, rootfs, mounted);
            String what = describe(mount, bind);
            checkNestedMount(field, what, where, before);
            mounted.add(where);
            before.add(new Mounted(field, where, what, writableBy));
            destinations.add(cleaned);
            if (!cleaned.equals(destination) && mount instanceof ObjectNode holder) {
                pins.add(new CheckedPaths.Pin(holder, "destination", cleaned));
            }
        }
        if (!podMounts.isEmpty()) {
            Optional<String> pod = podOf(spec, creation, mountedEngineFiles);
            for (PodMount podMount : podMounts) {
                samePod(pod, podMount.podUid(), podMount.field(), podMount.source());
            }
        }
        String propagation = spec.path("linux").path("rootfsPropagation").asText("");
        if (propagation.contains("shared")) {
            throw new Refusal("linux.rootfsPropagation", "mount-propagation",
                    "shared root propagation is not allowed by sandbox profile " + profileName);
        }
        checkImage(spec, rootfs, mounted, destinations.contains("/dev"));
    }

    /**
     * A bind mount's source, resolved once: the real path is what is checked and what the hardener
     * writes into the spec. Its components must then be ones no container of this profile can
     * swap: the kubelet's and the container runtime's own directories above a pod's volume, or
     * directories under allowedHostPaths that the profile keeps read-only. So nothing below a pod
     * volume's own directory, and nothing below a directory the profile lets containers write.
     */
    private BindSource checkBindSource(JsonNode spec, Creation creation, JsonNode mount, String field) throws Refusal {
        String source = mount.path("source").asText();
        String destination = mount.path("destination").asText();
        if (!(mount instanceof ObjectNode) || !source.startsWith("/") || !Path.of(source).normalize().toString().equals(source)) {
            throw new Refusal(field + ".source", "host-mount",
                    "bind mount source " + source + " is not a normalized absolute path, which sandbox profile " + profileName
                            + " requires so that what is checked is what is mounted; write it as an absolute path without a trailing "
                            + "slash, '//', '.' or '..' (a hostPath volume's path or a -v source)");
        }
        String real = host.realPath(source);
        String named = source + (real.equals(source) ? "" : " (really " + real + ")");
        Matcher kubelet = kubeletPodPath.matcher(real);
        if (!kubelet.matches() && belowKubeletPodPath.matcher(real).matches()) {
            throw new Refusal(field + ".source", "host-mount",
                    "bind mount of " + named + " at " + destination + " reaches inside a directory of the kubelet's pod directory, "
                            + "which sandbox profile " + profileName + " does not allow: a container of the pod could swap a directory "
                            + "on the way for a symbolic link between this check and runc's mount. Only a volume's own directory, the "
                            + "kubelet's prepared subPath (volume-subpaths/…) and its files may be mounted; use a subPath instead");
        }
        // The engine's own directories first: allowedHostPaths never opens them (other containers'
        // files and volumes are there, and whoever creates a volume chooses what is mounted in it).
        Optional<EngineFiles.Owned> engineFile = engineFiles.match(real);
        if (engineFile.isPresent()) {
            checkOwner(creation, engineFile.get(), field, named);
            // hostname, hosts and resolv.conf are files; the shm is the pod's, which its other containers write.
            return engineFile.get().isShm() ? new BindSource(real, EngineMounts.Source.SANDBOX_SHM, null, "the pod's shared /dev/shm, which "
                    + "its other containers write", engineFile.get()) : new BindSource(real, EngineMounts.Source.OTHER, null, null, engineFile.get());
        }
        Optional<String> engineDirectory = realEngines.entries().stream().map(EngineDirectories.Entry::path)
                .filter(directory -> ContainerPaths.isAtOrBelow(real, directory))
                .findFirst();
        Optional<HostPathRule> rule = engineDirectory.isPresent() ? Optional.empty() : allowedHostPath(real);
        if (rule.isPresent()) {
            Optional<HostPathRule> writable = writableRule(real, false);
            if (writable.isPresent()) {
                throw new Refusal(field + ".source", "host-mount",
                        "bind mount of " + named + " at " + destination + " reaches inside " + writable.get().path()
                                + ", which sandbox profile " + profileName + " lets containers write (allowedHostPaths readOnly: false): "
                                + "one of them could swap a directory on the way for a symbolic link between this check and runc's "
                                + "mount. Mount " + writable.get().path() + " itself, or make that rule read-only");
            }
            return new BindSource(real, EngineMounts.Source.OTHER, null, rule.get().readOnly() ? null
                    : "the profile's allowedHostPaths entry " + rule.get().path() + " (readOnly: false), which every container of sandbox profile "
                            + profileName + " may mount writable", null);
        }
        if (kubelet.matches()) {
            String directory = kubelet.group(2);
            EngineMounts.Source kind = directory.startsWith("volume") ? EngineMounts.Source.POD_VOLUME
                    : directory.startsWith("containers/") ? EngineMounts.Source.KUBELET_CONTAINER_FILE : EngineMounts.Source.OTHER;
            boolean othersWrite = kind == EngineMounts.Source.POD_VOLUME && !KUBELET_API_DATA_VOLUME.matcher(directory).matches();
            return new BindSource(real, kind, kubelet.group(1), othersWrite
                    ? "a volume of the pod, which its other containers may mount writable (a read-only mount here does not stop them)" : null, null);
        }
        throw new Refusal(field + ".source", "host-mount",
                "bind mount of host path " + named + " at " + destination + " is not allowed by sandbox profile " + profileName
                        + "; only directories the kubelet and the container runtime manage for the pod, and the profile's allowedHostPaths "
                        + profile.allowedHostPaths().stream().map(HostPathRule::path).toList() + ", may be mounted; "
                        + engineDirectory.map(directory -> "it lies in " + directory + ", where the container engine keeps every container's "
                                + "files and volumes, which allowedHostPaths never opens: for a volume use --tmpfs, or bind a directory the admin "
                                + "controls").orElse("to allow this directory, add it to the profile's allowedHostPaths (readOnly: false if "
                                + "containers may write it), never a Docker or Podman volume (<data-root>/volumes/…): whoever creates a volume "
                                + "chooses what is mounted there"));
    }

    /** A readOnly: false entry of allowedHostPaths above {@code realPath}, or at it too when {@code orAt}. */
    private Optional<HostPathRule> writableRule(String realPath, boolean orAt) {
        return profile.allowedHostPaths().stream().filter(rule -> !rule.readOnly())
                .filter(rule -> {
                    String directory = Path.of(rule.path()).normalize().toString();
                    return ContainerPaths.isAtOrBelow(realPath, directory) && (orAt || !realPath.equals(directory));
                })
                .findFirst();
    }

    /**
     * Where runc will really mount (the image's links followed), which is returned. On or below
     * runc's own /dev, /proc and /sys only what the container engine itself mounts there may go
     * ({@link EngineMounts}), at its place, reached through no link of the image.
     */
    private String checkDestination(JsonNode mount, String field, String destination, boolean bind, EngineMounts.Source source,
                                    ContainerPaths rootfs, List<String> mountedBefore) throws Refusal {
        String what = describe(mount, bind);
        if (destination.equals("/")) {
            throw new Refusal(field + ".destination", "mount-destination",
                    what + " would cover the container's whole root filesystem, which sandbox profile " + profileName + " does not allow");
        }
        ContainerPaths.Resolved where = resolve(rootfs, destination, mountedBefore, field + ".destination", "mount-destination");
        String runcTree = EngineMounts.RUNC_TREES.stream()
                .filter(tree -> ContainerPaths.isAtOrBelow(destination, tree) || ContainerPaths.isAtOrBelow(where.path(), tree))
                .findFirst().orElse(null);
        if (runcTree == null) {
            return where.path();
        }
        String refused = what + " is over runc's own " + runcTree + ", " + EngineMounts.RUNC_USE.get(runcTree) + "; sandbox profile "
                + profileName + " does not allow it: ";
        if (!where.links().isEmpty()) {
            throw new Refusal(field + ".destination", "mount-destination",
                    refused + "the image's symbolic link " + where.links().getFirst() + " takes it to " + where.path()
                            + "; remove the link from the image or mount elsewhere");
        }
        Optional<String> mismatch = EngineMounts.mismatch(destination, mount, bind, source);
        if (mismatch.isPresent()) {
            throw new Refusal(field + ".destination", "mount-destination", refused + mismatch.get() + "; mount it elsewhere");
        }
        return where.path();
    }

    private static String describe(JsonNode mount, boolean bind) {
        return (bind ? "a bind mount of " + mount.path("source").asText() : "a " + mount.path("type").asText() + " mount")
                + " at " + mount.path("destination").asText();
    }

    /**
     * A mount inside a directory that other containers write: one of them can replace the
     * directory on the way with a symbolic link (to /dev, /proc/sys…) between this check and
     * runc's mount, and runc before {@value RuncRelease#FIXED} looks the destination up when it
     * mounts, following links, so the mount lands there, over what runc then trusts as root
     * ({@link #checkDestination} follows only the image's links: what a volume holds can change
     * after this check). Refused unless the delegate is a runc with the fixes; crun and anything
     * unknown count as without them. The delegate's version is asked only when a mount is nested.
     * {@code where} is the mount's resolved destination, {@code before} the mounts done before it.
     */
    private void checkNestedMount(String field, String what, String where, List<Mounted> before) throws Refusal {
        Mounted outer = null;
        for (Mounted mounted : before) {
            if (mounted.writableBy() != null && !where.equals(mounted.path()) && ContainerPaths.isAtOrBelow(where, mounted.path())) {
                outer = mounted;
                break;
            }
        }
        if (outer == null) {
            return;
        }
        Optional<String> output = host.versionOutput(delegate);
        Optional<RuncRelease> release = output.flatMap(RuncRelease::of);
        if (release.isPresent() && release.get().resolvesMountDestinationsSafely()) {
            return;
        }
        String runtime = release.map(r -> "runc " + r).orElse(output.map(o -> o.lines().findFirst().orElse("").strip())
                .filter(line -> !line.isEmpty()).map(line -> "'" + line + "'").orElse("a runtime whose version cannot be read")) + " (" + delegate + ")";
        String inside = where.substring(outer.path().equals("/") ? 1 : outer.path().length() + 1);
        throw new Refusal(field + ".destination", "nested-mount",
                what + " lies inside " + outer.field() + ", " + outer.what() + ", " + outer.writableBy() + ": one of them can replace "
                        + inside.split("/")[0] + " there with a symbolic link to /dev, /proc/sys or any other directory of the container "
                        + "between this check and runc's mount, and the delegate runtime, " + runtime + ", follows it when it mounts "
                        + "(CVE-2025-52881), so the mount would land over runc's own /dev or /proc; sandbox profile " + profileName
                        + " does not allow it. Mount it outside " + outer.path() + ", use a volume no container writes there (configMap, "
                        + "secret, projected, or a read-only allowedHostPaths entry), or upgrade runc to " + RuncRelease.FIXED + " or later");
    }

    /**
     * What runc takes from the image itself. Without a /dev mount it keeps the image's /dev: a
     * device node there that is a link or another file stays, and /dev/null is what it masks /proc
     * and /sys files with (a link to a file makes them that file, writable). A masked path reached
     * through a link of the image would mask the link's target instead.
     */
    private void checkImage(JsonNode spec, ContainerPaths rootfs, List<String> mounted, boolean devMounted) throws Refusal {
        if (!devMounted) {
            for (String device : new TreeSet<>(STANDARD_DEVICES.keySet())) {
                ContainerPaths.Resolved where = resolve(rootfs, device, mounted, "root.path", "rootfs");
                String expected = STANDARD_DEVICES.get(device);
                HostView.Entry entry = where.entry();
                boolean fine = where.links().isEmpty() && switch (entry.kind()) {
                    case MISSING -> true;
                    case CHARACTER_DEVICE -> ("c " + entry.major() + ":" + entry.minor()).equals(expected);
                    case REGULAR_FILE -> device.equals("/dev/console");
                    default -> false;
                };
                if (!fine) {
                    throw new Refusal("root.path", "rootfs",
                            device + " in the image " + rootfs.rootfs() + " is " + (where.links().isEmpty() ? entry.describe()
                                    : "reached through the symbolic link " + where.links().getFirst())
                                    + ", not the device " + expected + ", which sandbox profile " + profileName + " does not allow: with "
                                    + "no /dev mount runc keeps the image's /dev, and masks /proc and /sys files with its /dev/null. Rebuild "
                                    + "the image with " + device + " absent or the device itself, or keep the container runtime's /dev tmpfs");
                }
            }
        }
        for (String masked : SpecHardener.maskedPaths(spec, profile)) {
            ContainerPaths.Resolved where = resolve(rootfs, ContainerPaths.cleaned(masked), mounted, "linux.maskedPaths", "rootfs");
            if (!where.links().isEmpty()) {
                throw new Refusal("linux.maskedPaths", "rootfs",
                        masked + " goes through the image's symbolic link " + where.links().getFirst() + ", so runc would mask "
                                + where.path() + " instead; sandbox profile " + profileName + " does not allow it: remove the link from the "
                                + "image " + rootfs.rootfs());
            }
        }
    }

    private static ContainerPaths.Resolved resolve(ContainerPaths rootfs, String path, List<String> mountedBefore, String field,
                                                   String rule) throws Refusal {
        try {
            return rootfs.resolve(path, mountedBefore);
        } catch (ContainerPaths.Unresolvable e) {
            throw new Refusal(field, rule, e.getMessage() + "; the runtime fails closed");
        }
    }

    /** The container's root filesystem on the host: root.path, from the bundle when relative. */
    private ContainerPaths rootfs(JsonNode spec, Path bundle) throws Refusal {
        String root = spec.path("root").path("path").asText("");
        if (root.isEmpty()) {
            throw new Refusal("root.path", "rootfs", "is missing; the runtime cannot check what the container's root filesystem holds");
        }
        return new ContainerPaths(host, host.realPath(bundle.resolve(root).normalize().toString()));
    }

    /**
     * A kubelet pod directory is mounted only into a container of that pod. What the spec says its
     * pod is proves nothing (an engine user writes any annotation), so the pod is the one whose
     * sandbox's network namespace the container joins, and the sandbox's pod uid is what its engine
     * recorded when it created it ({@link EngineRecords#podUidOf}).
     */
    private void samePod(Optional<String> pod, String podUid, String field, String source) throws Refusal {
        if (pod.isEmpty()) {
            throw new Refusal(field + ".source", "host-mount",
                    "bind mount of " + source + " belongs to pod " + podUid + ", and this container joins the network namespace of no pod "
                            + "sandbox the node's container engine created; sandbox profile " + profileName
                            + " mounts a pod's directories only into that pod's containers");
        }
        if (!pod.get().equals(podUid)) {
            throw new Refusal(field + ".source", "host-mount",
                    "bind mount of " + source + " belongs to pod " + podUid + ", not to this container's pod " + pod.get()
                            + "; sandbox profile " + profileName + " does not allow mounting another pod's directories");
        }
    }

    /**
     * The uid of the pod whose sandbox's network namespace {@code spec} joins, as the sandbox's
     * engine recorded it; empty when it joins none. The sandboxes tried are those the spec names
     * (containerd's and CRI-O's sandbox-id annotations) and the owners of the engine files it
     * mounts, {@code mountedEngineFiles} as checked (cri-dockerd's containers mount their sandbox's
     * resolv.conf): each counts only when its network namespace is the one the spec joins.
     */
    private Optional<String> podOf(JsonNode spec, Creation creation, List<EngineFiles.Owned> mountedEngineFiles) {
        String containerId = creation.containerId();
        EngineRecords records = creation.records();
        String joined = creation.joined().getOrDefault("network", "");
        Optional<HostView.Namespace> network = joined.isEmpty() ? Optional.empty() : host.namespace(joined);
        if (network.isEmpty()) {
            return Optional.empty();
        }
        Set<EngineFiles.Owned> sandboxes = new LinkedHashSet<>();
        JsonNode annotations = spec.path("annotations");
        sandboxes.add(new EngineFiles.Owned(EngineDirectories.Layout.CONTAINERD, annotations.path(CriAnnotations.CONTAINERD_SANDBOX_ID).asText(""), ""));
        sandboxes.add(new EngineFiles.Owned(EngineDirectories.Layout.CONTAINERS_STORAGE, annotations.path(CriAnnotations.CRIO_SANDBOX_ID).asText(""), ""));
        mountedEngineFiles.forEach(file -> sandboxes.add(new EngineFiles.Owned(file.layout(), file.owner(), "")));
        for (EngineFiles.Owned sandbox : sandboxes) {
            String id = sandbox.owner();
            if (id.isEmpty() || id.equals(containerId) || !EngineFiles.isId(id) || !records.namespaceOf(id, "network").equals(network)) {
                continue;
            }
            Optional<String> uid = records.podUidOf(sandbox.layout(), id);
            if (uid.isPresent()) {
                return uid;
            }
        }
        return Optional.empty();
    }

    /**
     * An engine's file is this container's own, or belongs to the container or pod sandbox whose
     * namespace this container joins. Docker and Podman keep hostname, hosts and resolv.conf per
     * container and hand them to the containers that join its network namespace
     * ({@code --network container:X}), and its shm to those that join its IPC namespace
     * ({@code --ipc container:X}); containerd's CRI and CRI-O keep them per pod sandbox, whose
     * network and IPC namespaces every container of the pod joins. The proof is the namespace
     * itself, never an annotation, which engine users can write ({@code podman --annotation}): the
     * spec's namespace of the file's kind must be the owner's, the owner being a container the
     * delegate runtime runs under the same --root ({@code state}), or a sandbox whose namespace is
     * pinned in the spec its containers/storage engine keeps for it (CRI-O without an infra container).
     */
    private void checkOwner(Creation creation, EngineFiles.Owned file, String field, String source)
            throws Refusal {
        String containerId = creation.containerId();
        EngineRecords records = creation.records();
        if (file.owner().equals(containerId)) {
            return;
        }
        String owner = file.owner();
        String what = "bind mount of " + source + " is the " + file.file() + " the " + file.layout().label() + " engine keeps for "
                + owner + ", not for this container " + containerId;
        Optional<String> type = file.namespaceType();
        if (type.isEmpty()) {
            throw new Refusal(field + ".source", "host-mount", what + "; only " + owner + " itself may mount it, and sandbox profile "
                    + profileName + " does not allow mounting another container's files");
        }
        String flag = type.get().equals("network") ? "--network" : "--ipc";
        String joined = creation.joined().getOrDefault(type.get(), "");
        if (joined.isEmpty()) {
            throw new Refusal(field + ".source", "host-mount", what + "; a container may mount it only when it joins " + owner + "'s "
                    + type.get() + " namespace (" + flag + " container:" + owner + "), and this one does not; sandbox profile "
                    + profileName + " does not allow mounting another container's files");
        }
        Optional<HostView.Namespace> owners = records.namespaceOf(owner, type.get());
        if (owners.isEmpty()) {
            throw new Refusal(field + ".source", "host-mount", what + "; " + owner + " is not a running container of " + delegate
                    + " under --root " + records.state().root() + ", where this container is created, so the runtime cannot check that "
                    + "this container joins its " + type.get() + " namespace, which sandbox profile " + profileName + " requires: create "
                    + "both through the same engine with the same runtime root (the same containerd namespace for ctr)");
        }
        Optional<HostView.Namespace> mine = host.namespace(joined);
        if (!mine.equals(owners)) {
            throw new Refusal(field + ".source", "host-mount", what + "; the container joins the " + type.get() + " namespace at "
                    + joined + ", which is not " + owner + "'s; sandbox profile " + profileName
                    + " lets a container mount another's files only when it shares that container's namespace");
        }
    }

    /** The profile's rule covering {@code realPath}, if any. */
    Optional<HostPathRule> allowedHostPath(String realPath) {
        for (HostPathRule rule : profile.allowedHostPaths()) {
            if (ContainerPaths.isAtOrBelow(realPath, Path.of(rule.path()).normalize().toString())) {
                return Optional.of(rule);
            }
        }
        return Optional.empty();
    }

    private void checkSpecialFilesystem(JsonNode mount, String field) throws Refusal {
        String type = mount.path("type").asText();
        String destination = mount.path("destination").asText();
        if (type.equals("tmpfs")) {
            return;
        }
        String allowedDestination = SPECIAL_FILESYSTEMS.get(type);
        if (allowedDestination == null || !allowedDestination.equals(destination)) {
            throw new Refusal(field + ".type", "mount-type",
                    "a " + (type.isEmpty() ? "typeless" : type) + " mount at " + destination + " is not allowed by sandbox profile "
                            + profileName + "; containers get tmpfs and the standard proc, sysfs, devpts, mqueue and cgroup mounts only");
        }
    }

    void checkDevices(JsonNode spec) throws Refusal {
        int index = 0;
        for (JsonNode device : spec.path("linux").path("devices")) {
            String path = device.path("path").asText();
            String node = device.path("type").asText() + " " + device.path("major").asText() + ":" + device.path("minor").asText();
            if (!node.equals(STANDARD_DEVICES.get(path))) {
                throw new Refusal("linux.devices[" + index + "]", "devices",
                        "device " + path + " (" + node + ") is not one of the standard devices; sandbox profile "
                                + profileName + " does not allow host devices");
            }
            index++;
        }
        index = 0;
        for (JsonNode rule : spec.path("linux").path("resources").path("devices")) {
            String device = deviceRule(rule);
            String access = rule.path("access").asText("rwm");
            if (rule.path("allow").asBoolean(false) && !access.equals("m") && !STANDARD_DEVICE_RULES.contains(device)) {
                throw new Refusal("linux.resources.devices[" + index + "]", "devices",
                        "access " + access + " to devices " + device + " is not allowed by sandbox profile " + profileName);
            }
            index++;
        }
    }

    /**
     * cgroup v2 controllers whose files a container may set through linux.resources.unified, which
     * runc writes as root into the container's own cgroup: each only shares out what the pod's
     * cgroup above it holds. What the kubelet writes there is memory.oom.group, memory.min and
     * memory.high.
     */
    static final Set<String> CGROUP_CONTROLLERS = Set.of("memory", "cpu", "cpuset", "io", "hugetlb", "rdma", "misc");
    /** Files of those that reach beyond the pod: a cpuset partition takes its CPUs from every other cgroup. */
    static final Set<String> CGROUP_FILES_REFUSED = Set.of("cpuset.cpus.partition", "cpuset.cpus.exclusive");

    /**
     * The core cgroup files (cgroup.procs takes any process, the host's too, into the container's
     * cgroup, where the container's limits, freezing and kill reach it) and the pids controller's
     * (which the profile's pidsLimit governs) are not the container's to write.
     */
    void checkCgroupFiles(JsonNode spec) throws Refusal {
        var files = spec.path("linux").path("resources").path("unified").fieldNames();
        while (files.hasNext()) {
            String file = files.next();
            String controller = file.contains(".") ? file.substring(0, file.indexOf('.')) : "";
            String problem;
            if (file.contains("/") || controller.isEmpty()) {
                problem = "is not a cgroup file of the form controller.name";
            } else if (controller.equals("cgroup")) {
                problem = "is one of the cgroup's core files: runc would write it as root on the host, and cgroup.procs, for one, moves any "
                        + "process, the host's included, into the container's cgroup, under its limits, freezing and kill";
            } else if (controller.equals("pids")) {
                problem = "would change the container's process limit, which sandbox profile " + profileName + " sets to "
                        + profile.pidsLimit() + " (pidsLimit)";
            } else if (CGROUP_FILES_REFUSED.contains(file)) {
                problem = "would take CPUs from every other cgroup of the node";
            } else if (!CGROUP_CONTROLLERS.contains(controller)) {
                problem = "belongs to the " + controller + " controller, which is not one whose files containers may set";
            } else {
                continue;
            }
            throw new Refusal("linux.resources.unified." + file, "cgroup-files",
                    file + " " + problem + "; sandbox profile " + profileName + " lets a container set files of the "
                            + CGROUP_CONTROLLERS.stream().sorted().toList() + " controllers only, each within its pod's cgroup; remove it "
                            + "(the kubelet writes only memory files here)");
        }
    }

    /**
     * The net_cls class ID and net_prio priorities mark the container's packets for the host's
     * traffic control (cgroup v1); no engine sets them for a pod.
     */
    void checkNetworkClass(JsonNode spec) throws Refusal {
        JsonNode network = spec.path("linux").path("resources").path("network");
        JsonNode classId = network.path("classID");
        if (!classId.isMissingNode() && !classId.isNull()) {
            throw new Refusal("linux.resources.network.classID", "network-class",
                    "net_cls class " + classId + " would have the host's traffic control shape and filter the container's packets as that "
                            + "class of the host's; sandbox profile " + profileName + " does not allow it (Kubernetes never sets it): remove it");
        }
        if (!network.path("priorities").isEmpty()) {
            throw new Refusal("linux.resources.network.priorities", "network-class",
                    "net_prio priorities would set the priority of the container's packets on the host's interfaces "
                            + network.path("priorities").valueStream().map(p -> p.path("name").asText()).toList() + "; sandbox profile "
                            + profileName + " does not allow it (Kubernetes never sets them): remove them");
        }
    }

    /**
     * Intel RDT: which share of the node's last-level cache and memory bandwidth a resctrl group
     * gets, groups being few (often 16) and shared. A container may join a class the node prepared
     * (containerd's RDT classes write the closID alone, and runc then requires the group to exist);
     * it may not create a group of its own, nor write any group's schemata.
     */
    void checkIntelRdt(JsonNode spec) throws Refusal {
        JsonNode rdt = spec.path("linux").path("intelRdt");
        if (rdt.isMissingNode() || rdt.isNull()) {
            return;
        }
        for (String schema : List.of("l3CacheSchema", "memBwSchema", "schemata")) {
            JsonNode value = rdt.path(schema);
            boolean given = value.isContainerNode() ? !value.isEmpty() : !value.isMissingNode() && !value.isNull() && !value.asText().isEmpty();
            if (given) {
                throw new Refusal("linux.intelRdt." + schema, "intel-rdt",
                        "runc would write the schemata of resctrl group " + rdt.path("closID").asText("<container id>") + ", the share of the "
                                + "node's cache and memory bandwidth that every process in it gets; sandbox profile " + profileName
                                + " lets a container only join a class the node prepared (closID alone)");
            }
        }
        String closId = rdt.path("closID").asText("");
        if (closId.isEmpty() || closId.equals(".") || closId.equals("..") || closId.contains("/")) {
            throw new Refusal("linux.intelRdt.closID", "intel-rdt",
                    (closId.isEmpty() ? "is missing, so runc would create a resctrl group of the container's own (the node has few)"
                            : "'" + closId + "' is not the name of a resctrl group")
                            + "; sandbox profile " + profileName + " lets a container only join a class the node prepared, by its name");
        }
    }

    private static String deviceRule(JsonNode rule) {
        String type = rule.path("type").asText("a");
        String major = rule.path("major").isNumber() ? rule.path("major").asText() : "*";
        String minor = rule.path("minor").isNumber() ? rule.path("minor").asText() : "*";
        return type + " " + major + ":" + minor;
    }

    void checkSysctls(JsonNode spec) throws Refusal {
        var names = spec.path("linux").path("sysctl").fieldNames();
        while (names.hasNext()) {
            String name = names.next();
            if (!SAFE_SYSCTLS.contains(name) && !profile.allowedSysctls().contains(name)) {
                throw new Refusal("linux.sysctl." + name, "sysctls",
                        "sysctl " + name + " is neither in the Kubernetes safe set nor in the allowedSysctls of sandbox profile " + profileName);
            }
        }
    }

    static boolean isBind(JsonNode mount) {
        List<String> options = options(mount);
        return mount.path("type").asText().equals("bind") || options.contains("bind") || options.contains("rbind");
    }

    static List<String> options(JsonNode mount) {
        return mount.path("options").valueStream().map(JsonNode::asText).toList();
    }
}
