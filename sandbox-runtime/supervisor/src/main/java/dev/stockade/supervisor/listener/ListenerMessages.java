package dev.stockade.supervisor.listener;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.async.ByteArrayFeeder;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import dev.stockade.api.node.CriAnnotations;
import dev.stockade.api.node.ListenerMetadata;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.function.UnaryOperator;

/**
 * Reads what runc (or crun) sends to {@code linux.seccomp.listenerPath}, the OCI
 * "container process state": {@code {"fds":["seccompFd"],"pid":…,"metadata":"…","state":{"id":…,"bundle":…,"annotations":{…}}}},
 * and the {@link ListenerMetadata} the Stockade runtime writes. Pure: no fd, no socket.
 */
public final class ListenerMessages {

    // Only the whole message is bounded: a long annotation name or value is fine within it.
    static final ObjectMapper JSON = JsonMapper.builder(JsonFactory.builder()
            .streamReadConstraints(StreamReadConstraints.builder().maxDocumentLength(ListenerMetadata.MAX_MESSAGE_BYTES)
                    .maxStringLength(ListenerMetadata.MAX_MESSAGE_BYTES).maxNameLength(ListenerMetadata.MAX_MESSAGE_BYTES).build())
            .build()).build();

    /**
     * A malformed message: refused, the notify fd closed. {@code initPid} is the container's init
     * as far as the message names it (0 when it does not), for the supervisor to stop it.
     */
    public static final class BadMessage extends Exception {
        private final long initPid;

        public BadMessage(String message, long initPid, Throwable cause) {
            super(message, cause);
            this.initPid = initPid;
        }

        public long initPid() {
            return initPid;
        }
    }

    /**
     * The container a listener message describes. {@code hostNodename}/{@code hostDomainname} are
     * what uname shows when the container shares the host's UTS namespace or sets no hostname.
     */
    public static SandboxContainer parse(byte[] message, String hostNodename, String hostDomainname) throws BadMessage {
        try {
            JsonNode root = JSON.readTree(message);
            long initPid = root == null ? 0 : root.path("pid").asLong(root.path("state").path("pid").asLong(0));
            if (root == null || !root.has("state") || !root.get("state").hasNonNull("id")) {
                throw new BadMessage("listener message has no state.id: " + abbreviate(message), initPid, null);
            }
            if (!root.has("fds") || root.get("fds").size() != 1 || !"seccompFd".equals(root.get("fds").get(0).asText())) {
                throw new BadMessage("listener message must carry exactly one fd named seccompFd: " + abbreviate(message), initPid, null);
            }
            JsonNode state = root.get("state");
            ListenerMetadata metadata = ListenerMetadata.parse(root.path("metadata").asText(""));
            JsonNode annotations = state.path("annotations");
            UnaryOperator<String> annotation = key -> annotations.path(key).asText("");
            String namespace = firstNonEmpty(metadata.namespace(), CriAnnotations.first(annotation, CriAnnotations.POD_NAMESPACE));
            String pod = firstNonEmpty(metadata.pod(), CriAnnotations.first(annotation, CriAnnotations.POD_NAME));
            String container = firstNonEmpty(metadata.container(), CriAnnotations.first(annotation, CriAnnotations.CONTAINER_NAME));
            String[] uts = utsNames(state.path("bundle").asText(""), hostNodename, hostDomainname);
            return new SandboxContainer(state.get("id").asText(), initPid,
                    metadata.policy(), metadata.runtimeClass(), namespace, pod, container, metadata.kernelIdentity(),
                    uts[0], uts[1]);
        } catch (IOException e) {
            throw new BadMessage("listener message is not the OCI container process state JSON: " + abbreviate(message), 0, e);
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

    /**
     * One listener message as it arrives: runc writes it to a stream socket in pieces and may keep
     * its end open, so the message is complete when its JSON document closes. Each piece is parsed
     * once as it comes (a large state costs its size, not its size squared); a message that is not
     * JSON or grows beyond {@link ListenerMetadata#MAX_MESSAGE_BYTES} is refused at once.
     */
    public static final class Reader {
        private final JsonParser parser;
        private byte[] bytes = new byte[64 * 1024];
        private int size;
        private int depth;
        private boolean complete;

        public Reader() {
            try {
                parser = JSON.getFactory().createNonBlockingByteArrayParser();
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
        }

        /** Takes the next piece; returns whether the message is complete. */
        public boolean feed(byte[] piece) throws BadMessage {
            if (complete) {
                return true;
            }
            if (piece.length > ListenerMetadata.MAX_MESSAGE_BYTES - size) {
                throw new BadMessage("listener message is larger than " + ListenerMetadata.MAX_MESSAGE_BYTES + " bytes", 0, null);
            }
            if (size + piece.length > bytes.length) {
                bytes = Arrays.copyOf(bytes, Math.min(ListenerMetadata.MAX_MESSAGE_BYTES, Math.max(bytes.length * 2, size + piece.length)));
            }
            System.arraycopy(piece, 0, bytes, size, piece.length);
            size += piece.length;
            try {
                ((ByteArrayFeeder) parser.getNonBlockingInputFeeder()).feedInput(piece, 0, piece.length);
                for (JsonToken token = parser.nextToken(); token != JsonToken.NOT_AVAILABLE; token = parser.nextToken()) {
                    if (token == null) {
                        break;
                    }
                    depth += token.isStructStart() ? 1 : token.isStructEnd() ? -1 : 0;
                    if (depth == 0) {
                        complete = true;
                        break;
                    }
                }
            } catch (IOException e) {
                throw new BadMessage("listener message is not JSON: " + abbreviate(message()), 0, e);
            }
            return complete;
        }

        public boolean complete() {
            return complete;
        }

        /** The bytes received so far. */
        public byte[] message() {
            return Arrays.copyOf(bytes, size);
        }

        public int size() {
            return size;
        }
    }

    private static String firstNonEmpty(String first, String second) {
        return first.isEmpty() ? second : first;
    }

    private static String abbreviate(byte[] message) {
        String text = new String(message, 0, Math.min(message.length, 400), java.nio.charset.StandardCharsets.UTF_8);
        return text.length() > 200 || message.length > 400 ? text.substring(0, Math.min(text.length(), 200)) + "…" : text;
    }

    private ListenerMessages() {
    }
}
