package dev.stockade.supervisor.notify;

import dev.stockade.api.profile.KernelIdentity;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertEquals;

class UtsNameTest {

    private static String field(byte[] uts, int index) {
        byte[] slice = Arrays.copyOfRange(uts, index * UtsName.FIELD_BYTES, (index + 1) * UtsName.FIELD_BYTES);
        int end = 0;
        while (end < slice.length && slice[end] != 0) {
            end++;
        }
        return new String(slice, 0, end, StandardCharsets.UTF_8);
    }

    @Test
    void fieldsLandWhereGlibcReadsThem() {
        byte[] uts = UtsName.encode(new KernelIdentity(null, "4.4.0", null, null).resolved(), "web-0", "(none)", "x86_64");
        assertEquals(390, uts.length);
        assertEquals("Linux", field(uts, 0));
        assertEquals("web-0", field(uts, 1));
        assertEquals("4.4.0", field(uts, 2));
        assertEquals("#1 SMP Sun Jan 10 15:06:54 PST 2016", field(uts, 3));
        assertEquals("x86_64", field(uts, 4), "an unset machine is the host's");
        assertEquals("(none)", field(uts, 5));
    }

    @Test
    void anOverlongFieldIsCutSoThatItStaysNulTerminated() {
        byte[] uts = UtsName.encode(new KernelIdentity("L", "9".repeat(80), "v", "m"), "n", "d", "x86_64");
        assertEquals("9".repeat(64), field(uts, 2));
        assertEquals(0, uts[2 * UtsName.FIELD_BYTES + 64]);
        assertEquals("m", field(uts, 4));
    }
}
