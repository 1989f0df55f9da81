package dev.stockade.operator.config;

import io.javaoperatorsdk.operator.api.config.LeaderElectionConfiguration;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;

/**
 * One active operator replica at a time: the lease lives in the operator's namespace. The Quarkus
 * Operator SDK activates it in the prod profile only (the test API server cannot answer the access
 * review that leader election starts with).
 */
public class LeaderElection {

    @Produces
    @Singleton
    LeaderElectionConfiguration leaderElectionConfiguration(OperatorConfig config) {
        return new LeaderElectionConfiguration(config.leaderElection().leaseName(), config.namespace());
    }
}
