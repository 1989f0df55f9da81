package dev.stockade.installer.metrics;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class MetricsAccessTest {

    static final MetricsAccess.User PROMETHEUS = new MetricsAccess.User("system:serviceaccount:monitoring:prometheus", "u-1",
            List.of("system:serviceaccounts"), Map.of());
    static final MetricsAccess.User TENANT = new MetricsAccess.User("system:serviceaccount:team-a:default", "u-2", List.of(), Map.of());

    /** The API server's answers as a table: which token is whose, and who may get /metrics. */
    static final class Answers implements MetricsAccess.Reviews {
        final List<String> calls = new ArrayList<>();
        boolean down;

        @Override
        public Optional<MetricsAccess.User> authenticate(String token) {
            calls.add("TokenReview " + token);
            if (down) {
                throw new IllegalStateException("connection refused");
            }
            return switch (token) {
                case "prometheus-token" -> Optional.of(PROMETHEUS);
                case "tenant-token" -> Optional.of(TENANT);
                default -> Optional.empty();
            };
        }

        @Override
        public boolean allowed(MetricsAccess.User user, String path, String verb) {
            calls.add("SubjectAccessReview " + user.name() + " " + verb + " " + path);
            return user.equals(PROMETHEUS) && path.equals("/metrics") && verb.equals("get");
        }
    }

    @Test
    void onlyATokenAllowedToGetMetricsReadsThem() {
        MetricsAccess access = new MetricsAccess(new Answers());
        assertEquals(MetricsAccess.Outcome.UNAUTHENTICATED, access.decide(null, 0).outcome());
        assertEquals(MetricsAccess.Outcome.UNAUTHENTICATED, access.decide("Basic YWRtaW46YWRtaW4=", 0).outcome());
        assertEquals(MetricsAccess.Outcome.UNAUTHENTICATED, access.decide("Bearer forged", 0).outcome());
        MetricsAccess.Decision tenant = access.decide("Bearer tenant-token", 0);
        assertEquals(MetricsAccess.Outcome.FORBIDDEN, tenant.outcome());
        assertTrue(tenant.reason().contains("user system:serviceaccount:team-a:default may not get /metrics")
                && tenant.reason().contains("stockade-metrics-reader"), tenant.reason());
        assertEquals(MetricsAccess.Outcome.ALLOWED, access.decide("bearer prometheus-token", 0).outcome());
        assertEquals(403, MetricsAccess.Outcome.FORBIDDEN.httpStatus);
    }

    @Test
    void answersAreKeptBrieflySoScrapesDoNotLoadTheApiServer() {
        Answers answers = new Answers();
        MetricsAccess access = new MetricsAccess(answers);
        access.decide("Bearer prometheus-token", 0);
        access.decide("Bearer prometheus-token", MetricsAccess.DECIDED_TTL.toNanos() - 1);
        assertEquals(2, answers.calls.size(), answers.calls.toString());
        access.decide("Bearer prometheus-token", MetricsAccess.DECIDED_TTL.toNanos());
        assertEquals(4, answers.calls.size(), "a revoked grant takes effect within a minute: " + answers.calls);
    }

    @Test
    void whenTheApiServerDoesNotAnswerNobodyReads() {
        Answers answers = new Answers();
        MetricsAccess access = new MetricsAccess(answers);
        answers.down = true;
        MetricsAccess.Decision decision = access.decide("Bearer prometheus-token", 0);
        assertEquals(MetricsAccess.Outcome.UNAVAILABLE, decision.outcome());
        assertTrue(decision.reason().contains("connection refused"), decision.reason());
        answers.down = false;
        assertEquals(MetricsAccess.Outcome.ALLOWED, access.decide("Bearer prometheus-token", 1).outcome(), "a failure is not remembered");
    }

    @Test
    void madeUpTokensCannotTurnTheEndpointIntoLoadOnTheApiServerNorStarvePrometheus() {
        Answers answers = new Answers();
        MetricsAccess access = new MetricsAccess(answers);
        assertEquals(MetricsAccess.Outcome.ALLOWED, access.decide("Bearer prometheus-token", 0).outcome());
        answers.calls.clear();
        long later = MetricsAccess.DECIDED_TTL.toNanos() + 1;
        for (int i = 0; i < 100; i++) {
            access.decide("Bearer made-up-" + i, later);
        }
        assertEquals(MetricsAccess.REVIEWS_PER_SECOND, answers.calls.size(), "reviews asked in one instant: " + answers.calls.size());
        assertEquals(MetricsAccess.Outcome.THROTTLED, access.decide("Bearer made-up-101", later).outcome());
        assertEquals(MetricsAccess.Outcome.ALLOWED, access.decide("Bearer prometheus-token", later).outcome(),
                "a token allowed before is checked again on a budget of its own, while made-up ones are refused");
        assertEquals(MetricsAccess.Outcome.UNAUTHENTICATED, access.decide("Bearer made-up-101", later + 1_000_000_000L).outcome(),
                "a second later the budget for new tokens is back");
    }
}
