package dev.stockade.operator.status;

import io.fabric8.kubernetes.api.model.Status;
import io.fabric8.kubernetes.client.KubernetesClientException;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Says in one line which API call a failed reconcile made and what the API server answered, for
 * the policy's Degraded condition: {@code PATCH apps/v1 namespaces/stockade-system/daemonsets/x:
 * 403 Forbidden: <the server's message>}. Pure; the verb and object come from fabric8's message
 * ({@code Failure executing: VERB at: URL. Message: …}), the code and reason from the server's Status.
 */
public final class ApiFailures {

    private static final Pattern REQUEST = Pattern.compile("Failure executing: (\\w+) at: \\S*?/apis?/(\\S+?)\\.? Message:");
    private static final int MAX_LENGTH = 1024;

    public static String describe(Throwable failure) {
        KubernetesClientException api = apiException(failure);
        if (api == null) {
            return clip(failure.getClass().getSimpleName() + ": " + failure.getMessage());
        }
        StringBuilder line = new StringBuilder();
        Matcher request = REQUEST.matcher(String.valueOf(api.getMessage()));
        if (request.find()) {
            line.append(request.group(1)).append(' ').append(request.group(2).replaceFirst("\\?.*", "")).append(": ");
        }
        Status status = api.getStatus();
        if (api.getCode() > 0) {
            line.append(api.getCode()).append(' ');
        }
        if (status != null && status.getReason() != null) {
            line.append(status.getReason()).append(": ");
        }
        line.append(status != null && status.getMessage() != null ? status.getMessage() : api.getMessage());
        return clip(line.toString().strip());
    }

    /** A 409 Conflict: the object changed since it was read; the framework retries with fresh data. */
    public static boolean isConflict(Throwable failure) {
        KubernetesClientException api = apiException(failure);
        return api != null && api.getCode() == 409;
    }

    private static KubernetesClientException apiException(Throwable failure) {
        for (Throwable cause = failure; cause != null; cause = cause.getCause()) {
            if (cause instanceof KubernetesClientException api) {
                return api;
            }
        }
        return null;
    }

    private static String clip(String text) {
        return text.length() <= MAX_LENGTH ? text : text.substring(0, MAX_LENGTH) + "…";
    }

    private ApiFailures() {
    }
}
