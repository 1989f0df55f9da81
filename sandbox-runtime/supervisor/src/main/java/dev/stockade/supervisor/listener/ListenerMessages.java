package dev.stockade.supervisor.listener;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.stockade.api.profile.KernelIdentity;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Reads what runc (or crun) sends to {@code linux.seccomp.listenerPath}, the OCI
 * "container process state": {@code {"fds":["seccompFd"],"pid":…,"metadata":"…","state":{"id":…,"bundle":…,"annotations":{…}}}},
 * and the metadata the Stockade runtime writes. Pure: no fd, no socket.
 */
public final class ListenerMessages {

    static final ObjectMapper JSON = JsonMapper.builder().build();

    public static final String SANDBOX_NAMESPACE_ANNOTATION = "io.kubernetes.cri.sandbox-namespace";
    public static final String SANDBOX_NAME_ANNOTATION = "io.kubernetes.cri.sandbox-name";
    public static final String CONTAINER_NAME_ANNOTATION = "io.kubernetes.cri.container-name";

    /**
     * The {@code listenerMetadata} string the runtime sets: who the container is and what uname
     * answers. The supervisor reads no profile file: the runtime resolved it already.
     */
    public record Metadata(String policy, String runtimeClass, String namespace, String pod, String container,
                           KernelIdentity kernelIdentity) {

        public String toJson() {
            ObjectNode node = JSON.createObjectNode();
            node.put("policy", policy).put("runtimeClass", runtimeClass).put("namespace", namespace).put("pod", pod)
                    .put("container", container);
            if (kernelIdentity != null) {
                node.set("kernelIdentity", JSON.valueToTree(kernelIdentity));
            }
            return node.toString();
        }

        static Metadata parse(String json) throws JsonProcessingException {
            if (json == null || json.isBlank()) {
                return new Metadata("", "", "", "", "", null);
            }
            JsonNode node = JSON.readTree(json);
            KernelIdentity identity = node.hasNonNull("kernelIdentity")
                    ? JSON.treeToValue(node.get("kernelIdentity"), KernelIdentity.class).resolved() : null;
            return new Metadata(text(node, "policy"), text(node, "runtimeClass"), text(node, "namespace"),
                    text(node, "pod"), text(node, "container"), identity);
        }
    }

    /** A malformed message: refused, the notify fd closed (the container's notified calls then fail). */
    public static final class BadMessage extends Exception {
        public BadMessage(String message, Throwable cause) {
            super(message, cause);
        }
    }

    /**
     * The container a listener message describes. {@code hostNodename}/{@code hostDomainname} are
     * what uname shows when the container shares the host's UTS namespace or sets no hostname.
     */
    public static SandboxContainer parse(byte[] message, String hostNodename, String hostDomainname) throws BadMessage {
        try {
            JsonNode root = JSON.readTree(message);
            if (root == null || !root.has("state") || !root.get("state").hasNonNull("id")) {
                throw new BadMessage("listener message has no state.id: " + abbreviate(message), null);
            }
            if (!root.has("fds") || root.get("fds").size() != 1 || !"seccompFd".equals(root.get("fds").get(0).asText())) {
                throw new BadMessage("listener message must carry exactly one fd named seccompFd: " + abbreviate(message), null);
            }
            JsonNode state = root.get("state");
            Metadata metadata = Metadata.parse(root.path("metadata").asText(""));
            JsonNode annotations = state.path("annotations");
            String namespace = firstNonEmpty(metadata.namespace(), annotations.path(SANDBOX_NAMESPACE_ANNOTATION).asText(""));
            String pod = firstNonEmpty(metadata.pod(), annotations.path(SANDBOX_NAME_ANNOTATION).asText(""));
            String container = firstNonEmpty(metadata.container(), annotations.path(CONTAINER_NAME_ANNOTATION).asText(""));
            String[] uts = utsNames(state.path("bundle").asText(""), hostNodename, hostDomainname);
            return new SandboxContainer(state.get("id").asText(), root.path("pid").asLong(state.path("pid").asLong(0)),
                    metadata.policy(), metadata.runtimeClass(), namespace, pod, container, metadata.kernelIdentity(),
                    uts[0], uts[1]);
        } catch (IOException e) {
            throw new BadMessage("listener message is not the OCI container process state JSON: " + abbreviate(message), e);
        }
    }

    /**
     * nodename and domainname as the container's kernel would report them: the spec's hostname and
     * domainname when it has its own UTS namespace (runc sets them; without CAP_SYS_ADMIN the
     * container cannot change them), else the host's.
     */
    static String[] utsNames(String bundle, String hostNodename, String hostDomainname) throws IOException {
        if (bundle.isEmpty() || !Files.isRegularFile(Path.of(bundle, "config.json"))) {
            return new String[] {hostNodename, hostDomainname};
        }
        JsonNode spec = JSON.readTree(Path.of(bundle, "config.json").toFile());
        boolean ownUts = false;
        for (JsonNode namespace : spec.path("linux").path("namespaces")) {
            if ("uts".equals(namespace.path("type").asText()) && namespace.path("path").asText("").isEmpty()) {
                ownUts = true;
            }
        }
        if (!ownUts) {
            return new String[] {hostNodename, hostDomainname};
        }
        return new String[] {firstNonEmpty(spec.path("hostname").asText(""), hostNodename),
                firstNonEmpty(spec.path("domainname").asText(""), hostDomainname)};
    }

    /** Whether {@code data} holds one whole JSON document (runc's message may arrive in pieces). */
    public static boolean isCompleteJson(byte[] data) {
        try {
            JsonNode node = JSON.readTree(data);
            return node != null && !node.isMissingNode();
        } catch (IOException e) {
            return false;
        }
    }

    private static String text(JsonNode node, String field) {
        return node.path(field).asText("");
    }

    private static String firstNonEmpty(String first, String second) {
        return first.isEmpty() ? second : first;
    }

    private static String abbreviate(byte[] message) {
        String text = new String(message, java.nio.charset.StandardCharsets.UTF_8);
        return text.length() > 200 ? text.substring(0, 200) + "…" : text;
    }

    private ListenerMessages() {
    }
}
