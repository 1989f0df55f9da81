package dev.stockade.supervisor.listener;

import dev.stockade.api.node.CriAnnotations;
import dev.stockade.api.node.ListenerMetadata;
import dev.stockade.api.profile.KernelIdentity;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ListenerMessagesTest {

    @TempDir
    Path bundle;

    /** The shape runc 1.1.5 sends (captured on this machine), with the runtime's metadata. */
    private String runcMessage(String metadata, String annotations) {
        return """
                {"ociVersion":"1.0.2-dev","fds":["seccompFd"],"pid":4242,"metadata":%s,
                 "state":{"ociVersion":"1.0.2-dev","id":"c-1","status":"creating","pid":4242,"bundle":"%s","annotations":%s}}
                """.formatted(metadata, bundle, annotations);
    }

    private static String quoted(String json) {
        return "\"" + json.replace("\"", "\\\"") + "\"";
    }

    @Test
    void theRuntimesMetadataNamesThePodAndCarriesTheKernelIdentity() throws Exception {
        Files.writeString(bundle.resolve("config.json"), """
                {"hostname":"web-0","linux":{"namespaces":[{"type":"pid"},{"type":"uts"}]}}""");
        String metadata = new ListenerMetadata("tenants", "sandboxed", "team-a", "web-0", "app",
                new KernelIdentity(null, "4.4.0", null, null)).toJson();
        SandboxContainer container = ListenerMessages.parse(runcMessage(quoted(metadata), "{}").getBytes(StandardCharsets.UTF_8),
                "host-node", "(none)");
        assertEquals("c-1", container.id());
        assertEquals(4242, container.initPid());
        assertEquals("tenants", container.policy());
        assertEquals("sandboxed", container.runtimeClass());
        assertEquals("team-a", container.namespace());
        assertEquals("web-0", container.pod());
        assertEquals("app", container.container());
        assertEquals(new KernelIdentity("Linux", "4.4.0", "#1 SMP Sun Jan 10 15:06:54 PST 2016", null), container.kernelIdentity());
        assertEquals("web-0", container.nodename(), "the container's own UTS namespace and hostname");
        assertEquals("(none)", container.domainname());
    }

    @Test
    void withoutMetadataTheCriAnnotationsNameThePodAndUnameIsNotEmulated() throws Exception {
        Files.writeString(bundle.resolve("config.json"), """
                {"hostname":"ignored","linux":{"namespaces":[{"type":"uts","path":"/proc/1/ns/uts"}]}}""");
        SandboxContainer container = ListenerMessages.parse(runcMessage("\"\"", """
                {"io.kubernetes.cri.sandbox-namespace":"team-b","io.kubernetes.cri.sandbox-name":"job-42",
                 "io.kubernetes.cri.container-name":"worker"}""").getBytes(StandardCharsets.UTF_8), "host-node", "(none)");
        assertEquals("team-b", container.namespace());
        assertEquals("job-42", container.pod());
        assertEquals("worker", container.container());
        assertNull(container.kernelIdentity());
        assertEquals("host-node", container.nodename(), "a joined UTS namespace (the pod's) is not the spec's hostname");
    }

    @Test
    void malformedMessagesAreRefusedWithWhatIsWrong() {
        var noId = assertThrows(ListenerMessages.BadMessage.class,
                () -> ListenerMessages.parse("{\"fds\":[\"seccompFd\"],\"state\":{}}".getBytes(), "h", "d"));
        assertTrue(noId.getMessage().contains("state.id"), noId.getMessage());
        var twoFds = assertThrows(ListenerMessages.BadMessage.class,
                () -> ListenerMessages.parse("{\"fds\":[\"seccompFd\",\"x\"],\"state\":{\"id\":\"c\"}}".getBytes(), "h", "d"));
        assertTrue(twoFds.getMessage().contains("exactly one fd"), twoFds.getMessage());
        var withPid = assertThrows(ListenerMessages.BadMessage.class,
                () -> ListenerMessages.parse("{\"fds\":[],\"pid\":4242,\"state\":{\"id\":\"c\"}}".getBytes(), "h", "d"));
        assertEquals(4242, withPid.initPid(), "the init to stop, as far as the message names it");
        assertThrows(ListenerMessages.BadMessage.class, () -> ListenerMessages.parse("not json".getBytes(), "h", "d"));
    }

    @Test
    void aMessageArrivingInPiecesIsCompleteOnlyWhenItsJsonCloses() throws Exception {
        byte[] message = runcMessage("\"\"", "{\"a\":{\"b\":\"}\"}}").strip().getBytes(StandardCharsets.UTF_8);
        ListenerMessages.Reader reader = new ListenerMessages.Reader();
        for (int i = 0; i < message.length - 1; i++) {
            assertFalse(reader.feed(new byte[] {message[i]}), "complete after " + (i + 1) + " of " + message.length + " bytes");
        }
        assertTrue(reader.feed(new byte[] {message[message.length - 1]}));
        assertEquals("c-1", ListenerMessages.parse(reader.message(), "h", "d").id());
    }

    /** 200 KiB of '<' in an annotation (Go escapes each as six bytes), a long name and a 3 MiB value. */
    @Test
    void aStateOfSeveralMebibytesIsReadWhole() throws Exception {
        String annotations = "{\"" + CriAnnotations.CONTAINERD_SANDBOX_NAMESPACE + "\":\"team-a\","
                + "\"example.com/markup\":\"" + "\\u003c".repeat(200 * 1024) + "\","
                + "\"example.com/" + "k".repeat(100_000) + "\":\"" + "x".repeat(3 << 20) + "\"}";
        byte[] message = runcMessage("\"\"", annotations).getBytes(StandardCharsets.UTF_8);
        assertTrue(message.length > 4 << 20, message.length + " bytes");
        ListenerMessages.Reader reader = new ListenerMessages.Reader();
        boolean complete = false;
        for (int at = 0; at < message.length; at += 64 * 1024) {
            assertFalse(complete, "complete before the last piece");
            complete = reader.feed(Arrays.copyOfRange(message, at, Math.min(message.length, at + 64 * 1024)));
        }
        assertTrue(complete);
        assertEquals("team-a", ListenerMessages.parse(reader.message(), "h", "d").namespace());
    }

    /**
     * A container created by the previous release's runtime, while a new supervisor takes over: its
     * message, byte for byte as runc 1.1.5 sends it with the metadata that runtime wrote (Go's
     * encoder escapes the metadata's quotes and its '&lt;' '&gt;' '&amp;').
     */
    @Test
    void aContainerThePreviousReleasesRuntimeCreatedIsReadAsBefore() throws Exception {
        String message = """
                {"ociVersion":"1.0.2-dev","fds":["seccompFd"],"pid":4242,\
                "metadata":"{\\"policy\\":\\"tenants\\",\\"runtimeClass\\":\\"sandboxed\\",\\"namespace\\":\\"team-a\\",\
                \\"pod\\":\\"web-0\\",\\"container\\":\\"app \\u003c1\\u003e\\",\\"kernelIdentity\\":{\\"sysname\\":\\"Linux\\",\
                \\"release\\":\\"4.4.0\\",\\"version\\":\\"#1 SMP Sun Jan 10 15:06:54 PST 2016\\",\\"machine\\":\\"x86_64\\"}}",\
                "state":{"ociVersion":"1.0.2-dev","id":"c-1","status":"creating","pid":4242,"bundle":"","annotations":{}}}""";
        SandboxContainer container = ListenerMessages.parse(message.getBytes(StandardCharsets.UTF_8), "host-node", "(none)");
        assertEquals(List.of("c-1", "tenants", "sandboxed", "team-a", "web-0", "app <1>"),
                List.of(container.id(), container.policy(), container.runtimeClass(), container.namespace(), container.pod(),
                        container.container()));
        assertEquals(new KernelIdentity("Linux", "4.4.0", "#1 SMP Sun Jan 10 15:06:54 PST 2016", "x86_64"), container.kernelIdentity());
    }

    @Test
    void aMessageLargerThanTheBoundOrNotJsonIsRefusedWithoutWaitingForTheRest() throws Exception {
        ListenerMessages.Reader tooLarge = new ListenerMessages.Reader();
        tooLarge.feed("{\"state\":{\"annotations\":{\"a\":\"".getBytes(StandardCharsets.UTF_8));
        byte[] piece = "x".repeat(1 << 20).getBytes(StandardCharsets.UTF_8);
        var refused = assertThrows(ListenerMessages.BadMessage.class, () -> {
            for (int i = 0; i <= ListenerMetadata.MAX_MESSAGE_BYTES >> 20; i++) {
                tooLarge.feed(piece);
            }
        });
        assertTrue(refused.getMessage().contains("larger than " + ListenerMetadata.MAX_MESSAGE_BYTES), refused.getMessage());
        var notJson = assertThrows(ListenerMessages.BadMessage.class,
                () -> new ListenerMessages.Reader().feed("{\"fds\" [".getBytes(StandardCharsets.UTF_8)));
        assertTrue(notJson.getMessage().contains("not JSON"), notJson.getMessage());
    }
}
