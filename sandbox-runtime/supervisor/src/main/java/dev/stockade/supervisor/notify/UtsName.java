package dev.stockade.supervisor.notify;

import dev.stockade.api.profile.KernelIdentity;

import java.nio.charset.StandardCharsets;

/** The bytes of a {@code struct utsname} (six NUL-terminated 65-byte fields) as uname(2) writes it. */
public final class UtsName {

    public static final int FIELD_BYTES = 65;
    public static final int BYTES = 6 * FIELD_BYTES;

    /**
     * The utsname a container sees: the profile's sysname, release, version and machine (the
     * host's machine when the profile leaves it unset), the container's own nodename and domainname.
     */
    public static byte[] encode(KernelIdentity identity, String nodename, String domainname, String hostMachine) {
        byte[] bytes = new byte[BYTES];
        put(bytes, 0, identity.sysname());
        put(bytes, 1, nodename);
        put(bytes, 2, identity.release());
        put(bytes, 3, identity.version());
        put(bytes, 4, identity.machine() == null ? hostMachine : identity.machine());
        put(bytes, 5, domainname);
        return bytes;
    }

    private static void put(byte[] bytes, int field, String value) {
        byte[] encoded = value.getBytes(StandardCharsets.UTF_8);
        // utsname fields hold 64 bytes and a NUL; the API validates the profile's fields to 64 characters.
        System.arraycopy(encoded, 0, bytes, field * FIELD_BYTES, Math.min(encoded.length, FIELD_BYTES - 1));
    }

    private UtsName() {
    }
}
