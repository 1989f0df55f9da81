package dev.stockade.runtime.spec;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.stockade.api.profile.SandboxProfile;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** CRI-shaped sample specs (test resources cri/*.json) and the changes Kubernetes makes for pod options. */
public final class Specs {

    public static final ObjectMapper JSON = JsonMapper.builder().build();

    /** Every capability, as containerd gives a privileged container. */
    static final List<String> ALL_CAPABILITIES = List.of("CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_DAC_READ_SEARCH", "CAP_FOWNER",
            "CAP_FSETID", "CAP_KILL", "CAP_SETGID", "CAP_SETUID", "CAP_SETPCAP", "CAP_LINUX_IMMUTABLE", "CAP_NET_BIND_SERVICE",
            "CAP_NET_BROADCAST", "CAP_NET_ADMIN", "CAP_NET_RAW", "CAP_IPC_LOCK", "CAP_IPC_OWNER", "CAP_SYS_MODULE",
            "CAP_SYS_RAWIO", "CAP_SYS_CHROOT", "CAP_SYS_PTRACE", "CAP_SYS_PACCT", "CAP_SYS_ADMIN", "CAP_SYS_BOOT",
            "CAP_SYS_NICE", "CAP_SYS_RESOURCE", "CAP_SYS_TIME", "CAP_SYS_TTY_CONFIG", "CAP_MKNOD", "CAP_LEASE",
            "CAP_AUDIT_WRITE", "CAP_AUDIT_CONTROL", "CAP_SETFCAP", "CAP_MAC_OVERRIDE", "CAP_MAC_ADMIN", "CAP_SYSLOG",
            "CAP_WAKE_ALARM", "CAP_BLOCK_SUSPEND", "CAP_AUDIT_READ", "CAP_PERFMON", "CAP_BPF", "CAP_CHECKPOINT_RESTORE");

    public static ObjectNode load(String name) {
        try (InputStream in = Specs.class.getResourceAsStream("/cri/" + name)) {
            return (ObjectNode) JSON.readTree(in);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static ObjectNode app() {
        return load("app-container.json");
    }

    /** The sample app container without the mounts whose source {@code dropped} matches. */
    static ObjectNode appWithoutMounts(Predicate<String> dropped) {
        ObjectNode spec = app();
        ArrayNode mounts = (ArrayNode) spec.get("mounts");
        for (int i = mounts.size() - 1; i >= 0; i--) {
            if (dropped.test(mounts.get(i).path("source").asText())) {
                mounts.remove(i);
            }
        }
        return spec;
    }

    public static ObjectNode pause() {
        return load("pause-container.json");
    }

    /** securityContext.privileged: true, as containerd's CRI renders it. */
    public static ObjectNode privileged(ObjectNode spec) {
        ObjectNode capabilities = (ObjectNode) spec.get("process").get("capabilities");
        for (String set : List.of("bounding", "effective", "permitted")) {
            ArrayNode array = capabilities.putArray(set);
            ALL_CAPABILITIES.forEach(array::add);
        }
        ObjectNode linux = (ObjectNode) spec.get("linux");
        ((ObjectNode) linux.get("resources")).putArray("devices").addObject().put("allow", true).put("access", "rwm");
        linux.remove("maskedPaths");
        linux.remove("readonlyPaths");
        return spec;
    }

    /** hostNetwork / hostPID / hostIPC: the namespace entry is left out. */
    public static ObjectNode withoutNamespace(ObjectNode spec, String type) {
        ArrayNode namespaces = (ArrayNode) spec.get("linux").get("namespaces");
        for (int i = namespaces.size() - 1; i >= 0; i--) {
            if (namespaces.get(i).get("type").asText().equals(type)) {
                namespaces.remove(i);
            }
        }
        return spec;
    }

    /** A hostPath volume mounted at {@code destination}. */
    /** {@code spec} joining the namespace of OCI {@code type} at {@code path} (null: making its own). */
    public static ObjectNode joining(ObjectNode spec, String type, String path) {
        for (JsonNode namespace : spec.path("linux").path("namespaces")) {
            if (namespace.path("type").asText().equals(type)) {
                if (path == null) {
                    ((ObjectNode) namespace).remove("path");
                } else {
                    ((ObjectNode) namespace).put("path", path);
                }
            }
        }
        return spec;
    }

    public static ObjectNode withHostPath(ObjectNode spec, String source, String destination) {
        ((ArrayNode) spec.get("mounts")).addObject().put("destination", destination).put("type", "bind").put("source", source)
                .putArray("options").add("rbind").add("rprivate").add("rw");
        return spec;
    }

    /** securityContext.capabilities.add. */
    public static ObjectNode withAddedCapability(ObjectNode spec, String capability) {
        ObjectNode capabilities = (ObjectNode) spec.get("process").get("capabilities");
        for (String set : List.of("bounding", "effective", "permitted")) {
            ((ArrayNode) capabilities.get(set)).add(capability);
        }
        return spec;
    }

    /** The bundle the sample specs are in: their root.path "rootfs" is taken from there. */
    /** The container being created: the id runc is given and its bundle (containerd names the bundle by the id). */
    public static final String ID = "0b3c5a1e";
    public static final Path BUNDLE = Path.of("/run/containerd/io.containerd.runtime.v2.task/k8s.io/" + ID);
    /** The sample specs' root filesystem on the host. */
    public static final String ROOTFS = BUNDLE.resolve("rootfs").toString();

    /** The pod sandbox of the sample specs (cri/pause-container.json's id), whose containers join its namespaces. */
    public static final String SANDBOX_ID = "4a7d1f0c9be2e83a5f6c0d1e2b3a4c5d6e7f8091a2b3c4d5e6f708192a3b4c5d";
    /** Where containerd keeps the sample sandbox container's bundle, with its spec: cri/pause-container.json. */
    public static final String SANDBOX_RECORD = "/run/containerd/io.containerd.runtime.v2.task/k8s.io/" + SANDBOX_ID + "/config.json";
    /** The pod the sample sandbox was created for (its annotation io.kubernetes.cri.sandbox-uid). */
    public static final String POD_UID = "6f1c2e7a-3b1d-4c55-9a0e-2d7f0c1b9e11";
    /** The pid of the sample sandbox's init: cri/app-container.json joins /proc/4242/ns/{ipc,uts,net}. */
    public static final long SANDBOX_PID = 4242;

    private static final Pattern PROC_NAMESPACE = Pattern.compile("/proc/([0-9]+)/ns/([a-z]+)");

    /** A host view in which every path is its own real path, except the given links; the delegate runtime's version cannot be read. */
    public static HostView host(Map<String, String> links, Set<String> hostNamespacePaths) {
        return host(links, hostNamespacePaths, Map.of());
    }

    /** The same, where {@code files} says what is at a host path (links not followed); anything else is missing. */
    public static HostView host(Map<String, String> links, Set<String> hostNamespacePaths, Map<String, HostView.Entry> files) {
        return host(links, hostNamespacePaths, files, Map.of(SANDBOX_ID, SANDBOX_PID), Map.of(SANDBOX_RECORD, pause()));
    }

    /**
     * The same, where {@code running} gives the init pid of each container the delegate runtime runs
     * (under any root), and {@code engineSpecs} the specs engines keep at a path. A namespace file
     * /proc/&lt;pid&gt;/ns/&lt;name&gt; is that pid's namespace; any other path is a namespace of its own.
     */
    public static HostView host(Map<String, String> links, Set<String> hostNamespacePaths, Map<String, HostView.Entry> files,
                                Map<String, Long> running, Map<String, JsonNode> engineSpecs) {
        return new HostView() {
            @Override
            public Optional<Namespace> namespace(String path) {
                Matcher proc = PROC_NAMESPACE.matcher(path);
                return proc.matches() ? Optional.of(new Namespace(Long.parseLong(proc.group(1)), proc.group(2).hashCode()))
                        : Optional.of(new Namespace(-1, path.hashCode()));
            }

            @Override
            public Optional<String> namespaceFile(String path) {
                return Optional.of(links.getOrDefault(path, path));
            }

            @Override
            public Optional<Namespace> containerNamespace(RuntimeState state, String id, String type) {
                Long pid = running.get(id);
                return pid == null ? Optional.empty()
                        : namespace("/proc/" + pid + "/ns/" + (type.equals("network") ? "net" : type.equals("mount") ? "mnt" : type));
            }

            @Override
            public Optional<JsonNode> engineJson(String path) {
                return Optional.ofNullable(engineSpecs.get(path));
            }

            @Override
            public String realPath(String hostPath) {
                return links.getOrDefault(hostPath, hostPath);
            }

            @Override
            public boolean isHostNamespace(String type, String path) {
                return hostNamespacePaths.contains(path);
            }

            @Override
            public Entry entry(String hostPath) {
                return files.getOrDefault(hostPath, Entry.MISSING);
            }

            @Override
            public Optional<String> versionOutput(String program) {
                return Optional.empty();
            }
        };
    }

    /** A view that answers as {@code host} does, for tests to change one answer. */
    public static class Delegating implements HostView {
        private final HostView host;

        public Delegating(HostView host) {
            this.host = host;
        }

        @Override
        public String realPath(String hostPath) {
            return host.realPath(hostPath);
        }

        @Override
        public boolean isHostNamespace(String type, String path) {
            return host.isHostNamespace(type, path);
        }

        @Override
        public Optional<String> namespaceFile(String path) {
            return host.namespaceFile(path);
        }

        @Override
        public Optional<Namespace> namespace(String path) {
            return host.namespace(path);
        }

        @Override
        public Optional<Namespace> containerNamespace(RuntimeState state, String id, String type) {
            return host.containerNamespace(state, id, type);
        }

        @Override
        public Optional<JsonNode> engineJson(String path) {
            return host.engineJson(path);
        }

        @Override
        public Entry entry(String hostPath) {
            return host.entry(hostPath);
        }

        @Override
        public Optional<String> versionOutput(String program) {
            return host.versionOutput(program);
        }
    }

    /** {@code host}, where the delegate runtime answers {@code --version} with {@code versionOutput}. */
    public static HostView withRuntimeVersion(HostView host, String versionOutput) {
        return new Delegating(host) {
            @Override
            public Optional<String> versionOutput(String program) {
                return Optional.of(versionOutput);
            }
        };
    }

    /** {@code host}, where no namespace path can be pinned. */
    public static HostView unpinnable(HostView host) {
        return new Delegating(host) {
            @Override
            public Optional<String> namespaceFile(String path) {
                return Optional.empty();
            }
        };
    }

    static final HostView PLAIN_HOST = host(Map.of(), Set.of());

    public static SandboxProfile profile(String json) {
        try {
            return dev.stockade.api.profile.Profiles.parse(json);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A refusal by the profile named untrusted: its field, rule, and what its message must say. */
    static void assertRefusal(Refusal refusal, String field, String rule, String... texts) {
        assertEquals(field, refusal.field(), refusal.getMessage());
        assertEquals(rule, refusal.rule(), refusal.getMessage());
        assertTrue(refusal.getMessage().contains("sandbox profile untrusted"), refusal.getMessage());
        for (String text : texts) {
            assertTrue(refusal.getMessage().contains(text), refusal.getMessage());
        }
    }

    private Specs() {
    }
}
