package dev.stockade.operator.config;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * The operator's settings that its config mapping's types alone do not rule out, checked once at
 * start so that a bad value stops the operator with a message instead of acting on it.
 */
public final class SettingsCheck {

    private SettingsCheck() {
    }

    /**
     * @param nodeWriteConcurrency {@link OperatorConfig#nodeWriteConcurrency()}
     * @param removalTimeout       {@link OperatorConfig#removalTimeout()}
     * @throws IllegalArgumentException naming each bad setting, its environment variable and what to set
     */
    public static void check(int nodeWriteConcurrency, Duration removalTimeout) {
        List<String> problems = new ArrayList<>();
        if (nodeWriteConcurrency < 1) {
            problems.add("stockade.node-write-concurrency (STOCKADE_NODE_WRITE_CONCURRENCY) is " + nodeWriteConcurrency
                    + ": set it to 1 or more");
        }
        // Zero would release every leaving node at once, its runtime still installed and its sandboxed pods
        // still running: the uninstall handshake would never get a chance.
        if (removalTimeout.isZero() || removalTimeout.isNegative()) {
            problems.add("stockade.removal-timeout (STOCKADE_REMOVAL_TIMEOUT) is " + removalTimeout
                    + ": set a positive duration such as PT10M or 10m, long enough for an installer to uninstall");
        }
        if (!problems.isEmpty()) {
            throw new IllegalArgumentException(String.join("; ", problems));
        }
    }
}
