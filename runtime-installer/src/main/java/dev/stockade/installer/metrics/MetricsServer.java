package dev.stockade.installer.metrics;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import dev.stockade.installer.report.PlainText;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Supplier;
import javax.net.ssl.SSLContext;

/**
 * The node's Prometheus endpoint: {@code GET /metrics} over HTTPS on the installer pod's metrics
 * port, answered only for tokens {@link MetricsAccess} allows; 401, 403 or 503 otherwise, with the
 * reason in the body.
 */
public final class MetricsServer implements AutoCloseable {

    private final HttpsServer server;
    private final ExecutorService executor = Executors.newVirtualThreadPerTaskExecutor();

    public MetricsServer(int port, SSLContext tls, MetricsAccess access, Supplier<String> render) throws IOException {
        server = HttpsServer.create(new InetSocketAddress(port), 0);
        server.setHttpsConfigurator(new HttpsConfigurator(tls));
        server.setExecutor(executor);
        server.createContext("/", exchange -> respond(exchange, 404, "not found; the node's metrics are at " + MetricsAccess.PATH + "\n"));
        server.createContext(MetricsAccess.PATH, exchange -> {
            if (!exchange.getRequestURI().getPath().equals(MetricsAccess.PATH)) {
                respond(exchange, 404, "not found\n");
                return;
            }
            if (!exchange.getRequestMethod().equals("GET")) {
                respond(exchange, 405, "only GET\n");
                return;
            }
            MetricsAccess.Decision decision = access.decide(exchange.getRequestHeaders().getFirst("Authorization"), System.nanoTime());
            if (decision.outcome() != MetricsAccess.Outcome.ALLOWED) {
                if (decision.outcome() == MetricsAccess.Outcome.UNAUTHENTICATED) {
                    exchange.getResponseHeaders().set("WWW-Authenticate", "Bearer realm=\"stockade-node-metrics\"");
                }
                respond(exchange, decision.outcome().httpStatus, decision.reason() + "\n");
                return;
            }
            PlainText.send(exchange, 200, "text/plain; version=0.0.4; charset=utf-8", render.get());
        });
        server.start();
    }

    public int port() {
        return server.getAddress().getPort();
    }

    private static void respond(HttpExchange exchange, int status, String body) throws IOException {
        PlainText.send(exchange, status, PlainText.TEXT, body);
    }

    @Override
    public void close() {
        server.stop(0);
        executor.shutdownNow();
    }
}
