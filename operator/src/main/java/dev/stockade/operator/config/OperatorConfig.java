package dev.stockade.operator.config;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

import java.time.Duration;

/** Operator settings (application.properties, or STOCKADE_* environment variables). */
@ConfigMapping(prefix = "stockade")
public interface OperatorConfig {

    /** Namespace of the installer DaemonSets and profile ConfigMaps: the operator's own. */
    @WithDefault("stockade-system")
    String namespace();

    Installer installer();

    /**
     * How long a leaving node's installer may take to uninstall before the operator removes the
     * node's Stockade labels and taint itself (and says so in an Event). More than zero
     * ({@link SettingsCheck}); ISO-8601 (PT10M), a number with ms, s, m, h or d (10m), or whole seconds.
     */
    @WithDefault("PT10M")
    Duration removalTimeout();

    LeaderElection leaderElection();

    /**
     * How many node patches the operator has in flight at once, over every policy it fences or
     * releases (each a JSON patch of one node); at least 1. More take a larger share of a busy API
     * server: at 5000 KWOK nodes on a 2-core machine, 20 policies' pools were fenced in 75 s at 32,
     * 91 and 105 s at 16, and 62 and 72 s at the earlier 16 per reconcile (up to 64), while one
     * pool of 4000 took 31 s at 32 as at 16 (30 and 36 s), the API server at a full core (README,
     * scale benchmark).
     */
    @WithDefault("32")
    int nodeWriteConcurrency();

    Admission admission();

    interface Admission {
        /**
         * Whether each policy gets the pool fence (admission.PoolFence): pods that would run on
         * the pool must use one of its RuntimeClasses.
         */
        @WithDefault("true")
        boolean fence();
    }

    interface Installer {
        /** Image used when a policy does not name one; set by the build to the matching release. */
        String image();

        /** Pre-created ServiceAccount (chart and manifests) with only the installer's RBAC. */
        @WithDefault("stockade-installer")
        String serviceAccount();

        /** Port of the installer's health endpoint (readiness: the node's install is verified). */
        @WithDefault("8090")
        int healthPort();

        /**
         * Port of the node's Prometheus endpoint in each installer pod (HTTPS /metrics, for bearer
         * tokens allowed to get the non-resource URL /metrics); 0 turns it off.
         */
        @WithDefault("9465")
        int metricsPort();
    }

    interface LeaderElection {
        @WithDefault("stockade-operator-leader")
        String leaseName();
    }
}
