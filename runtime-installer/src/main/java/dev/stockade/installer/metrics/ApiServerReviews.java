package dev.stockade.installer.metrics;

import io.fabric8.kubernetes.api.model.authentication.TokenReview;
import io.fabric8.kubernetes.api.model.authentication.TokenReviewBuilder;
import io.fabric8.kubernetes.api.model.authentication.UserInfo;
import io.fabric8.kubernetes.api.model.authorization.v1.SubjectAccessReview;
import io.fabric8.kubernetes.api.model.authorization.v1.SubjectAccessReviewBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;

import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * The reviews of {@link MetricsAccess} made with the API server (authentication.k8s.io/v1
 * TokenReview, authorization.k8s.io/v1 SubjectAccessReview); the installer's ServiceAccount needs
 * {@code create} on both, as in the built-in {@code system:auth-delegator} ClusterRole.
 */
public final class ApiServerReviews implements MetricsAccess.Reviews {

    private final KubernetesClient client;

    public ApiServerReviews(KubernetesClient client) {
        this.client = client;
    }

    @Override
    public Optional<MetricsAccess.User> authenticate(String token) {
        TokenReview review = client.authentication().v1().tokenReviews()
                .create(new TokenReviewBuilder().withNewSpec().withToken(token).endSpec().build());
        if (review.getStatus() == null || !Boolean.TRUE.equals(review.getStatus().getAuthenticated()) || review.getStatus().getUser() == null) {
            return Optional.empty();
        }
        UserInfo user = review.getStatus().getUser();
        return Optional.of(new MetricsAccess.User(user.getUsername(), user.getUid(),
                Objects.requireNonNullElse(user.getGroups(), List.of()), Objects.requireNonNullElse(user.getExtra(), Map.of())));
    }

    @Override
    public boolean allowed(MetricsAccess.User user, String path, String verb) {
        SubjectAccessReview review = client.authorization().v1().subjectAccessReview().create(new SubjectAccessReviewBuilder()
                .withNewSpec()
                    .withUser(user.name()).withUid(user.uid()).withGroups(user.groups()).withExtra(user.extra())
                    .withNewNonResourceAttributes().withPath(path).withVerb(verb).endNonResourceAttributes()
                .endSpec()
                .build());
        return review.getStatus() != null && Boolean.TRUE.equals(review.getStatus().getAllowed());
    }
}
