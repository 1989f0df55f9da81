package dev.stockade.operator.status;

import io.fabric8.kubernetes.api.model.StatusBuilder;
import io.fabric8.kubernetes.client.KubernetesClientException;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ApiFailuresTest {

    @Test
    void anApiErrorNamesTheVerbTheObjectTheCodeAndTheServersMessage() {
        // The shape fabric8 gives a refused request (seen on a real API server).
        String denial = "daemonsets.apps \"stockade-p-installer\" is forbidden: User \"system:serviceaccount:stockade-system:stockade-operator\""
                + " cannot update resource \"daemonsets\" in API group \"apps\" in the namespace \"stockade-system\"";
        KubernetesClientException e = new KubernetesClientException("Failure executing: PUT at: "
                + "https://10.215.0.1:443/apis/apps/v1/namespaces/stockade-system/daemonsets/stockade-p-installer. Message: " + denial
                + ". Received status: Status(code=403).", 403,
                new StatusBuilder().withCode(403).withReason("Forbidden").withMessage(denial).build());

        assertEquals("PUT apps/v1/namespaces/stockade-system/daemonsets/stockade-p-installer: 403 Forbidden: " + denial,
                ApiFailures.describe(new RuntimeException("reconcile failed", e)));
    }

    @Test
    void aCoreApiPathAndAQueryAreShownWithoutTheServerAddress() {
        KubernetesClientException e = new KubernetesClientException("Failure executing: PATCH at: "
                + "https://10.0.0.1/api/v1/nodes/n1?fieldManager=x. Message: the object has been modified.", 409,
                new StatusBuilder().withCode(409).withReason("Conflict").withMessage("the object has been modified").build());

        assertEquals("PATCH v1/nodes/n1: 409 Conflict: the object has been modified", ApiFailures.describe(e));
    }

    @Test
    void anyOtherFailureIsNamedByItsTypeAndClipped() {
        assertEquals("IllegalStateException: boom", ApiFailures.describe(new IllegalStateException("boom")));
        assertTrue(ApiFailures.describe(new IllegalStateException("x".repeat(5000))).length() <= 1025);
    }
}
