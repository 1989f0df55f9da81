package dev.stockade.installer.supervisor;

/**
 * What an install pass does with the node's supervisor. Pure: the caller says what it found.
 * The supervisor is started only when an installed profile needs it (kernel identity or
 * tripwires): it is a root daemon with a metrics port, and a node whose profiles never use it
 * should not carry it. Once running it is kept until uninstall, since containers created while a
 * profile needed it still hold their notification fds with it.
 */
public enum SupervisorDecision {
    /** Not needed and not running: nothing to do. */
    NONE,
    /** Running, and from the installed release (or not needed any more): leave it. */
    KEEP,
    /** Needed and not answering: start it. */
    START,
    /**
     * Running from an older release or with another metrics address: start the new one on the
     * same socket; the old one hands over and exits.
     */
    HAND_OVER;

    public static SupervisorDecision decide(boolean needed, boolean answering, boolean outdated) {
        if (answering) {
            return outdated ? HAND_OVER : KEEP;
        }
        return needed ? START : NONE;
    }
}
