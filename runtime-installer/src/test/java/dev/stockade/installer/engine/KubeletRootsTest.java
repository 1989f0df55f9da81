package dev.stockade.installer.engine;

import dev.stockade.installer.InstallerException;
import dev.stockade.installer.engine.KubeletRoots.ConfigFile;
import dev.stockade.installer.engine.KubeletRoots.KubeletArg;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The kubelet's root from each source, read as the kubelet, kubelite, k3s and RKE2 read it. */
class KubeletRootsTest {

    /** MicroK8s's own default kubelet arguments file (microk8s-resources/default-args/kubelet), abridged. */
    static final String MICROK8S_KUBELET_ARGS = """
            --kubeconfig=${SNAP_DATA}/credentials/kubelet.config
            --cert-dir=${SNAP_DATA}/certs
            --root-dir=${SNAP_COMMON}/var/lib/kubelet
            --log-dir=${SNAP_COMMON}/var/log
            --eviction-hard="memory.available<100Mi,nodefs.available<1Gi,imagefs.available<1Gi"
            --container-runtime-endpoint=${SNAP_COMMON}/run/containerd.sock
            """;
    static final Map<String, String> SNAP_ENVIRONMENT = Map.of("SNAP", "/snap/microk8s/9044", "SNAP_DATA", "/var/snap/microk8s/9044",
            "SNAP_COMMON", "/var/snap/microk8s/common");

    @Test
    void aKubeletTakesTheLastRootDirOnItsCommandLine() {
        assertEquals(Optional.of("/data/kubelet/"), KubeletRoots.kubeletFlag(List.of("/usr/bin/kubelet", "--config=/var/lib/kubelet/config.yaml",
                "--root-dir=/data/kubelet/")));
        assertEquals(Optional.of("/b"), KubeletRoots.kubeletFlag(List.of("kubelet", "--root-dir", "/a", "--root-dir=/b")));
        assertEquals(Optional.empty(), KubeletRoots.kubeletFlag(List.of("/usr/bin/kubelet", "--config=/var/lib/kubelet/config.yaml")));
    }

    @Test
    void kubeliteReadsTheFileItsKubeletArgsFileNamesElseItsDefault() {
        assertEquals("/var/snap/microk8s/9044/args/kubelet", KubeletRoots.kubeliteArgsFile(List.of("/snap/microk8s/9044/kubelite",
                "--scheduler-args-file=/var/snap/microk8s/9044/args/kube-scheduler", "--kubelet-args-file=/var/snap/microk8s/9044/args/kubelet",
                "--start-control-plane=true")));
        assertEquals("/etc/k/kubelet", KubeletRoots.kubeliteArgsFile(List.of("kubelite", "--kubelet-args-file", "/etc/k/kubelet")));
        assertEquals("/var/snap/microk8s/current/args/kubelet", KubeletRoots.kubeliteArgsFile(List.of("/snap/microk8s/9044/kubelite")));
    }

    @Test
    void microK8sDefaultKubeletArgumentsPutTheRootUnderTheSnapsCommonDirectory() {
        List<String> arguments = KubeletRoots.kubeliteKubeletArguments(MICROK8S_KUBELET_ARGS, SNAP_ENVIRONMENT);
        assertEquals(Optional.of("/var/snap/microk8s/common/var/lib/kubelet"), KubeletRoots.kubeletFlag(arguments));
        assertTrue(arguments.contains("--kubeconfig=/var/snap/microk8s/9044/credentials/kubelet.config"), arguments.toString());
        // kubelite removes every quote, it does not parse them.
        assertTrue(arguments.contains("--eviction-hard=memory.available<100Mi,nodefs.available<1Gi,imagefs.available<1Gi"), arguments.toString());
    }

    @Test
    void kubeliteSkipsCommentsAndBlankLinesSplitsAtSpacesAndTheLastRootDirWins() {
        String file = "# moved to the data disk\n\n  --root-dir ${SNAP_COMMON}/var/lib/kubelet  \r\n#--root-dir=/old\n--root-dir='/data/kubelet'\n";
        List<String> arguments = KubeletRoots.kubeliteKubeletArguments(file, SNAP_ENVIRONMENT);
        assertEquals(List.of("--root-dir", "/var/snap/microk8s/common/var/lib/kubelet", "--root-dir=/data/kubelet"), arguments);
        assertEquals(Optional.of("/data/kubelet"), KubeletRoots.kubeletFlag(arguments));
    }

    /** Go's os.ExpandEnv, which kubelite applies to each part. */
    @Test
    void variablesExpandAsGosExpandEnvDoes() {
        Map<String, String> environment = Map.of("SNAP_COMMON", "/var/snap/microk8s/common", "A", "a", "-", "dash");
        assertEquals("/var/snap/microk8s/common/x", KubeletRoots.expandEnv("$SNAP_COMMON/x", environment));
        assertEquals("/var/snap/microk8s/common/x", KubeletRoots.expandEnv("${SNAP_COMMON}/x", environment));
        assertEquals("/x", KubeletRoots.expandEnv("$UNSET/x", environment), "an unset variable is empty");
        assertEquals("a$", KubeletRoots.expandEnv("$A$", environment), "a $ at the end stays");
        assertEquals("$%", KubeletRoots.expandEnv("$%", environment), "a $ before no name stays");
        assertEquals("xy", KubeletRoots.expandEnv("x${}y", environment), "${} is dropped");
        assertEquals("xA", KubeletRoots.expandEnv("x${A", environment), "an unclosed ${ is dropped");
        assertEquals("dash/", KubeletRoots.expandEnv("${-}/", environment), "a special name in braces");
        assertEquals("a_b", KubeletRoots.expandEnv("${A}_b", environment));
        assertEquals("", KubeletRoots.expandEnv("$A_b", environment), "names run over letters, digits and _");
    }

    @Test
    void k3sAndRke2ConfigFileIsTheirVariableThenTheirFlagThenTheirDefault() {
        List<String> arguments = List.of("/usr/local/bin/k3s", "server", "--config", "/srv/k3s.yaml");
        assertEquals("/srv/k3s.yaml", KubeletRoots.rancherConfigFile("k3s", arguments, Map.of()));
        assertEquals("/env/k3s.yaml", KubeletRoots.rancherConfigFile("k3s", arguments, Map.of("K3S_CONFIG_FILE", "/env/k3s.yaml")),
                "k3s's parser looks at K3S_CONFIG_FILE before the flag");
        assertEquals("/c.yaml", KubeletRoots.rancherConfigFile("k3s", List.of("k3s", "agent", "-c=/c.yaml"), Map.of()));
        assertEquals("/etc/rancher/k3s/config.yaml", KubeletRoots.rancherConfigFile("k3s", List.of("k3s", "server"), Map.of()));
        assertEquals("/etc/rancher/rke2/config.yaml", KubeletRoots.rancherConfigFile("rke2", List.of("rke2", "server"),
                Map.of("K3S_CONFIG_FILE", "/not/rke2s.yaml")));
        assertEquals("/r.yaml", KubeletRoots.rancherConfigFile("rke2", List.of("rke2", "agent"), Map.of("RKE2_CONFIG_FILE", "/r.yaml")));
    }

    @Test
    void dropInsAreTheYamlFilesOfTheDotDDirectoryInNameOrder() {
        assertEquals(List.of("/etc/rancher/k3s/config.yaml.d/02-a.YML", "/etc/rancher/k3s/config.yaml.d/10-b.yaml"),
                KubeletRoots.rancherDropIns("/etc/rancher/k3s/config.yaml", List.of("10-b.yaml", "notes.txt", "02-a.YML", "01.json")));
    }

    @Test
    void kubeletArgIsAListOrOneStringAndALaterFileReplacesItUnlessItsKeyEndsWithPlus() throws Exception {
        ConfigFile main = new ConfigFile("/etc/rancher/k3s/config.yaml", "write-kubeconfig-mode: \"0644\"\nkubelet-arg:\n  - root-dir=/data/kubelet\n"
                + "  - max-pods=200\n");
        assertEquals(List.of(new KubeletArg("root-dir=/data/kubelet", "/etc/rancher/k3s/config.yaml kubelet-arg"),
                new KubeletArg("max-pods=200", "/etc/rancher/k3s/config.yaml kubelet-arg")), KubeletRoots.rancherConfigKubeletArgs(List.of(main)));

        ConfigFile replacing = new ConfigFile("/etc/rancher/k3s/config.yaml.d/10-disk.yaml", "kubelet-arg: root-dir=/disk/kubelet\n");
        assertEquals(List.of(new KubeletArg("root-dir=/disk/kubelet", "/etc/rancher/k3s/config.yaml.d/10-disk.yaml kubelet-arg")),
                KubeletRoots.rancherConfigKubeletArgs(List.of(main, replacing)));

        ConfigFile appending = new ConfigFile("/etc/rancher/k3s/config.yaml.d/20-more.yaml", "kubelet-arg+:\n  - v=2\n");
        assertEquals(List.of("root-dir=/data/kubelet", "max-pods=200", "v=2"),
                KubeletRoots.rancherConfigKubeletArgs(List.of(main, appending)).stream().map(KubeletArg::value).toList());
        assertEquals(List.of(), KubeletRoots.rancherConfigKubeletArgs(List.of(new ConfigFile("/e.yaml", ""))));
    }

    @Test
    void aConfigFileThatIsNotAYamlMappingOrAKubeletArgOfAnotherShapeIsRefusedNamingTheFile() {
        InstallerException notYaml = assertThrows(InstallerException.class, () -> KubeletRoots.rancherConfigKubeletArgs(List.of(
                new ConfigFile("/etc/rancher/k3s/config.yaml", "kubelet-arg: [root-dir=/data\n"))));
        assertTrue(notYaml.getMessage().startsWith("/etc/rancher/k3s/config.yaml is not valid YAML ("), notYaml.getMessage());
        assertTrue(notYaml.getMessage().endsWith("Fix the file and the installer will retry"), notYaml.getMessage());

        InstallerException notMapping = assertThrows(InstallerException.class, () -> KubeletRoots.rancherConfigKubeletArgs(List.of(
                new ConfigFile("/etc/rancher/k3s/config.yaml", "- root-dir=/data\n"))));
        assertTrue(notMapping.getMessage().startsWith("/etc/rancher/k3s/config.yaml is not a YAML mapping of settings"), notMapping.getMessage());

        InstallerException shape = assertThrows(InstallerException.class, () -> KubeletRoots.rancherConfigKubeletArgs(List.of(
                new ConfigFile("/etc/rancher/rke2/config.yaml.d/x.yaml", "kubelet-arg:\n  root-dir: /data\n"))));
        assertTrue(shape.getMessage().startsWith("/etc/rancher/rke2/config.yaml.d/x.yaml kubelet-arg must be a string or a list of strings"),
                shape.getMessage());
    }

    @Test
    void theCommandLinesKubeletArgsComeInOrderInEveryFormUrfaveTakes() {
        assertEquals(List.of("root-dir=/a", "--root-dir=/b", "v=2", "max-pods=9"), KubeletRoots.rancherCommandLineKubeletArgs(List.of(
                "/usr/local/bin/k3s", "server", "--kubelet-arg", "root-dir=/a", "--kubelet-arg=--root-dir=/b", "-kubelet-arg", "v=2",
                "-kubelet-arg=max-pods=9", "--kube-apiserver-arg=x=y"), "cli").stream().map(KubeletArg::value).toList());
    }

    /** k3s's util.GetArgs keeps every value of a key in order; the kubelet then takes the last --root-dir. */
    @Test
    void theLastRootDirAmongTheKubeletArgsWinsAsK3sHandsThemToTheKubelet() {
        KubeletArg config = new KubeletArg("root-dir=/from/config", "/etc/rancher/k3s/config.yaml kubelet-arg");
        KubeletArg commandLine = new KubeletArg("--root-dir=/from/flag", "--kubelet-arg of k3s (pid 7)");
        KubeletArg other = new KubeletArg("max-pods=200", "cli");
        assertEquals(Optional.of(new KubeletArg("/from/flag", "--kubelet-arg of k3s (pid 7)")),
                KubeletRoots.rancherKubeletRoot(List.of(config, other, commandLine)));
        assertEquals(Optional.of(new KubeletArg("/from/config", "/etc/rancher/k3s/config.yaml kubelet-arg")),
                KubeletRoots.rancherKubeletRoot(List.of(config, other)));
        // root-dir- prepends: an earlier plain value stays last.
        assertEquals(Optional.of(new KubeletArg("/from/config", config.origin())),
                KubeletRoots.rancherKubeletRoot(List.of(config, new KubeletArg("root-dir-=/first", "cli"))));
        assertEquals(Optional.of(new KubeletArg("/appended", "cli")),
                KubeletRoots.rancherKubeletRoot(List.of(config, new KubeletArg("root-dir+=/appended", "cli"))));
        assertEquals(Optional.empty(), KubeletRoots.rancherKubeletRoot(List.of(other, new KubeletArg("root-dirs=/x", "cli"))));
    }

    @Test
    void aRootIsNormalizedAndARelativeOneOrOneTheLauncherCannotCarryIsRefusedNamingItsSource() throws Exception {
        assertEquals(new KubeletRoots.KubeletRoot("/data/kubelet", "src"), KubeletRoots.checked("/data//kubelet/", "src"));
        InstallerException relative = assertThrows(InstallerException.class, () -> KubeletRoots.checked("data/kubelet",
                "root-dir in /etc/rancher/k3s/config.yaml kubelet-arg"));
        assertEquals("root-dir in /etc/rancher/k3s/config.yaml kubelet-arg is 'data/kubelet', not an absolute path; the installer cannot tell "
                + "the sandbox runtime where the kubelet keeps its pods' volumes. Give the kubelet an absolute --root-dir", relative.getMessage());
        InstallerException characters = assertThrows(InstallerException.class, () -> KubeletRoots.checked("/data/my kubelet", "src"));
        assertTrue(characters.getMessage().startsWith("src is '/data/my kubelet'; the sandbox runtime takes a kubelet root of letters"),
                characters.getMessage());
    }

    @Test
    void theRunningKubeletsRootWinsOverTheInstallersSettingWhichHoldsOnlyWhereNoneWasRead() {
        KubeletRoots.KubeletRoot running = new KubeletRoots.KubeletRoot("/data/kubelet", "the --root-dir of the kubelet (pid 812)");
        assertEquals(running, KubeletRoots.effective(Optional.of(running), "/data/kubelet"));
        KubeletRoots.KubeletRoot overriding = KubeletRoots.effective(Optional.of(running), "/var/lib/kubelet");
        assertEquals("/data/kubelet", overriding.path());
        assertEquals("the --root-dir of the kubelet (pid 812); the installer's setting /var/lib/kubelet is not what the running kubelet uses",
                overriding.source());
        assertEquals(new KubeletRoots.KubeletRoot("/srv/kubelet", "the installer's setting (STOCKADE_KUBELET_ROOT, from the policy's spec.installer.kubeletRootDir in the DaemonSet; "
                + "default /var/lib/kubelet): no running kubelet's was read"),
                KubeletRoots.effective(Optional.empty(), "/srv/kubelet"));
    }
}
