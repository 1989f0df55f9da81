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
     * node's Stockade labels and taint itself (and says so in an Event).
     */
    @WithDefault("PT10M")
    Duration removalTimeout();

    LeaderElection leaderElection();

    /**
     * How many node patches the operator has in flight at once, over every policy it fences or
     * releases (each a JSON patch of one node); at least 1. At 5000 KWOK nodes on a 2-core machine
     * 32 fenced 20 policies' pools in 75 s where 16 took 91 and 105 s (the DaemonSet controller
     * creates the installer pods of the pools already fenced meanwhile), and one pool of 4000 in
     * 31 s, as 16 did (30 and 36 s): the API server was at a full core either way.
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
