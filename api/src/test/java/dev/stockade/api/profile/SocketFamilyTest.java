package dev.stockade.api.profile;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** The names and numbers are the kernel's: checked against the C headers of the build machine when it has them. */
class SocketFamilyTest {

    private static Map<String, Integer> defines(Path header, String prefix, int firstLine, int lastLine) throws IOException {
        Map<String, Integer> numbers = new TreeMap<>();
        Pattern define = Pattern.compile("#define\\s+" + prefix + "(\\w+)\\s+(\\d+)\\b.*");
        var lines = Files.readAllLines(header).subList(firstLine, lastLine);
        for (String line : lines) {
            Matcher matcher = define.matcher(line);
            if (matcher.matches()) {
                numbers.put(matcher.group(1), Integer.parseInt(matcher.group(2)));
            }
        }
        return numbers;
    }

    @Test
    void familiesAreGlibcsProtocolFamilies() throws IOException {
        Path header = Path.of("/usr/include/x86_64-linux-gnu/bits/socket.h");
        assumeTrue(Files.exists(header), "glibc's headers (libc6-dev) are not installed");
        Map<String, Integer> kernel = defines(header, "PF_", 0, Files.readAllLines(header).size());
        kernel.remove("MAX");
        kernel.remove("UNSPEC");
        // glibc spells the number once, as PF_LOCAL; PF_UNIX is its alias.
        kernel.put("UNIX", kernel.remove("LOCAL"));
        Map<String, Integer> ours = new TreeMap<>();
        for (SocketFamily family : SocketFamily.values()) {
            if (!family.isNetlinkProtocol()) {
                ours.put(family.name().substring("AF_".length()), family.number());
            }
        }
        assertEquals(kernel, ours);
    }

    @Test
    void netlinkProtocolsAreTheKernelsUapiOnes() throws IOException {
        Path header = Path.of("/usr/include/linux/netlink.h");
        assumeTrue(Files.exists(header), "the kernel's uapi headers (linux-libc-dev) are not installed");
        // The protocols are the first block of defines; socket options reuse the prefix further down.
        Map<String, Integer> kernel = defines(header, "NETLINK_", 0, 40);
        kernel.remove("UNUSED");
        Map<String, Integer> ours = new TreeMap<>();
        for (SocketFamily family : SocketFamily.values()) {
            if (family.isNetlinkProtocol()) {
                ours.put(family.name().substring("NETLINK_".length()), family.number());
            }
        }
        assertEquals(kernel, ours);
    }
}
