package dev.stockade.runtime.cli;

import dev.stockade.runtime.spec.ResourceUpdate;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** The update command lines the engines write: containerd's and Docker's (go-runc), CRI-O's, and runc's own option forms. */
class RuncUpdateTest {

    @Test
    void goRuncsResourcesOnStandardInput() {
        RuncUpdate update = RuncUpdate.parse(RuncCommandLine.parse(List.of("--root", "/run/containerd/runc/k8s.io", "--log",
                "/run/x/log.json", "--log-format", "json", "--systemd-cgroup", "update", "--resources=-", "abc")));
        assertEquals(List.of("--root", "/run/containerd/runc/k8s.io", "--log", "/run/x/log.json", "--log-format", "json", "--systemd-cgroup"),
                update.globalArguments());
        assertEquals(Optional.of("-"), update.resources());
        assertEquals(List.of(), update.options());
        assertEquals(List.of("abc"), update.operands());
    }

    @Test
    void everyOptionFormTakesAValue() {
        RuncUpdate update = RuncUpdate.parse(RuncCommandLine.parse(List.of("update", "-r", "/tmp/r.json", "--pids-limit", "5",
                "-memory=64m", "--cpuset-cpus=0-1", "id", "extra")));
        assertEquals(Optional.of("/tmp/r.json"), update.resources());
        assertEquals(List.of(new ResourceUpdate.Option("pids-limit", "5"), new ResourceUpdate.Option("memory", "64m"),
                new ResourceUpdate.Option("cpuset-cpus", "0-1")), update.options());
        assertEquals(List.of("id", "extra"), update.operands(), "runc refuses more than one operand; so does the check");
        assertEquals(List.of(), update.globalArguments());
    }

    @Test
    void helpTakesNoValue() {
        RuncUpdate update = RuncUpdate.parse(RuncCommandLine.parse(List.of("update", "--help", "id")));
        assertEquals(List.of(new ResourceUpdate.Option("help", "")), update.options());
        assertEquals(List.of("id"), update.operands());
    }
}
