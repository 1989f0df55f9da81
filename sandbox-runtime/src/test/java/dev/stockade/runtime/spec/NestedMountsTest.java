package dev.stockade.runtime.spec;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.stockade.api.profile.SandboxProfile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.Map;
import java.util.Set;

import static dev.stockade.runtime.spec.Specs.assertRefusal;
import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * A mount inside a volume other containers write (CVE-2025-52881 family): on a runc that looks
 * destinations up at mount time, following links, one of them could redirect it over /dev or
 * /proc between the check and the mount.
 */
class NestedMountsTest {

    static final String POD = SpecValidatorTest.POD;
    static final String CACHE = POD + "/volumes/kubernetes.io~empty-dir/cache";
    static final String TOKEN = POD + "/volumes/kubernetes.io~secret/token";
    static final String DEBIAN_RUNC = "runc version 1.1.5+ds1\ncommit: 1.1.5+ds1-1+deb12u1\nspec: 1.0.2-dev\ngo: go1.19.8\nlibseccomp: 2.5.4\n";

    private static SpecValidator on(String versionOutput) {
        return on(SandboxProfile.defaults(), versionOutput);
    }

    private static SpecValidator on(SandboxProfile profile, String versionOutput) {
        return new SpecValidator(profile, "untrusted", Specs.withRuntimeVersion(Specs.PLAIN_HOST, versionOutput),
                "/var/lib/kubelet", "/usr/sbin/runc");
    }

    /** The CRI sample with an emptyDir at /a (mounts[14]) and a secret at /a/b (mounts[15]). */
    private static ObjectNode secretInsideEmptyDir(String... outerOptions) {
        ObjectNode spec = Specs.withHostPath(Specs.withHostPath(Specs.app(), CACHE, "/a"), TOKEN, "/a/b");
        if (outerOptions.length > 0) {
            ArrayNode options = ((ObjectNode) spec.get("mounts").get(14)).putArray("options");
            for (String option : outerOptions) {
                options.add(option);
            }
        }
        return spec;
    }

    private static Refusal refused(SpecValidator validator, ObjectNode spec) {
        return assertThrows(Refusal.class, () -> validator.validate(spec, Specs.BUNDLE, Specs.ID));
    }

    @Test
    void aVolumeInsideAnEmptyDirIsRefusedOnRunc115NamingBothMountsAndTheFixes() {
        Refusal refusal = refused(on(DEBIAN_RUNC), secretInsideEmptyDir());
        assertRefusal(refusal, "mounts[15].destination", "nested-mount",
                "a bind mount of " + TOKEN + " at /a/b lies inside mounts[14], a bind mount of " + CACHE + " at /a",
                "a volume of the pod, which its other containers may mount writable",
                "replace b there with a symbolic link to /dev, /proc/sys",
                "runc 1.1.5 (/usr/sbin/runc)",
                "Mount it outside /a", "use a volume no container writes there",
                "upgrade runc to 1.2.8, 1.3.3 or 1.4.0-rc.3 or later");
    }

    /** Another container of the pod may mount the same emptyDir writable: a read-only mount here does not keep its links out. */
    @Test
    void aReadOnlyMountOfAWritableVolumeIsStillRefused() {
        Refusal refusal = refused(on(DEBIAN_RUNC), secretInsideEmptyDir("rbind", "rprivate", "ro"));
        assertRefusal(refusal, "mounts[15].destination", "nested-mount", "a read-only mount here does not stop them");
    }

    @ParameterizedTest
    @ValueSource(strings = {"runc version 1.2.8", "runc version 1.2.9\ncommit: v1.2.9-0-g1234567", "runc version 1.3.3",
            "runc version 1.3.6+dev", "runc version 1.4.0-rc.3", "runc version 1.4.0", "runc version 1.4.2", "runc version 1.5.0-rc.1",
            "runc version 2.0.0"})
    void onARuncWithTheFixesTheSameSpecPasses(String versionOutput) {
        assertDoesNotThrow(() -> on(versionOutput).validate(secretInsideEmptyDir(), Specs.BUNDLE, Specs.ID));
    }

    /** Older branches, releases before the fixes, distribution versions of old branches, crun and anything unreadable. */
    @ParameterizedTest
    @ValueSource(strings = {"runc version 1.1.15", "runc version 1.2.7", "runc version 1.2.8-rc.1", "runc version 1.3.2",
            "runc version 1.4.0-rc.2", "runc version 1.1.12-0ubuntu2~22.04.1", "runc version 1.0.0-rc93", "runc version unknown",
            "crun version 1.19.1\ncommit: 3e32a70c93f5aa5fea69b50256cca7fd4aa23c80", ""})
    void onAnyOtherDelegateTheSpecIsRefused(String versionOutput) {
        assertEquals("nested-mount", refused(on(versionOutput), secretInsideEmptyDir()).rule());
    }

    @Test
    void aDelegateWhoseVersionCannotBeReadCountsAsWithoutTheFixes() {
        SpecValidator validator = new SpecValidator(SandboxProfile.defaults(), "untrusted", Specs.PLAIN_HOST, "/var/lib/kubelet", "/usr/bin/crun");
        assertRefusal(refused(validator, secretInsideEmptyDir()), "mounts[15].destination", "nested-mount",
                "a runtime whose version cannot be read (/usr/bin/crun)");
    }

    /** The kubelet writes API-data volumes and mounts them read-only into every container: nothing else can plant a link there. */
    @ParameterizedTest
    @ValueSource(strings = {"kubernetes.io~configmap/app-config", "kubernetes.io~secret/tls", "kubernetes.io~projected/kube-api-access-x7k2p",
            "kubernetes.io~downward-api/labels"})
    void aVolumeInsideAnApiDataVolumePassesOnRunc115(String volume) {
        ObjectNode spec = Specs.withHostPath(Specs.withHostPath(Specs.app(), POD + "/volumes/" + volume, "/etc/app"), CACHE, "/etc/app/cache");
        assertDoesNotThrow(() -> on(DEBIAN_RUNC).validate(spec, Specs.BUNDLE, Specs.ID));
    }

    @Test
    void insideAReadOnlyAllowedHostPathPassesAndInsideAWritableOneIsRefused() {
        SandboxProfile profile = Specs.profile("{\"allowedHostPaths\":[{\"path\":\"/srv/models\"},{\"path\":\"/srv/shared\",\"readOnly\":false}]}");
        assertDoesNotThrow(() -> on(profile, DEBIAN_RUNC).validate(Specs.withHostPath(Specs.withHostPath(Specs.app(), "/srv/models", "/models"),
                CACHE, "/models/cache"), Specs.BUNDLE, Specs.ID));
        Refusal refusal = refused(on(profile, DEBIAN_RUNC), Specs.withHostPath(Specs.withHostPath(Specs.app(), "/srv/shared", "/shared"),
                CACHE, "/shared/cache"));
        assertRefusal(refusal, "mounts[15].destination", "nested-mount",
                "the profile's allowedHostPaths entry /srv/shared (readOnly: false), which every container of sandbox profile untrusted may mount");
    }

    /** Kubernetes' own mounts are nested only when the pod puts a writable volume above them, as an emptyDir at /var. */
    @Test
    void theServiceAccountTokenIsRefusedOnlyUnderAWritableVolume() {
        assertDoesNotThrow(() -> on(DEBIAN_RUNC).validate(Specs.app(), Specs.BUNDLE, Specs.ID));
        assertDoesNotThrow(() -> on(DEBIAN_RUNC).validate(Specs.pause(), Specs.BUNDLE, Specs.SANDBOX_ID));
        ObjectNode spec = Specs.app();
        ArrayNode mounts = (ArrayNode) spec.get("mounts");
        ObjectNode var = mounts.insertObject(6).put("destination", "/var").put("type", "bind").put("source", CACHE);
        var.putArray("options").add("rbind").add("rprivate").add("rw");
        Refusal refusal = refused(on(DEBIAN_RUNC), spec);
        assertRefusal(refusal, "mounts[12].destination", "nested-mount",
                "at /var/run/secrets/kubernetes.io/serviceaccount lies inside mounts[6]", "replace run there");
    }

    /** Whatever the inner mount is: a tmpfs redirected over /proc/sys is CVE-2025-52881 itself. */
    @Test
    void aTmpfsInsideAWritableVolumeIsRefusedToo() {
        ObjectNode spec = Specs.withHostPath(Specs.app(), CACHE, "/a");
        ((ArrayNode) spec.get("mounts")).addObject().put("destination", "/a/b/../c/./d").put("type", "tmpfs").put("source", "tmpfs");
        assertRefusal(refused(on(DEBIAN_RUNC), spec), "mounts[15].destination", "nested-mount", "a tmpfs mount at /a/b/../c/./d", "replace c there");
    }

    /** Only strictly below: the same place again, a sibling with a common prefix, and a volume mounted before its outer one are not inside it. */
    @Test
    void mountsBesideOrBeforeAWritableVolumeAreNotNested() {
        assertDoesNotThrow(() -> on(DEBIAN_RUNC).validate(Specs.withHostPath(Specs.withHostPath(Specs.app(), CACHE, "/a"), TOKEN, "/ab"),
                Specs.BUNDLE, Specs.ID));
        assertDoesNotThrow(() -> on(DEBIAN_RUNC).validate(Specs.withHostPath(Specs.withHostPath(Specs.app(), CACHE, "/a"), TOKEN, "/a"),
                Specs.BUNDLE, Specs.ID));
        assertDoesNotThrow(() -> on(DEBIAN_RUNC).validate(Specs.withHostPath(Specs.withHostPath(Specs.app(), TOKEN, "/a/b"), CACHE, "/a"),
                Specs.BUNDLE, Specs.ID));
    }

    /** The image's own links are followed as runc follows them: a path of the image that leads into the volume is inside it. */
    @Test
    void aDestinationTheImageRoutesIntoAWritableVolumeIsRefused() {
        HostView host = Specs.withRuntimeVersion(Specs.host(Map.of(), Set.of(), Map.of(Specs.ROOTFS + "/data", HostView.Entry.link("/a"))),
                DEBIAN_RUNC);
        SpecValidator validator = new SpecValidator(SandboxProfile.defaults(), "untrusted", host, "/var/lib/kubelet", "/usr/sbin/runc");
        ObjectNode spec = Specs.withHostPath(Specs.withHostPath(Specs.app(), CACHE, "/a"), TOKEN, "/data/b");
        assertRefusal(refused(validator, spec), "mounts[15].destination", "nested-mount", "at /data/b lies inside mounts[14]");
    }

    @Test
    void runcReleasesAreReadFromTheFirstLineOfTheirVersionOutput() {
        assertEquals("1.1.5", RuncRelease.of(DEBIAN_RUNC).orElseThrow().toString());
        assertEquals("1.4.0-rc.3", RuncRelease.of("runc version 1.4.0-rc.3+dev\ncommit: abc").orElseThrow().toString());
        assertEquals(java.util.Optional.empty(), RuncRelease.of("crun version 1.19.1"));
        assertEquals(java.util.Optional.empty(), RuncRelease.of("commit: v1.2.8\nrunc version 1.2.8"));
        assertEquals(java.util.Optional.empty(), RuncRelease.of(null));
    }
}
