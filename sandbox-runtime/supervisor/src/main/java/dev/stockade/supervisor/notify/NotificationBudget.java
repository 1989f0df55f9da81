package dev.stockade.supervisor.notify;

/**
 * A token bucket per container: how many notifications the supervisor answers for one container
 * per second. A container that exceeds it waits in its own blocked syscall; the supervisor's time
 * goes to the others. Pure: the caller passes the clock.
 */
public final class NotificationBudget {

    private final double perSecond;
    private final double burst;
    private double tokens;
    private long lastNanos;

    public NotificationBudget(double perSecond, double burst, long nowNanos) {
        if (perSecond <= 0 || burst < 1) {
            throw new IllegalArgumentException("notification budget needs a positive rate and a burst of at least 1");
        }
        this.perSecond = perSecond;
        this.burst = burst;
        this.tokens = burst;
        this.lastNanos = nowNanos;
    }

    /** Takes one token; returns 0 when one was available, else the nanoseconds to wait before asking again. */
    public long take(long nowNanos) {
        tokens = Math.min(burst, tokens + (nowNanos - lastNanos) * perSecond / 1e9);
        lastNanos = nowNanos;
        if (tokens >= 1) {
            tokens -= 1;
            return 0;
        }
        return (long) Math.ceil((1 - tokens) * 1e9 / perSecond);
    }
}
