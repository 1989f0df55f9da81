package dev.stockade.operator.pool;

import java.time.Duration;

/**
 * When a policy needs another look though no event may arrive. A removal timeout passes without
 * any write to the node, a node another policy still holds is freed by that policy's write, which
 * the node watch sees but which may come late, and an admission object someone deleted sends no
 * event at all. Pure.
 */
public final class Requeue {

    /** How often a pool in the middle of a handover is looked at again. */
    public static final Duration WHILE_HANDING_OVER = Duration.ofSeconds(10);

    /**
     * How often a settled pool is looked at anyway: the admission objects have no watch (their API
     * may not be served), so a deleted binding is put back at the latest after this.
     */
    public static final Duration SETTLED = Duration.ofMinutes(5);

    /**
     * @param leaving           nodes in the removal handshake ({@link NodeRemoval})
     * @param waitingForRelease members still held by another live policy
     * @return when to reconcile again at the latest
     */
    public static Duration after(int leaving, int waitingForRelease) {
        return leaving > 0 || waitingForRelease > 0 ? WHILE_HANDING_OVER : SETTLED;
    }

    private Requeue() {
    }
}
