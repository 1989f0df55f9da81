package dev.stockade.runtime.spec;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.stockade.api.profile.SandboxProfile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static dev.stockade.runtime.spec.Specs.PLAIN_HOST;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SupervisorListenerTest {

    static final String SOCKET = "/run/stockade/supervisor.sock";
    static final SupervisorListener.Probe UP = path -> true;
    static final SupervisorListener.Probe DOWN = path -> false;

    private static ObjectNode hardened(SandboxProfile profile) {
        ObjectNode spec = Specs.app();
        SpecValidator validator = new SpecValidator(profile, "sandboxed", PLAIN_HOST);
        new SpecHardener(profile, validator, "sandboxed", "amd64").harden(spec, new CheckedPaths(List.of()));
        return spec;
    }

    private static List<String> namesWithAction(JsonNode seccomp, String action) {
        List<String> names = new ArrayList<>();
        for (JsonNode rule : seccomp.get("syscalls")) {
            if (rule.get("action").asText().equals(action)) {
                rule.get("names").forEach(name -> names.add(name.asText()));
            }
        }
        return names;
    }

    @Test
    void aProfileWithoutKernelIdentityOrTripwiresIsLeftAlone() throws Exception {
        ObjectNode spec = hardened(SandboxProfile.defaults());
        String before = spec.toString();
        SupervisorListener.attach(spec, SandboxProfile.defaults(), "sandboxed", "tenants", SOCKET, DOWN);
        assertEquals(before, spec.toString(), "no listener and no supervisor check");
    }

    @Test
    void kernelIdentityRoutesUnameToTheSupervisorWithThePodsIdentity() throws Exception {
        SandboxProfile profile = Specs.profile("{\"kernelIdentity\":{\"release\":\"4.4.0\"}}");
        ObjectNode spec = hardened(profile);
        SupervisorListener.attach(spec, profile, "sandboxed", "tenants", SOCKET, UP);
        JsonNode seccomp = spec.get("linux").get("seccomp");
        assertEquals(List.of("uname"), namesWithAction(seccomp, "SCMP_ACT_NOTIFY"));
        assertFalse(namesWithAction(seccomp, "SCMP_ACT_ALLOW").contains("uname"), "one rule per syscall: uname left the allowlist");
        assertTrue(namesWithAction(seccomp, "SCMP_ACT_ALLOW").contains("read"));
        assertEquals(SOCKET, seccomp.get("listenerPath").asText());
        assertNull(seccomp.get("flags"), "runc refuses NOTIFY with seccomp flags");
        JsonNode metadata = JsonMapper.builder().build().readTree(seccomp.get("listenerMetadata").asText());
        assertEquals("tenants", metadata.get("policy").asText());
        assertEquals("sandboxed", metadata.get("runtimeClass").asText());
        assertEquals(Specs.app().get("annotations").get("io.kubernetes.cri.sandbox-namespace").asText(), metadata.get("namespace").asText());
        assertEquals(Specs.app().get("annotations").get("io.kubernetes.cri.sandbox-name").asText(), metadata.get("pod").asText());
        assertEquals(Specs.app().get("annotations").get("io.kubernetes.cri.container-name").asText(), metadata.get("container").asText());
        assertEquals("4.4.0", metadata.get("kernelIdentity").get("release").asText());
        assertEquals("Linux", metadata.get("kernelIdentity").get("sysname").asText());
    }

    @Test
    void aCrioSpecNamesItsPodThroughCriosOwnAnnotations() throws Exception {
        SandboxProfile profile = Specs.profile("{\"tripwireSyscalls\":[\"mount\"]}");
        ObjectNode spec = hardened(profile);
        ObjectNode annotations = spec.putObject("annotations");
        annotations.put("io.kubernetes.pod.namespace", "team-c").put("io.kubernetes.pod.name", "miner-0")
                .put("io.kubernetes.container.name", "app");
        SupervisorListener.attach(spec, profile, "sandboxed", "tenants", SOCKET, UP);
        JsonNode metadata = JsonMapper.builder().build().readTree(spec.get("linux").get("seccomp").get("listenerMetadata").asText());
        assertEquals(List.of("team-c", "miner-0", "app"),
                List.of(metadata.get("namespace").asText(), metadata.get("pod").asText(), metadata.get("container").asText()),
                "tripwire series and alerts name the pod on CRI-O nodes too");
    }

    @Test
    void tripwiresAreNotifiedInsteadOfSilentlyDenied() throws Exception {
        SandboxProfile profile = Specs.profile("{\"tripwireSyscalls\":[\"mount\",\"keyctl\",\"bpf\"]}");
        ObjectNode spec = hardened(profile);
        SupervisorListener.attach(spec, profile, "sandboxed", null, SOCKET, UP);
        JsonNode seccomp = spec.get("linux").get("seccomp");
        assertEquals(List.of("mount", "keyctl", "bpf"), namesWithAction(seccomp, "SCMP_ACT_NOTIFY"));
        assertTrue(namesWithAction(seccomp, "SCMP_ACT_ALLOW").contains("uname"), "uname is not emulated without a kernel identity");
        assertEquals("SCMP_ACT_ERRNO", seccomp.get("defaultAction").asText(), "everything else stays denied");
    }

    @Test
    void whenTheSupervisorIsDownTheContainerIsRefusedNamingTheSocket() {
        SandboxProfile profile = Specs.profile("{\"kernelIdentity\":{}}");
        Refusal refusal = assertThrows(Refusal.class,
                () -> SupervisorListener.attach(hardened(profile), profile, "sandboxed", "tenants", SOCKET, DOWN));
        assertEquals("supervisor-required", refusal.rule());
        assertTrue(refusal.getMessage().contains(SOCKET) && refusal.getMessage().contains("stockade-supervisor run"), refusal.getMessage());
    }

    @Test
    void tripwiresThatCannotWorkAreRefused() {
        SandboxProfile allowed = Specs.profile("{\"tripwireSyscalls\":[\"mount\",\"getpid\"]}");
        Refusal allowlisted = assertThrows(Refusal.class,
                () -> SupervisorListener.attach(hardened(allowed), allowed, "sandboxed", "tenants", SOCKET, UP));
        assertTrue(allowlisted.getMessage().contains("getpid"), allowlisted.getMessage());
        SandboxProfile write = Specs.profile("{\"tripwireSyscalls\":[\"write\"]}");
        Refusal routedWrite = assertThrows(Refusal.class,
                () -> SupervisorListener.attach(hardened(write), write, "sandboxed", "tenants", SOCKET, UP));
        assertTrue(routedWrite.getMessage().contains("write"), routedWrite.getMessage());
    }

    @Test
    void theProbeSeesWhetherSomethingListens(@TempDir Path dir) throws Exception {
        Path socket = dir.resolve("supervisor.sock");
        assertFalse(SupervisorListener.answers(socket.toString()));
        try (ServerSocketChannel server = ServerSocketChannel.open(java.net.StandardProtocolFamily.UNIX)) {
            server.bind(UnixDomainSocketAddress.of(socket));
            assertTrue(SupervisorListener.answers(socket.toString()));
        }
        assertFalse(SupervisorListener.answers(socket.toString()), "a socket file nobody listens on is down");
    }
}
