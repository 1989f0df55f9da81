package dev.stockade.installer.report;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The pod's probes: {@code /healthz} answers while the reporter loop runs; {@code /readyz}
 * answers 200 only while the node's install is verified, so a failed node shows a pod that is
 * not ready with the reason in the body.
 */
public final class HealthServer implements AutoCloseable {

    private final HttpServer server;
    private final AtomicReference<String> notReadyReason = new AtomicReference<>("installing");

    public HealthServer(int port) throws IOException {
        server = HttpServer.create(new InetSocketAddress(port), 0);
        server.createContext("/healthz", exchange -> respond(exchange, 200, "ok\n"));
        server.createContext("/readyz", exchange -> {
            String reason = notReadyReason.get();
            respond(exchange, reason == null ? 200 : 503, reason == null ? "ready\n" : reason + "\n");
        });
        server.start();
    }

    public int port() {
        return server.getAddress().getPort();
    }

    public void ready() {
        notReadyReason.set(null);
    }

    public void notReady(String reason) {
        notReadyReason.set(reason);
    }

    private static void respond(HttpExchange exchange, int status, String body) throws IOException {
        PlainText.send(exchange, status, PlainText.TEXT, body);
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
