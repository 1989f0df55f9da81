package dev.stockade.installer.engine;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.dataformat.toml.TomlMapper;
import dev.stockade.installer.InstallerException;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Engine directories from configuration text and command lines, as the engines themselves read them. */
class EngineConfigsTest {

    private static JsonNode json(String text) throws Exception {
        return JsonMapper.builder().build().readTree(text);
    }

    private static JsonNode toml(String text) throws Exception {
        return new TomlMapper().readTree(text);
    }

    @Test
    void dockerWithNoConfigurationUsesItsCompiledInDirectories() throws Exception {
        EngineConfigs.DockerDaemon daemon = EngineConfigs.docker("/etc/docker/daemon.json", Optional.empty(), List.of("/usr/bin/dockerd"));
        assertEquals(new EngineConfigs.DockerDaemon("/etc/docker/daemon.json", "/var/lib/docker", "/var/run/docker"), daemon);
        assertEquals("docker:/var/lib/docker", daemon.directories().format());
        assertEquals("/var/run/docker/containerd/daemon/io.containerd.runtime.v2.task", daemon.taskStateDirectory());
    }

    @Test
    void dockersDaemonJsonMovesTheDataRootAndExecRoot() throws Exception {
        EngineConfigs.DockerDaemon daemon = EngineConfigs.docker("/etc/docker/daemon.json",
                Optional.of(json("{\"data-root\": \"/srv/docker/\", \"exec-root\": \"/run/docker-x\", \"log-driver\": \"json-file\"}")),
                List.of("/usr/bin/dockerd", "-H", "fd://"));
        assertEquals("/srv/docker", daemon.dataRoot());
        assertEquals("/run/docker-x", daemon.execRoot());
    }

    /** The older key, which Docker 20.10 still reads. */
    @Test
    void dockersOlderGraphKeyIsTheDataRoot() throws Exception {
        assertEquals("/data/docker", EngineConfigs.docker("/etc/docker/daemon.json", Optional.of(json("{\"graph\": \"/data/docker\"}")), List.of())
                .dataRoot());
    }

    @Test
    void dockerdsFlagsInEitherFormAndItsConfigFileComeFromItsCommandLine() throws Exception {
        List<String> arguments = List.of("dockerd", "--data-root=/scratch/data", "--exec-root", "/scratch/exec", "--config-file",
                "/scratch/daemon.json", "-H", "unix:///scratch/docker.sock");
        assertEquals("/scratch/daemon.json", EngineConfigs.dockerConfigFile(arguments));
        EngineConfigs.DockerDaemon daemon = EngineConfigs.docker("/scratch/daemon.json", Optional.empty(), arguments);
        assertEquals(new EngineConfigs.DockerDaemon("/scratch/daemon.json", "/scratch/data", "/scratch/exec"), daemon);
        assertEquals("/srv/g", EngineConfigs.docker("/etc/docker/daemon.json", Optional.empty(), List.of("dockerd", "-g", "/srv/g")).dataRoot());
    }

    @Test
    void aRelativeDataRootIsRefusedNamingWhereItCameFrom() throws Exception {
        InstallerException refusal = assertThrows(InstallerException.class, () -> EngineConfigs.docker("/etc/docker/daemon.json",
                Optional.of(json("{\"data-root\": \"docker\"}")), List.of()));
        assertTrue(refusal.getMessage().startsWith("/etc/docker/daemon.json data-root is 'docker', not an absolute path"), refusal.getMessage());
    }

    /** The shape of `containerd config dump`: root and state at the top. */
    @Test
    void containerdsRootAndStateComeFromItsConfigurationThenItsFlags() throws Exception {
        JsonNode dump = toml("version = 2\nroot = \"/data/containerd\"\nstate = \"/run/containerd-x\"\n[plugins.\"io.containerd.grpc.v1.cri\"]\n"
                + "sandbox_image = \"pause\"\n");
        assertEquals("containerd:/data/containerd containerd:/run/containerd-x",
                EngineConfigs.containerd(Optional.of(dump), List.of("containerd"), "/var/lib/containerd", "/run/containerd").format());
        // k3s starts its containerd with flags, which win.
        assertEquals("containerd:/var/lib/rancher/k3s/agent/containerd containerd:/run/k3s/containerd",
                EngineConfigs.containerd(Optional.of(dump), List.of("containerd", "-c", "/var/lib/rancher/k3s/agent/etc/containerd/config.toml",
                        "-a", "/run/k3s/containerd/containerd.sock", "--state", "/run/k3s/containerd", "--root",
                        "/var/lib/rancher/k3s/agent/containerd"), "/x", "/y").format());
        assertEquals("containerd:/var/lib/containerd containerd:/run/containerd",
                EngineConfigs.containerd(Optional.empty(), List.of(), "/var/lib/containerd", "/run/containerd").format());
        assertEquals(Optional.of("/etc/k/config.toml"), EngineConfigs.containerdConfigFile(List.of("containerd", "-c", "/etc/k/config.toml")));
        assertEquals(Optional.of("/etc/k/config.toml"), EngineConfigs.containerdConfigFile(List.of("containerd", "--config=/etc/k/config.toml")));
    }

    @Test
    void containersStorageReadsStorageConfThenCrioConfAndItsDropInsThenFlags() throws Exception {
        JsonNode storage = toml("[storage]\ndriver = \"overlay\"\ngraphroot = \"/data/containers\"\nrunroot = \"/run/containers-x\"\n");
        assertEquals("containers-storage:/data/containers containers-storage:/run/containers-x",
                EngineConfigs.containersStorage(Optional.of(storage), List.of(), List.of()).format());
        JsonNode crio = toml("[crio]\nroot = \"/crio/root\"\n");
        JsonNode dropIn = toml("[crio]\nrunroot = \"/crio/run\"\n[crio.runtime]\ndefault_runtime = \"runc\"\n");
        assertEquals("containers-storage:/crio/root containers-storage:/crio/run",
                EngineConfigs.containersStorage(Optional.of(storage), List.of(crio, dropIn), List.of("crio")).format());
        assertEquals("containers-storage:/flag/root containers-storage:/crio/run",
                EngineConfigs.containersStorage(Optional.of(storage), List.of(crio, dropIn), List.of("crio", "--root", "/flag/root")).format());
        assertEquals("containers-storage:/var/lib/containers/storage containers-storage:/run/containers/storage",
                EngineConfigs.containersStorage(Optional.empty(), List.of(), List.of()).format());
    }

    /** A daemon takes the last of a repeated flag. */
    @Test
    void theLastOfARepeatedFlagCounts() {
        assertEquals(Optional.of("/b"), EngineConfigs.flag(List.of("x", "--root", "/a", "--root=/b"), "--root"));
        assertEquals(Optional.empty(), EngineConfigs.flag(List.of("x", "--root"), "--root"));
    }
}
