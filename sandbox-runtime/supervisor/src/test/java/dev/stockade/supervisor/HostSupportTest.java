package dev.stockade.supervisor;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class HostSupportTest {

    @Test
    void thisKindOfHostIsSupported() {
        assertEquals(List.of(), HostSupport.problems("6.18.44-fc", "amd64", "runc",
                "runc version 1.1.5+ds1\ncommit: 1.1.5+ds1-1+deb12u1\nspec: 1.0.2-dev"));
        assertEquals(List.of(), HostSupport.problems("5.10.0-26-amd64", "amd64", "crun", "crun version 1.8.1\ncommit: x"));
    }

    @Test
    void anOldKernelIsNamedWithTheVersionNeeded() {
        List<String> problems = HostSupport.problems("4.19.0-25-amd64", "amd64", "runc", "runc version 1.1.5");
        assertEquals(1, problems.size());
        assertTrue(problems.getFirst().contains("4.19.0-25-amd64") && problems.getFirst().contains("5.0"), problems.getFirst());
    }

    @Test
    void anOldOrMissingRuncIsNamedWithTheVersionNeeded() {
        List<String> old = HostSupport.problems("6.1.0", "amd64", "runc", "runc version 1.0.3\ncommit: v1.0.3");
        assertTrue(old.getFirst().contains("runc 1.0.3") && old.getFirst().contains("1.1 or newer"), old.getFirst());
        List<String> missing = HostSupport.problems("6.1.0", "amd64", "runc", null);
        assertTrue(missing.getFirst().contains("not found"), missing.getFirst());
    }

    @Test
    void otherArchitecturesAreReported() {
        assertTrue(HostSupport.problems("6.1.0", "aarch64", "runc", "runc version 1.1.5").getFirst().contains("aarch64"));
    }
}
