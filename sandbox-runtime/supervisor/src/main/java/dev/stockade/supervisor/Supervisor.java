package dev.stockade.supervisor;

import com.sun.net.httpserver.HttpServer;
import dev.stockade.supervisor.audit.KubernetesEventSink;
import dev.stockade.supervisor.audit.LogViolationSink;
import dev.stockade.api.node.NodeMetrics;
import dev.stockade.supervisor.audit.SupervisorMetrics;
import dev.stockade.supervisor.audit.ViolationRecorder;
import dev.stockade.supervisor.audit.ViolationSink;
import dev.stockade.supervisor.handover.Handover;
import dev.stockade.supervisor.linux.Errno;
import dev.stockade.supervisor.linux.Libc;
import dev.stockade.supervisor.linux.SocketLoop;
import dev.stockade.supervisor.listener.ListenerMessages;
import dev.stockade.supervisor.listener.ListenerServer;
import dev.stockade.supervisor.listener.SandboxContainer;
import dev.stockade.supervisor.notify.NotificationBudget;
import dev.stockade.supervisor.notify.NotificationChannel;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;

import java.io.IOException;
import java.io.OutputStream;
import java.lang.System.Logger.Level;
import java.net.BindException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * The node daemon: owns the listener socket, one {@link NotificationChannel} per container, the
 * handover socket for restarts and the metrics endpoint.
 */
public final class Supervisor implements ListenerServer.Registrar, NotificationChannel.Listener, Handover.Giver {

    private static final System.Logger LOG = System.getLogger(Supervisor.class.getName());

    private final SupervisorOptions options;
    private final SupervisorMetrics metrics = new SupervisorMetrics();
    private final ViolationRecorder violations;
    private final Map<String, NotificationChannel> channels = new ConcurrentHashMap<>();
    private final String hostNodename;
    private final String hostDomainname;
    private final String hostMachine;
    private final CountDownLatch handedOver = new CountDownLatch(1);
    private ListenerServer listener;
    private int handoverFd = -1;
    private HttpServer metricsServer;
    private NodeMetrics.Endpoint metricsSocket;

    public Supervisor(SupervisorOptions options) throws IOException {
        this.options = options;
        this.violations = new ViolationRecorder(metrics, sinks(), TimeUnit.SECONDS.toNanos(10));
        this.hostNodename = Files.readString(Path.of("/proc/sys/kernel/hostname")).strip();
        this.hostDomainname = Files.readString(Path.of("/proc/sys/kernel/domainname")).strip();
        this.hostMachine = switch (System.getProperty("os.arch")) {
            case "amd64" -> "x86_64";
            default -> System.getProperty("os.arch");
        };
    }

    /** The log always; Kubernetes Events on the pod when running in a cluster (in-cluster config, NODE_NAME set). */
    private static List<ViolationSink> sinks() {
        List<ViolationSink> sinks = new ArrayList<>(List.of(new LogViolationSink()));
        if (KubernetesEventSink.inCluster(System.getenv())) {
            sinks.add(new KubernetesEventSink(new KubernetesClientBuilder().build(), System.getenv("NODE_NAME"), 5));
            LOG.log(Level.INFO, "reporting violations as Kubernetes Events on the pods");
        }
        return sinks;
    }

    /** Takes over from a running supervisor or starts fresh, then answers until handed over. */
    public void run() throws IOException, InterruptedException {
        Files.createDirectories(Path.of(options.socketPath()).getParent());
        Handover.Inherited inherited = Handover.takeOver(options.handoverPath());
        int listenFd;
        if (inherited != null) {
            listenFd = inherited.listenFd();
            for (Handover.HandedContainer handed : inherited.containers()) {
                startChannel(handed.notifyFd(), handed.container());
            }
            LOG.log(Level.INFO, "took over " + inherited.containers().size()
                    + " containers from the previous supervisor; listening on " + options.socketPath());
        } else {
            listenFd = bindListener(options.socketPath(), Libc.SOCK_STREAM, true);
            LOG.log(Level.INFO, "listening on " + options.socketPath());
        }
        listener = new ListenerServer(listenFd, this);
        listener.start();
        if (inherited != null) {
            Handover.acknowledge(inherited);
        }
        try {
            // After a takeover the predecessor still listens on the handover path until it exits:
            // replace its socket file rather than probing it (a probe would look like another supervisor).
            handoverFd = bindListener(options.handoverPath(), Libc.SOCK_SEQPACKET, inherited == null);
        } catch (IOException e) {
            // Containers depend on this process now: keep answering, but a restart cannot hand over.
            LOG.log(Level.ERROR, e.getMessage() + "; a restart will not be able to take over from this supervisor");
        }
        if (handoverFd >= 0) {
            Thread.ofPlatform().name("handover").daemon().start(this::serveHandovers);
        }
        startMetrics();
        handedOver.await();
        LOG.log(Level.INFO, "handed over to the new supervisor; exiting");
    }

    /**
     * A fresh socket at {@code path}. A path something still answers on is refused: two
     * supervisors must hand over, never race for the same socket.
     */
    private static int bindListener(String path, int type, boolean refuseIfAnswered) throws IOException {
        try {
            if (refuseIfAnswered) {
                int probe = Libc.socket(type);
                try {
                    Libc.connect(probe, path);
                    throw new IOException("another supervisor is answering on " + path
                            + "; stop it or start this one with the same --socket to take over from it");
                } catch (Errno notRunning) {
                    // Nothing answers: a stale socket file from a supervisor that is gone.
                } finally {
                    Libc.close(probe);
                }
            }
            Files.deleteIfExists(Path.of(path));
            int fd = Libc.socket(type);
            Libc.bind(fd, path);
            Files.setPosixFilePermissions(Path.of(path), PosixFilePermissions.fromString("rw-------"));
            Libc.listen(fd, 128);
            return fd;
        } catch (Errno e) {
            throw new IOException("cannot listen on " + path + ": " + e.getMessage(), e);
        }
    }

    private void serveHandovers() {
        while (handedOver.getCount() > 0) {
            try {
                if (!SocketLoop.readable(handoverFd, 200)) {
                    continue;
                }
                int connection = Libc.accept(handoverFd);
                try {
                    Handover.give(connection, this);
                } finally {
                    Libc.close(connection);
                }
            } catch (Errno e) {
                LOG.log(Level.ERROR, "handover socket: " + e.getMessage());
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    @Override
    public void register(int notifyFd, byte[] stateMessage) {
        SandboxContainer container;
        try {
            container = ListenerMessages.parse(stateMessage, hostNodename, hostDomainname);
        } catch (ListenerMessages.BadMessage e) {
            Libc.close(notifyFd);
            refuse(e.initPid(), e.getMessage());
            return;
        }
        if (channels.size() >= options.maxContainers()) {
            Libc.close(notifyFd);
            refuse(container.initPid(), "already answering " + channels.size() + " containers (--max-containers); cannot answer "
                    + container.describe());
            return;
        }
        startChannel(notifyFd, container);
        LOG.log(Level.INFO, "answering " + container.describe());
    }

    /**
     * A container this supervisor cannot answer must not run: its tripwires would be silent and its
     * uname would fail with ENOSYS. runc sends the listener message while the container's init
     * waits to be started, so its init is killed (fail closed); a message naming no init leaves
     * only the closed notify fd, under which the notified calls fail.
     */
    private void refuse(long initPid, String why) {
        metrics.refusedContainer();
        boolean killed = initPid > 0 && ProcessHandle.of(initPid).map(ProcessHandle::destroyForcibly).orElse(false);
        LOG.log(Level.ERROR, why + "; " + (killed ? "killed its init, pid " + initPid + ", so that it does not run unanswered"
                : initPid > 0 ? "its init, pid " + initPid + ", is already gone"
                : "the message names no init to stop: its notified calls fail with ENOSYS"));
    }

    private void startChannel(int notifyFd, SandboxContainer container) {
        NotificationChannel channel = new NotificationChannel(notifyFd, container, hostMachine, metrics, violations,
                new NotificationBudget(options.notificationsPerSecond(), Math.max(1, options.notificationsPerSecond() / 10),
                        System.nanoTime()), this);
        NotificationChannel previous = channels.put(channelKey(container, notifyFd), channel);
        if (previous == null) {
            metrics.containerAdded();
        }
        channel.start();
    }

    /** One key per notify fd: exec'd processes of one container share the container's filter. */
    private static String channelKey(SandboxContainer container, int notifyFd) {
        return container.id() + "#" + notifyFd;
    }

    @Override
    public void ended(NotificationChannel channel, boolean containerGone) {
        if (containerGone && channels.remove(channelKey(channel.container(), channel.notifyFd()), channel)) {
            metrics.containerRemoved();
            metrics.containerGone(channel.container());
            violations.forget(channel.container().id());
            LOG.log(Level.INFO, "no task of " + channel.container().describe() + " is left; stopped answering it");
        }
    }

    @Override
    public Handover.Inherited pause() throws InterruptedException {
        listener.stop();
        List<Handover.HandedContainer> handed = new ArrayList<>();
        for (NotificationChannel channel : List.copyOf(channels.values())) {
            channel.stopForHandover();
            if (channels.get(channelKey(channel.container(), channel.notifyFd())) == channel) {
                handed.add(new Handover.HandedContainer(channel.notifyFd(), channel.container()));
            }
        }
        return new Handover.Inherited(listener.listenFd(), handed, -1);
    }

    @Override
    public void resume() {
        LOG.log(Level.WARNING, "the new supervisor did not complete the handover; answering again");
        List<NotificationChannel> paused = List.copyOf(channels.values());
        channels.clear();
        for (NotificationChannel channel : paused) {
            metrics.containerRemoved();
            startChannel(channel.notifyFd(), channel.container());
        }
        listener.start();
    }

    @Override
    public void handedOver() {
        if (metricsServer != null) {
            metricsServer.stop(0);
        }
        if (metricsSocket != null) {
            // Removes the socket only if the successor has not already replaced it.
            metricsSocket.close();
        }
        handedOver.countDown();
    }

    /**
     * The installer's socket, replacing a predecessor's at once; then the optional TCP endpoint,
     * whose port may still be held by the supervisor we took over from: retry until it is free.
     */
    private void startMetrics() {
        if (options.metricsSocket() != null) {
            try {
                metricsSocket = NodeMetrics.serve(Path.of(options.metricsSocket()), metrics::render);
                LOG.log(Level.INFO, "metrics for the installer on " + options.metricsSocket());
            } catch (IOException e) {
                // Containers depend on this process: keep answering; the installer reports the supervisor down.
                LOG.log(Level.ERROR, "cannot serve metrics on " + options.metricsSocket() + ": " + e.getMessage());
            }
        }
        if (options.metricsAddress() == null) {
            return;
        }
        Thread.ofPlatform().name("metrics-bind").daemon().start(() -> {
            for (int attempt = 0; attempt < 600 && handedOver.getCount() > 0; attempt++) {
                try {
                    HttpServer server = HttpServer.create(options.metricsAddress(), 16);
                    server.createContext("/metrics", exchange -> {
                        byte[] body = metrics.render().getBytes(StandardCharsets.UTF_8);
                        exchange.getResponseHeaders().set("Content-Type", "text/plain; version=0.0.4; charset=utf-8");
                        exchange.sendResponseHeaders(200, body.length);
                        try (OutputStream out = exchange.getResponseBody()) {
                            out.write(body);
                        }
                    });
                    server.start();
                    metricsServer = server;
                    LOG.log(Level.INFO, "metrics on http://" + options.metricsAddress().getHostString() + ":"
                            + options.metricsAddress().getPort() + "/metrics");
                    return;
                } catch (BindException e) {
                    try {
                        Thread.sleep(100);
                    } catch (InterruptedException interrupted) {
                        return;
                    }
                } catch (IOException e) {
                    LOG.log(Level.ERROR, "cannot serve metrics on " + options.metricsAddress() + ": " + e.getMessage());
                    return;
                }
            }
            LOG.log(Level.ERROR, "metrics address " + options.metricsAddress() + " stayed in use; no metrics endpoint");
        });
    }

    SupervisorMetrics metrics() {
        return metrics;
    }
}
