package dev.stockade.installer.metrics;

import dev.stockade.api.node.NodeMetrics;
import io.fabric8.kubernetes.api.model.authentication.TokenReviewBuilder;
import io.fabric8.kubernetes.api.model.authorization.v1.SubjectAccessReviewBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.List;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509TrustManager;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The endpoint as a scraper meets it: real TLS with the keytool-made certificate, the reviews as
 * the API server answers them (fabric8's mock server), the supervisor's series from a real socket.
 */
@EnableKubernetesMockClient
class MetricsEndpointTest {

    KubernetesMockServer server;
    KubernetesClient client;

    @TempDir
    Path hostRoot;

    @Test
    void onlyAnAllowedTokenGetsTheNodesSeriesOverTls() throws Exception {
        server.expect().post().withPath("/apis/authentication.k8s.io/v1/tokenreviews")
                .andReturn(200, new TokenReviewBuilder().withNewStatus().withAuthenticated(true)
                        .withNewUser().withUsername("system:serviceaccount:monitoring:prometheus").withGroups("system:serviceaccounts").endUser()
                        .endStatus().build()).once();
        server.expect().post().withPath("/apis/authorization.k8s.io/v1/subjectaccessreviews")
                .andReturn(201, new SubjectAccessReviewBuilder().withNewStatus().withAllowed(true).endStatus().build()).once();
        server.expect().post().withPath("/apis/authentication.k8s.io/v1/tokenreviews")
                .andReturn(201, new TokenReviewBuilder().withNewStatus().withAuthenticated(false).endStatus().build()).once();

        Path socket = hostRoot.resolve(NodeMetrics.SUPERVISOR_SOCKET.substring(1));
        NodeMetricsView view = new NodeMetricsView("untrusted",
                path -> NodeMetrics.read(hostRoot.resolve(path.substring(1)), Duration.ofSeconds(2)));
        view.installed(NodeMetricsViewTest.installed(true, java.util.Set.of()));
        try (NodeMetrics.Endpoint supervisor = NodeMetrics.serve(socket, () -> "stockade_supervisor_containers 3\n");
             MetricsServer endpoint = new MetricsServer(0, SelfSignedCertificate.create("localhost"),
                     new MetricsAccess(new ApiServerReviews(client)), view::render);
             HttpClient http = HttpClient.newBuilder().sslContext(trustingAnyCertificate()).build()) {
            URI metrics = URI.create("https://localhost:" + endpoint.port() + "/metrics");

            HttpResponse<String> anonymous = http.send(HttpRequest.newBuilder(metrics).build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(401, anonymous.statusCode(), anonymous.body());
            assertEquals(List.of("Bearer realm=\"stockade-node-metrics\""), anonymous.headers().allValues("WWW-Authenticate"));

            HttpResponse<String> allowed = http.send(HttpRequest.newBuilder(metrics).header("Authorization", "Bearer prometheus").build(),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals(200, allowed.statusCode(), allowed.body());
            assertTrue(allowed.body().contains("stockade_supervisor_up 1\nstockade_supervisor_containers 3\n"), allowed.body());
            assertTrue(allowed.headers().firstValue("Content-Type").orElse("").startsWith("text/plain; version=0.0.4"));

            HttpResponse<String> forged = http.send(HttpRequest.newBuilder(metrics).header("Authorization", "Bearer forged").build(),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals(401, forged.statusCode(), forged.body());

            // The SubjectAccessReview asked exactly for get on the non-resource URL /metrics, as the user the TokenReview named.
            String review = server.getRequestCount() >= 2 ? requestBodies() : "";
            assertTrue(review.contains("\"nonResourceAttributes\":{\"path\":\"/metrics\",\"verb\":\"get\"}")
                    && review.contains("\"user\":\"system:serviceaccount:monitoring:prometheus\""), review);
        }
    }

    private String requestBodies() throws InterruptedException {
        StringBuilder bodies = new StringBuilder();
        for (int i = 0; i < 3; i++) {
            var request = server.takeRequest(1, java.util.concurrent.TimeUnit.SECONDS);
            if (request != null) {
                bodies.append(request.getPath()).append(' ').append(request.getBody().readUtf8()).append('\n');
            }
        }
        return bodies.toString();
    }

    /** Scrapers do not verify the node's self-signed certificate (they authenticate with the token). */
    static SSLContext trustingAnyCertificate() throws Exception {
        SSLContext tls = SSLContext.getInstance("TLS");
        tls.init(null, new TrustManager[] {new X509TrustManager() {
            @Override
            public void checkClientTrusted(X509Certificate[] chain, String authType) {
            }

            @Override
            public void checkServerTrusted(X509Certificate[] chain, String authType) {
            }

            @Override
            public X509Certificate[] getAcceptedIssuers() {
                return new X509Certificate[0];
            }
        }}, null);
        return tls;
    }
}
