package dev.stockade.supervisor;

import dev.stockade.api.node.HostLayout;
import dev.stockade.api.node.NodeMetrics;

import java.net.InetSocketAddress;
import java.util.List;

/**
 * The supervisor's command line: {@code stockade-supervisor run|check [--socket PATH] [--metrics-socket PATH|off]
 * [--metrics HOST:PORT|off] [--runtime PATH] …}. {@code metricsSocket} and {@code metricsAddress} are null when off.
 */
public record SupervisorOptions(
        String command,
        String socketPath,
        String metricsSocket,
        InetSocketAddress metricsAddress,
        String runtimePath,
        double notificationsPerSecond,
        int maxContainers) {

    public static final String USAGE = """
            usage: stockade-supervisor run|check [options]
              run    answer seccomp notifications (takes over from a running supervisor on the same socket)
              check  report whether this host supports the supervisor, exit 0 if it does
            options:
              --socket PATH              listener socket (default %s); the handover socket is PATH%s
              --metrics-socket PATH      unix socket the installer reads the metrics from (default %s; "off" disables it)
              --metrics HOST:PORT        also an unauthenticated Prometheus endpoint /metrics in the host's network
                                         (default off: every pod that reaches the node could read it)
              --runtime PATH             the delegate OCI runtime whose version is checked (default runc)
              --notifications-per-second N   answers per container per second before it waits (default 50000)
              --max-containers N         containers answered at once (default 4096)
            """.formatted(HostLayout.SUPERVISOR_SOCKET, HostLayout.HANDOVER_SUFFIX, NodeMetrics.SUPERVISOR_SOCKET);

    public String handoverPath() {
        return HostLayout.handoverSocket(socketPath);
    }

    /** Parses the arguments; a bad one is an IllegalArgumentException naming it and the fix. */
    public static SupervisorOptions parse(List<String> args) {
        if (args.isEmpty() || !(args.getFirst().equals("run") || args.getFirst().equals("check"))) {
            throw new IllegalArgumentException("the first argument must be run or check\n" + USAGE);
        }
        String socket = HostLayout.SUPERVISOR_SOCKET;
        String metricsSocket = NodeMetrics.SUPERVISOR_SOCKET;
        InetSocketAddress metrics = null;
        String runtime = "runc";
        double rate = 50_000;
        int maxContainers = 4096;
        for (int i = 1; i < args.size(); i++) {
            String flag = args.get(i);
            if (i + 1 >= args.size()) {
                throw new IllegalArgumentException("option " + flag + " needs a value\n" + USAGE);
            }
            String value = args.get(++i);
            switch (flag) {
                case "--socket" -> socket = value;
                case "--metrics-socket" -> metricsSocket = value.equals("off") ? null : absolute(flag, value);
                case "--metrics" -> metrics = value.equals("off") ? null : address(value);
                case "--runtime" -> runtime = value;
                case "--notifications-per-second" -> rate = positive(flag, value);
                case "--max-containers" -> maxContainers = (int) positive(flag, value);
                default -> throw new IllegalArgumentException("unknown option " + flag + "\n" + USAGE);
            }
        }
        if (!socket.startsWith("/")) {
            throw new IllegalArgumentException("--socket " + socket + " must be an absolute path (runc connects to it from the bundle's directory)");
        }
        return new SupervisorOptions(args.getFirst(), socket, metricsSocket, metrics, runtime, rate, maxContainers);
    }

    private static String absolute(String flag, String value) {
        if (!value.startsWith("/")) {
            throw new IllegalArgumentException(flag + " " + value + " must be an absolute path or off");
        }
        return value;
    }

    private static InetSocketAddress address(String value) {
        int colon = value.lastIndexOf(':');
        try {
            return new InetSocketAddress(value.substring(0, colon), Integer.parseInt(value.substring(colon + 1)));
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("--metrics " + value + " must be HOST:PORT, e.g. 127.0.0.1:9464, or off");
        }
    }

    private static double positive(String flag, String value) {
        try {
            double number = Double.parseDouble(value);
            if (number > 0) {
                return number;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new IllegalArgumentException(flag + " " + value + " must be a positive number");
    }
}
