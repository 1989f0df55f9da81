package dev.stockade.api.node;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.stockade.api.profile.KernelIdentity;

/**
 * What the sandbox runtime tells the supervisor about a supervised container, through runc: the
 * runtime writes {@link #toJson()} as the spec's {@code linux.seccomp.listenerMetadata} (a string);
 * runc passes it unchanged as {@code metadata} in the container's state it sends to
 * {@link HostLayout#SUPERVISOR_SOCKET}; the supervisor reads it back with {@link #parse}. The
 * supervisor reads no profile file: the runtime resolved the profile already.
 *
 * <p>Wire format, one compact JSON object, fields in this order:
 * {@code {"policy":"…","runtimeClass":"…","namespace":"…","pod":"…","container":"…","kernelIdentity":{"sysname":"…","release":"…","version":"…","machine":"…"}}},
 * {@code kernelIdentity} only when the profile sets one, each of its fields only when set (the runtime
 * writes it resolved: all but {@code machine} are). A
 * supervisor must understand the containers a runtime of the previous release created: fields are
 * only ever added, a missing one reads as empty and an unknown one is ignored.
 *
 * @param policy         the SandboxPolicy's name, from {@link LauncherEnvironment#POLICY}; "" when not set
 * @param runtimeClass   the runtime class (the profile's name)
 * @param namespace      the pod's namespace from the CRI annotations ({@link CriAnnotations#POD_NAMESPACE}); "" when not a Kubernetes container
 * @param pod            the pod's name ({@link CriAnnotations#POD_NAME}); "" likewise
 * @param container      the container's name ({@link CriAnnotations#CONTAINER_NAME}); "" likewise
 * @param kernelIdentity what uname answers in the container; null when the profile does not emulate it
 */
public record ListenerMetadata(String policy, String runtimeClass, String namespace, String pod, String container,
                               KernelIdentity kernelIdentity) {

    /**
     * The most of runc's listener message (the OCI container state with every annotation, and this
     * metadata), in bytes, that the supervisor reads: far above what Kubernetes can put in a state
     * (256 KiB of annotations, even as runc escapes them). The runtime refuses a container whose
     * message could be larger, so that no container runs with its message dropped.
     */
    public static final int MAX_MESSAGE_BYTES = 16 << 20;

    /** Only the whole message is bounded: a long name or value within it is fine. */
    private static final ObjectMapper JSON = JsonMapper.builder(JsonFactory.builder()
            .streamReadConstraints(StreamReadConstraints.builder()
                    .maxDocumentLength(MAX_MESSAGE_BYTES).maxStringLength(MAX_MESSAGE_BYTES).maxNameLength(MAX_MESSAGE_BYTES).build())
            .build()).build();

    /** Null names read as "", as on the wire. */
    public ListenerMetadata {
        policy = policy == null ? "" : policy;
        runtimeClass = runtimeClass == null ? "" : runtimeClass;
        namespace = namespace == null ? "" : namespace;
        pod = pod == null ? "" : pod;
        container = container == null ? "" : container;
    }

    /** The listenerMetadata string, in the wire format above. */
    public String toJson() {
        ObjectNode node = JSON.createObjectNode();
        node.put("policy", policy).put("runtimeClass", runtimeClass).put("namespace", namespace).put("pod", pod)
                .put("container", container);
        if (kernelIdentity != null) {
            ObjectNode kernel = node.putObject("kernelIdentity");
            putUnlessNull(kernel, "sysname", kernelIdentity.sysname());
            putUnlessNull(kernel, "release", kernelIdentity.release());
            putUnlessNull(kernel, "version", kernelIdentity.version());
            putUnlessNull(kernel, "machine", kernelIdentity.machine());
        }
        return node.toString();
    }

    /**
     * Reads a listenerMetadata string; null or blank (a container no Stockade runtime created)
     * reads as all empty. The kernel identity comes back {@link KernelIdentity#resolved() resolved}.
     *
     * @throws JsonProcessingException when it is not a JSON object of this shape, or a kernelIdentity
     *                                 has a field KernelIdentity does not know
     */
    public static ListenerMetadata parse(String json) throws JsonProcessingException {
        if (json == null || json.isBlank()) {
            return new ListenerMetadata("", "", "", "", "", null);
        }
        JsonNode node = JSON.readTree(json);
        KernelIdentity identity = node.hasNonNull("kernelIdentity")
                ? JSON.treeToValue(node.get("kernelIdentity"), KernelIdentity.class).resolved() : null;
        return new ListenerMetadata(text(node, "policy"), text(node, "runtimeClass"), text(node, "namespace"),
                text(node, "pod"), text(node, "container"), identity);
    }

    /** A field left out reads as KernelIdentity's default, as in a profile. */
    private static void putUnlessNull(ObjectNode node, String field, String value) {
        if (value != null) {
            node.put(field, value);
        }
    }

    private static String text(JsonNode node, String field) {
        return node.path(field).asText("");
    }
}
