package dev.stockade.installer.engine;

import dev.stockade.installer.InstallerException;
import dev.stockade.installer.host.HostRoot;
import dev.stockade.testing.HostPrerequisites;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link NodeEngines#kubeletRoot()} on host trees laid out as each distribution lays out a node:
 * its processes in /proc (comm, cmdline, environ, as the kernel shows them) and its files.
 */
class KubeletRootDetectionTest {

    @TempDir
    Path root;

    @BeforeEach
    void processesMustBeRoots() {
        // The installer reads root's processes only; the tree's /proc entries are the test's user's.
        HostPrerequisites.requireRoot();
    }

    private Optional<KubeletRoots.KubeletRoot> detect() throws InstallerException {
        return new NodeEngines(new HostRoot(root)).kubeletRoot();
    }

    private Optional<String> detectedPath() throws InstallerException {
        return detect().map(KubeletRoots.KubeletRoot::path);
    }

    private Path process(int pid, String comm, List<String> arguments, Map<String, String> environment) throws IOException {
        Path directory = Files.createDirectories(root.resolve("proc/" + pid));
        Files.writeString(directory.resolve("comm"), comm + "\n");
        Files.writeString(directory.resolve("cmdline"), String.join("\0", arguments) + "\0");
        Files.writeString(directory.resolve("environ"), environment.entrySet().stream()
                .map(entry -> entry.getKey() + "=" + entry.getValue() + "\0").collect(Collectors.joining()));
        return directory;
    }

    private void file(String hostPath, String text) throws IOException {
        Path path = root.resolve(hostPath.substring(1));
        Files.createDirectories(path.getParent());
        Files.writeString(path, text);
    }

    /** A MicroK8s node: the snap's kubelite with the flags its wrapper gives it, and the snap's kubelet arguments file. */
    private void microK8s(String kubeletArgs) throws IOException {
        process(2116, "kubelite", List.of("/snap/microk8s/9044/kubelite", "--scheduler-args-file=/var/snap/microk8s/9044/args/kube-scheduler",
                "--kubelet-args-file=/var/snap/microk8s/9044/args/kubelet", "--start-control-plane=true"), KubeletRootsTest.SNAP_ENVIRONMENT);
        file("/var/snap/microk8s/9044/args/kubelet", kubeletArgs);
    }

    @Test
    void aKubeletProcessGivesItsRootDirOrItsDefault() throws Exception {
        Path kubelet = process(812, "kubelet", List.of("/usr/bin/kubelet", "--config=/var/lib/kubelet/config.yaml", "--root-dir=/data/kubelet/"),
                Map.of());
        assertEquals(Optional.of(new KubeletRoots.KubeletRoot("/data/kubelet", "the --root-dir of the kubelet (pid 812)")), detect());

        Files.writeString(kubelet.resolve("cmdline"), "/usr/bin/kubelet\0--config=/var/lib/kubelet/config.yaml\0");
        assertEquals(Optional.of("/var/lib/kubelet"), detectedPath(), "a running kubelet's default wins over the installer's setting");
    }

    @Test
    void onMicroK8sTheRootIsReadFromKubelitesKubeletArgumentsFileWithTheSnapsVariables() throws Exception {
        microK8s(KubeletRootsTest.MICROK8S_KUBELET_ARGS);
        Optional<KubeletRoots.KubeletRoot> detected = detect();
        assertEquals(Optional.of("/var/snap/microk8s/common/var/lib/kubelet"), detected.map(KubeletRoots.KubeletRoot::path));
        assertEquals("--root-dir in /var/snap/microk8s/9044/args/kubelet (the kubelet flags of kubelite, pid 2116)", detected.get().source());
    }

    @Test
    void onMicroK8sARootDirMovedToADataDiskIsFound() throws Exception {
        microK8s(KubeletRootsTest.MICROK8S_KUBELET_ARGS.replace("--root-dir=${SNAP_COMMON}/var/lib/kubelet", "--root-dir=/mnt/disk/kubelet"));
        assertEquals(Optional.of("/mnt/disk/kubelet"), detectedPath());
    }

    @Test
    void aUsersProcessNamedKubeliteIsNotRead() throws Exception {
        microK8s("--root-dir=/home/user/kubelet\n");
        Files.setAttribute(root.resolve("proc/2116"), "unix:uid", 1000);
        assertEquals(Optional.empty(), detect());
    }

    @Test
    void onK3sTheRootIsReadFromConfigYaml() throws Exception {
        process(640, "k3s-server", List.of("/usr/local/bin/k3s", "server"), Map.of());
        file("/etc/rancher/k3s/config.yaml", "write-kubeconfig-mode: \"0644\"\nkubelet-arg:\n  - \"root-dir=/data/kubelet\"\n  - max-pods=200\n");
        Optional<KubeletRoots.KubeletRoot> detected = detect();
        assertEquals(Optional.of(new KubeletRoots.KubeletRoot("/data/kubelet", "root-dir in /etc/rancher/k3s/config.yaml kubelet-arg")), detected);
    }

    @Test
    void onK3sADropInReplacesTheKubeletArgsAndTheCommandLineComesLast() throws Exception {
        Path k3s = process(640, "k3s-agent", List.of("/usr/local/bin/k3s", "agent", "--server", "https://10.0.0.1:6443"), Map.of());
        file("/etc/rancher/k3s/config.yaml", "kubelet-arg:\n  - root-dir=/data/kubelet\n");
        file("/etc/rancher/k3s/config.yaml.d/20-disk.yaml", "kubelet-arg: root-dir=/disk/kubelet\n");
        file("/etc/rancher/k3s/config.yaml.d/10-other.yml", "kubelet-arg: root-dir=/sorted/before\n");
        file("/etc/rancher/k3s/config.yaml.d/30-notes.txt", "kubelet-arg: root-dir=/not/read\n");
        assertEquals(Optional.of(new KubeletRoots.KubeletRoot("/disk/kubelet", "root-dir in /etc/rancher/k3s/config.yaml.d/20-disk.yaml kubelet-arg")),
                detect());

        Files.writeString(k3s.resolve("cmdline"), "/usr/local/bin/k3s\0agent\0--kubelet-arg\0root-dir=/flag/kubelet\0");
        assertEquals(Optional.of(new KubeletRoots.KubeletRoot("/flag/kubelet", "root-dir in --kubelet-arg of k3s (pid 640)")), detect());
    }

    @Test
    void onK3sTheConfigFileNamedByItsEnvironmentIsRead() throws Exception {
        process(640, "k3s-server", List.of("/usr/local/bin/k3s", "server", "--config", "/etc/rancher/k3s/config.yaml"),
                Map.of("K3S_CONFIG_FILE", "/srv/k3s/config.yaml"));
        file("/etc/rancher/k3s/config.yaml", "kubelet-arg: root-dir=/not/this\n");
        file("/srv/k3s/config.yaml", "kubelet-arg: root-dir=/srv/kubelet\n");
        assertEquals(Optional.of("/srv/kubelet"), detectedPath());
    }

    @Test
    void aRelativeConfigFileIsReadFromTheProcesssWorkingDirectory() throws Exception {
        Path k3s = process(640, "k3s-server", List.of("/usr/local/bin/k3s", "server", "-c", "k3s/../k3s/config.yaml"), Map.of());
        Files.createSymbolicLink(k3s.resolve("cwd"), Path.of("/etc/rancher"));
        file("/etc/rancher/k3s/config.yaml", "kubelet-arg: root-dir=/cwd/kubelet\n");
        assertEquals(Optional.of(new KubeletRoots.KubeletRoot("/cwd/kubelet", "root-dir in /etc/rancher/k3s/config.yaml kubelet-arg")), detect());
    }

    @Test
    void onK3sWithoutARootDirAnywhereTheKubeletsDefaultHolds() throws Exception {
        process(640, "k3s-server", List.of("/usr/local/bin/k3s", "server"), Map.of());
        file("/etc/rancher/k3s/config.yaml", "kubelet-arg: max-pods=200\n");
        assertEquals(Optional.of("/var/lib/kubelet"), detectedPath());
    }

    @Test
    void aK3sCommandThatRunsNoKubeletIsNotRead() throws Exception {
        process(641, "k3s", List.of("/usr/local/bin/k3s", "kubectl", "get", "nodes"), Map.of());
        file("/etc/rancher/k3s/config.yaml", "kubelet-arg: root-dir=/data/kubelet\n");
        assertEquals(Optional.empty(), detect());
    }

    @Test
    void onRke2TheRunningKubeletsOwnFlagsWinElseRke2sConfigYaml() throws Exception {
        process(700, "rke2", List.of("/usr/local/bin/rke2", "server"), Map.of());
        file("/etc/rancher/rke2/config.yaml", "kubelet-arg:\n  - root-dir=/data/rke2-kubelet\n");
        assertEquals(Optional.of("/data/rke2-kubelet"), detectedPath(), "before RKE2 has started its kubelet");

        process(720, "kubelet", List.of("/var/lib/rancher/rke2/data/v1.31/bin/kubelet", "--root-dir=/data/rke2-kubelet-running"), Map.of());
        assertEquals(Optional.of("/data/rke2-kubelet-running"), detectedPath(), "the kubelet RKE2 runs is what holds");
    }

    @Test
    void aConfigYamlTheInstallerCannotReadIsAnErrorNamingTheFile() throws Exception {
        process(640, "k3s-server", List.of("/usr/local/bin/k3s", "server"), Map.of());
        file("/etc/rancher/k3s/config.yaml.d/50-broken.yaml", "kubelet-arg: [root-dir=/data\n");
        InstallerException error = assertThrows(InstallerException.class, this::detect);
        assertTrue(error.getMessage().startsWith("/etc/rancher/k3s/config.yaml.d/50-broken.yaml is not valid YAML"), error.getMessage());
    }

    @Test
    void aRelativeRootDirIsAnErrorNamingTheFileAndTheField() throws Exception {
        microK8s("--root-dir=var/lib/kubelet\n");
        InstallerException error = assertThrows(InstallerException.class, this::detect);
        assertTrue(error.getMessage().startsWith("--root-dir in /var/snap/microk8s/9044/args/kubelet (the kubelet flags of kubelite, pid 2116) "
                + "is 'var/lib/kubelet', not an absolute path"), error.getMessage());
    }

    /** Without ptrace access to kubelite, ${SNAP_COMMON} would expand to nothing: a wrong root, so no root. */
    @Test
    void aRunningProcessWhoseEnvironmentCannotBeReadIsAnErrorNotAGuess() throws Exception {
        microK8s(KubeletRootsTest.MICROK8S_KUBELET_ARGS);
        Path environ = root.resolve("proc/2116/environ");
        Files.delete(environ);
        Files.createDirectory(environ); // reading it fails, as /proc/PID/environ does without ptrace access
        InstallerException error = assertThrows(InstallerException.class, this::detect);
        assertTrue(error.getMessage().startsWith("cannot read /proc/2116/environ ("), error.getMessage());
        assertTrue(error.getMessage().endsWith("Run the installer privileged in the host's PID namespace (hostPID)"), error.getMessage());
    }

    @Test
    void withNoKubeletRunningNothingIsDetected() throws Exception {
        process(1, "init", List.of("/sbin/init"), Map.of());
        file("/etc/rancher/k3s/config.yaml", "kubelet-arg: root-dir=/data/kubelet\n");
        assertEquals(Optional.empty(), detect(), "a config.yaml with no k3s running is not the running kubelet's");
    }
}
