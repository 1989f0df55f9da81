package dev.stockade.operator.status;

import dev.stockade.operator.policy.SandboxPolicy;
import io.fabric8.kubernetes.api.model.EventBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import jakarta.enterprise.context.ApplicationScoped;
import org.jboss.logging.Logger;

import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.UUID;

/**
 * Kubernetes Events about a policy ({@code kubectl describe sbp NAME} shows them). Events of a
 * cluster-scoped object live in the default namespace. Callers emit only on transitions, so a
 * reconcile loop does not flood the API.
 */
@ApplicationScoped
public class PolicyEvents {

    private static final Logger LOG = Logger.getLogger(PolicyEvents.class);
    private static final String EVENT_NAMESPACE = "default";

    private final KubernetesClient client;

    public PolicyEvents(KubernetesClient client) {
        this.client = client;
    }

    public void normal(SandboxPolicy policy, String reason, String message) {
        emit(policy, "Normal", reason, message);
    }

    public void warning(SandboxPolicy policy, String reason, String message) {
        emit(policy, "Warning", reason, message);
    }

    private void emit(SandboxPolicy policy, String type, String reason, String message) {
        LOG.infof("policy %s: %s %s", policy.getMetadata().getName(), reason, message);
        String now = Instant.now().truncatedTo(ChronoUnit.SECONDS).toString();
        try {
            client.v1().events().inNamespace(EVENT_NAMESPACE).resource(new EventBuilder()
                    .withNewMetadata()
                        .withName(policy.getMetadata().getName() + "." + UUID.randomUUID().toString().substring(0, 8))
                        .withNamespace(EVENT_NAMESPACE)
                    .endMetadata()
                    .withNewInvolvedObject()
                        .withApiVersion(policy.getApiVersion())
                        .withKind(policy.getKind())
                        .withName(policy.getMetadata().getName())
                        .withUid(policy.getMetadata().getUid())
                    .endInvolvedObject()
                    .withType(type)
                    .withReason(reason)
                    .withMessage(message)
                    .withFirstTimestamp(now)
                    .withLastTimestamp(now)
                    .withCount(1)
                    .withNewSource().withComponent("stockade-operator").endSource()
                    .build()).create();
        } catch (KubernetesClientException e) {
            // An event is a courtesy; failing the reconcile for it would stall the real work.
            LOG.warnf("could not record event %s for policy %s: %s", reason, policy.getMetadata().getName(), e.getMessage());
        }
    }
}
