package dev.stockade.runtime;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.stockade.runtime.cli.RuncCommandLine;
import dev.stockade.runtime.spec.Refusal;
import dev.stockade.runtime.spec.Specs;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The create/exec preparation on real files, short of executing runc (the IT tests do that). */
class SandboxRuntimeTest {

    /** The delegate runtime the launcher found. */
    private static final Path RUNC = Path.of("/usr/sbin/runc");

    @TempDir
    Path dir;

    private SandboxRuntime runtime(String profileJson) throws Exception {
        Path profile = dir.resolve("untrusted.json");
        Files.writeString(profile, profileJson);
        return new SandboxRuntime(Map.of(SandboxRuntime.PROFILE_VARIABLE, profile.toString()), Specs.host(Map.of(), Set.of()));
    }

    private Path bundle(ObjectNode spec) throws Exception {
        Path bundle = Files.createDirectories(dir.resolve("bundle"));
        Files.write(bundle.resolve("config.json"), Specs.JSON.writeValueAsBytes(spec));
        return bundle;
    }

    private static RuncCommandLine create(Path bundle) {
        return RuncCommandLine.parse(List.of("--root", "/r", "create", "--bundle", bundle.toString(), "c1"));
    }

    @Test
    void createRewritesTheBundleConfigHardened() throws Exception {
        Path bundle = bundle(Specs.app());
        runtime("{}").prepare(create(bundle), RUNC);
        JsonNode written = Specs.JSON.readTree(bundle.resolve("config.json").toFile());
        assertTrue(written.get("process").get("noNewPrivileges").asBoolean());
        assertEquals("SCMP_ACT_ERRNO", written.get("linux").get("seccomp").get("defaultAction").asText());
        try (var files = Files.list(bundle)) {
            assertEquals(List.of(bundle.resolve("config.json")), files.toList(), "no temporary file left beside");
        }
    }

    @Test
    void aRefusedCreateLeavesTheBundleUntouched() throws Exception {
        ObjectNode spec = Specs.app();
        ((com.fasterxml.jackson.databind.node.ArrayNode) spec.get("mounts")).addObject()
                .put("destination", "/host").put("type", "bind").put("source", "/").putArray("options").add("rbind");
        Path bundle = bundle(spec);
        byte[] before = Files.readAllBytes(bundle.resolve("config.json"));
        Refusal refusal = assertThrows(Refusal.class, () -> runtime("{}").prepare(create(bundle), RUNC));
        assertTrue(refusal.getMessage().contains("mounts[14].source"), refusal.getMessage());
        assertTrue(refusal.getMessage().contains("sandbox profile untrusted"), refusal.getMessage());
        assertArrayEquals(before, Files.readAllBytes(bundle.resolve("config.json")));
    }

    @Test
    void passthroughChangesNothing() throws Exception {
        Path bundle = bundle(Specs.privileged(Specs.app()));
        byte[] before = Files.readAllBytes(bundle.resolve("config.json"));
        runtime("{\"mode\":\"Passthrough\"}").prepare(create(bundle), RUNC);
        assertArrayEquals(before, Files.readAllBytes(bundle.resolve("config.json")));
    }

    @Test
    void missingProfileVariableRefuses() throws Exception {
        Path bundle = bundle(Specs.app());
        SandboxRuntime runtime = new SandboxRuntime(Map.of(), Specs.host(Map.of(), Set.of()));
        Refusal refusal = assertThrows(Refusal.class, () -> runtime.prepare(create(bundle), RUNC));
        assertTrue(refusal.getMessage().startsWith("STOCKADE_PROFILE: is not set"), refusal.getMessage());
    }

    @Test
    void theLaunchersKubeletRootDecidesWhichMountsArePodVolumes() throws Exception {
        Path profile = dir.resolve("untrusted.json");
        Files.writeString(profile, "{}");
        Path bundle = bundle(Specs.app());
        SandboxRuntime elsewhere = new SandboxRuntime(Map.of(SandboxRuntime.PROFILE_VARIABLE, profile.toString(),
                "STOCKADE_KUBELET_ROOT", "/data/kubelet"), Specs.host(Map.of(), Set.of()));
        Refusal refusal = assertThrows(Refusal.class, () -> elsewhere.prepare(create(bundle), RUNC));
        assertTrue(refusal.getMessage().contains("/var/lib/kubelet/pods/"), refusal.getMessage());

        SandboxRuntime malformed = new SandboxRuntime(Map.of(SandboxRuntime.PROFILE_VARIABLE, profile.toString(),
                "STOCKADE_KUBELET_ROOT", "data/kubelet"), Specs.host(Map.of(), Set.of()));
        Refusal refusedRoot = assertThrows(Refusal.class, () -> malformed.prepare(create(bundle), RUNC));
        assertTrue(refusedRoot.getMessage().startsWith("STOCKADE_KUBELET_ROOT: 'data/kubelet' is not a normalized absolute path"),
                refusedRoot.getMessage());
    }

    /** containerd keeping its data elsewhere: the launcher's directories, not the usual ones, hold the sandbox's own files. */
    @Test
    void theLaunchersEngineDirectoriesDecideWhichSandboxFilesPass() throws Exception {
        Path profile = dir.resolve("untrusted.json");
        Files.writeString(profile, "{}");
        Path bundle = bundle(Specs.app());
        SandboxRuntime elsewhere = new SandboxRuntime(Map.of(SandboxRuntime.PROFILE_VARIABLE, profile.toString(),
                "STOCKADE_ENGINE_DIRECTORIES", "containerd:/data/containerd containerd:/run/containerd"), Specs.host(Map.of(), Set.of()));
        Refusal refusal = assertThrows(Refusal.class, () -> elsewhere.prepare(create(bundle), RUNC));
        assertTrue(refusal.getMessage().contains("bind mount of host path /var/lib/containerd/io.containerd.grpc.v1.cri/sandboxes/"),
                refusal.getMessage());

        SandboxRuntime malformed = new SandboxRuntime(Map.of(SandboxRuntime.PROFILE_VARIABLE, profile.toString(),
                "STOCKADE_ENGINE_DIRECTORIES", "containerd:var/lib/containerd"), Specs.host(Map.of(), Set.of()));
        Refusal refusedDirectories = assertThrows(Refusal.class, () -> malformed.prepare(create(bundle), RUNC));
        assertTrue(refusedDirectories.getMessage().startsWith("STOCKADE_ENGINE_DIRECTORIES: engine directory 'var/lib/containerd' is not a "
                + "normalized absolute path"), refusedDirectories.getMessage());
    }

    @Test
    void unreadableOrInvalidProfileRefuses() throws Exception {
        Path bundle = bundle(Specs.app());
        Refusal invalid = assertThrows(Refusal.class, () -> runtime("{\"allowEverything\":true}").prepare(create(bundle), RUNC));
        assertTrue(invalid.getMessage().contains("untrusted.json"), invalid.getMessage());
        SandboxRuntime missing = new SandboxRuntime(Map.of(SandboxRuntime.PROFILE_VARIABLE, dir.resolve("nope.json").toString()),
                Specs.host(Map.of(), Set.of()));
        assertThrows(Refusal.class, () -> missing.prepare(create(bundle), RUNC));
    }

    @Test
    void execProcessFileIsHardenedInPlace() throws Exception {
        Path process = dir.resolve("process.json");
        Files.write(process, Specs.JSON.writeValueAsBytes(Specs.app().get("process")));
        runtime("{}").prepare(RuncCommandLine.parse(List.of("exec", "--process", process.toString(), "--detach", "c1")), RUNC);
        JsonNode written = Specs.JSON.readTree(process.toFile());
        assertTrue(written.get("noNewPrivileges").asBoolean());
        assertTrue(!written.get("capabilities").get("bounding").toString().contains("CAP_NET_RAW"));
    }

    @Test
    void checkpointAndRestoreAreRefused() throws Exception {
        SandboxRuntime runtime = runtime("{}");
        assertEquals("unsupported", assertThrows(Refusal.class,
                () -> runtime.prepare(RuncCommandLine.parse(List.of("checkpoint", "c1")), RUNC)).rule());
        assertEquals("unsupported", assertThrows(Refusal.class,
                () -> runtime.prepare(RuncCommandLine.parse(List.of("restore", "c1")), RUNC)).rule());
    }

    @Test
    void delegateIsFoundInSystemDirectoriesWithAMinimalPath() throws Exception {
        assertTrue(DelegateRuntime.resolve(null, "/nonexistent").toString().endsWith("/runc"));
        Refusal missing = assertThrows(Refusal.class, () -> DelegateRuntime.resolve("no-such-runtime", "/nonexistent"));
        assertTrue(missing.getMessage().contains("STOCKADE_DELEGATE"), missing.getMessage());
    }
}
