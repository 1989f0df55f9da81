package dev.stockade.operator.pool;

import java.time.Duration;
import java.util.Optional;

/**
 * When a policy needs another look though no event may arrive. A removal timeout passes without
 * any write to the node, and a node another policy still holds is freed by that policy's write,
 * which the node watch sees but which may come late. Pure.
 */
public final class Requeue {

    /** How often a pool in the middle of a handover is looked at again. */
    public static final Duration WHILE_HANDING_OVER = Duration.ofSeconds(10);

    /**
     * @param leaving           nodes in the removal handshake ({@link NodeRemoval})
     * @param waitingForRelease members still held by another live policy
     * @return when to reconcile again; empty when events alone suffice
     */
    public static Optional<Duration> after(int leaving, int waitingForRelease) {
        return leaving > 0 || waitingForRelease > 0 ? Optional.of(WHILE_HANDING_OVER) : Optional.empty();
    }

    private Requeue() {
    }
}
