package dev.stockade.installer.metrics;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Who may read the node's metrics: the bearer token must be one the API server authenticates
 * (TokenReview) for a user it allows {@code get} on the non-resource URL {@code /metrics}
 * (SubjectAccessReview), the check kube-rbac-proxy and the kubelet make
 * (https://kubernetes.io/docs/reference/access-authn-authz/webhook/). Both answers are kept briefly
 * per token, so that Prometheus scraping every node does not double the API server's load; when
 * the API server cannot answer, access is refused (fail closed).
 */
public final class MetricsAccess {

    /**
     * What a scraper gets: 200, 401 (no or unknown token), 403 (not allowed), 429 (too many tokens to
     * review: a pod sending made-up tokens must not turn this endpoint into load on the API server),
     * 503 (the API server did not answer).
     */
    public enum Outcome {
        ALLOWED(200), UNAUTHENTICATED(401), FORBIDDEN(403), THROTTLED(429), UNAVAILABLE(503);

        public final int httpStatus;

        Outcome(int httpStatus) {
            this.httpStatus = httpStatus;
        }
    }

    public record Decision(Outcome outcome, String reason) {
    }

    /** The authenticated user as the TokenReview names it, for the SubjectAccessReview. */
    public record User(String name, String uid, List<String> groups, Map<String, List<String>> extra) {
    }

    /** The two reviews; either may throw when the API server does not answer. */
    public interface Reviews {
        /** The token's user, or empty when the API server does not authenticate it. */
        Optional<User> authenticate(String token);

        /** Whether {@code user} may {@code verb} the non-resource URL {@code path}. */
        boolean allowed(User user, String path, String verb);
    }

    public static final String PATH = "/metrics";
    static final Duration DECIDED_TTL = Duration.ofMinutes(1);
    static final Duration UNAUTHENTICATED_TTL = Duration.ofSeconds(10);
    static final int MAX_CACHED = 1024;
    /**
     * Reviews per second this endpoint may ask of the API server for tokens it has not allowed
     * before, with a burst of as many; tokens it allowed before (Prometheus' own, whose answer
     * expired) have a budget of their own, so a pod sending made-up tokens cannot starve them.
     */
    static final int REVIEWS_PER_SECOND = 5;
    /** How many allowed tokens are remembered for their own budget: scrapers are few. */
    static final int MAX_REMEMBERED_ALLOWED = 64;

    private record Cached(Decision decision, long expiresNanos) {
    }

    private final Reviews reviews;
    private final Map<String, Cached> cache = new ConcurrentHashMap<>();
    private final Set<String> allowedBefore = ConcurrentHashMap.newKeySet();
    private final Budget unknownTokens = new Budget();
    private final Budget knownTokens = new Budget();

    public MetricsAccess(Reviews reviews) {
        this.reviews = reviews;
    }

    /** Decides for an {@code Authorization} header value (null when absent) at {@code nowNanos}. */
    public Decision decide(String authorization, long nowNanos) {
        if (authorization == null || !authorization.regionMatches(true, 0, "Bearer ", 0, 7) || authorization.substring(7).isBlank()) {
            return new Decision(Outcome.UNAUTHENTICATED, "send a bearer token (Authorization: Bearer <service account token>)");
        }
        String token = authorization.substring(7).strip();
        String key = sha256(token);
        Cached cached = cache.get(key);
        if (cached != null && nowNanos - cached.expiresNanos() < 0) {
            return cached.decision();
        }
        if (!(allowedBefore.contains(key) ? knownTokens : unknownTokens).take(nowNanos)) {
            return new Decision(Outcome.THROTTLED, "too many tokens to check; try again in a second");
        }
        Decision decision;
        try {
            decision = review(token);
        } catch (RuntimeException e) {
            return new Decision(Outcome.UNAVAILABLE, "cannot check the token with the API server: " + e.getMessage());
        }
        if (cache.size() >= MAX_CACHED) {
            cache.values().removeIf(entry -> nowNanos - entry.expiresNanos() >= 0);
            if (cache.size() >= MAX_CACHED) {
                cache.clear();
            }
        }
        if (decision.outcome() == Outcome.ALLOWED) {
            if (allowedBefore.size() >= MAX_REMEMBERED_ALLOWED) {
                allowedBefore.clear();
            }
            allowedBefore.add(key);
        } else {
            allowedBefore.remove(key);
        }
        Duration ttl = decision.outcome() == Outcome.UNAUTHENTICATED ? UNAUTHENTICATED_TTL : DECIDED_TTL;
        cache.put(key, new Cached(decision, nowNanos + ttl.toNanos()));
        return decision;
    }

    /** A token bucket of {@link #REVIEWS_PER_SECOND}; the caller passes the clock. */
    private static final class Budget {
        private double tokens = REVIEWS_PER_SECOND;
        private long atNanos = Long.MIN_VALUE;

        synchronized boolean take(long nowNanos) {
            if (atNanos != Long.MIN_VALUE) {
                tokens = Math.min(REVIEWS_PER_SECOND, tokens + (nowNanos - atNanos) * REVIEWS_PER_SECOND / 1e9);
            }
            atNanos = nowNanos;
            if (tokens < 1) {
                return false;
            }
            tokens -= 1;
            return true;
        }
    }

    private Decision review(String token) {
        Optional<User> user = reviews.authenticate(token);
        if (user.isEmpty()) {
            return new Decision(Outcome.UNAUTHENTICATED, "the API server does not authenticate this token");
        }
        if (!reviews.allowed(user.get(), PATH, "get")) {
            return new Decision(Outcome.FORBIDDEN, "user " + user.get().name() + " may not get " + PATH
                    + "; bind it to a ClusterRole with nonResourceURLs [\"" + PATH + "\"] and verbs [\"get\"] (the chart's stockade-metrics-reader)");
        }
        return new Decision(Outcome.ALLOWED, "user " + user.get().name());
    }

    /** Tokens are kept only as digests. */
    private static String sha256(String token) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(token.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
