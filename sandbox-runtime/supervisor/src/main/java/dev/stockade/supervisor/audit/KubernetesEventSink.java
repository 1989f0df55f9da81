package dev.stockade.supervisor.audit;

import dev.stockade.supervisor.listener.SandboxContainer;
import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.EventBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;

import java.lang.System.Logger.Level;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.atomic.LongAdder;

/**
 * A Kubernetes Event on the pod for each reported violation ("SandboxViolation: container app
 * called mount(2), denied"). Events go through a small bounded queue on one sender thread, so a
 * slow API server never holds up a notification; when the queue is full the Event is dropped
 * (the metrics and the log still have it). The recorder already limits reports per container
 * and syscall; {@link #maxPerSecond} caps what this node sends in all.
 */
public final class KubernetesEventSink implements ViolationSink, AutoCloseable {

    private static final System.Logger LOG = System.getLogger(KubernetesEventSink.class.getName());
    public static final String REASON = "SandboxViolation";
    public static final String COMPONENT = "stockade-supervisor";

    private final KubernetesClient client;
    private final String nodeName;
    private final double maxPerSecond;
    private final BlockingQueue<Event> queue = new ArrayBlockingQueue<>(256);
    private final LongAdder dropped = new LongAdder();
    private final Thread sender;

    public KubernetesEventSink(KubernetesClient client, String nodeName, double maxPerSecond) {
        this.client = client;
        this.nodeName = nodeName;
        this.maxPerSecond = maxPerSecond;
        this.sender = Thread.ofPlatform().name("kubernetes-events").daemon().start(this::send);
    }

    /** Whether this process runs in a cluster with the node name given (the DaemonSet sets NODE_NAME). */
    public static boolean inCluster(Map<String, String> environment) {
        return environment.containsKey("KUBERNETES_SERVICE_HOST") && environment.containsKey("NODE_NAME");
    }

    @Override
    public void report(Violation violation, long suppressed) {
        SandboxContainer container = violation.container();
        if (container.namespace().isEmpty() || container.pod().isEmpty()) {
            return;
        }
        if (!queue.offer(event(violation, suppressed, nodeName, Instant.now()))) {
            dropped.increment();
        }
    }

    /** The Event for one report: a Warning on the pod, named after it, from this node. */
    static Event event(Violation violation, long suppressed, String nodeName, Instant now) {
        SandboxContainer container = violation.container();
        String who = container.container().isEmpty() ? "container " + container.id() : "container " + container.container();
        String message = who + " called " + violation.syscall() + "(2), denied"
                + (suppressed > 0 ? " (" + suppressed + " more times since the last report)" : "")
                + "; policy " + (container.policy().isEmpty() ? "-" : container.policy());
        String timestamp = now.toString();
        return new EventBuilder()
                .withNewMetadata().withGenerateName(container.pod() + ".stockade-").withNamespace(container.namespace()).endMetadata()
                .withNewInvolvedObject().withApiVersion("v1").withKind("Pod").withNamespace(container.namespace())
                .withName(container.pod()).withFieldPath(container.container().isEmpty() ? null
                        : "spec.containers{" + container.container() + "}").endInvolvedObject()
                .withType("Warning").withReason(REASON).withMessage(message)
                .withNewSource().withComponent(COMPONENT).withHost(nodeName).endSource()
                .withReportingComponent(COMPONENT).withReportingInstance(nodeName)
                .withFirstTimestamp(timestamp).withLastTimestamp(timestamp).withCount((int) Math.min(Integer.MAX_VALUE, suppressed + 1))
                .build();
    }

    private void send() {
        long intervalNanos = (long) (1e9 / maxPerSecond);
        long next = System.nanoTime();
        while (!Thread.currentThread().isInterrupted()) {
            try {
                Event event = queue.take();
                long wait = next - System.nanoTime();
                if (wait > 0) {
                    Thread.sleep(wait / 1_000_000, (int) (wait % 1_000_000));
                }
                next = Math.max(next, System.nanoTime()) + intervalNanos;
                client.v1().events().inNamespace(event.getMetadata().getNamespace()).resource(event).create();
            } catch (InterruptedException e) {
                return;
            } catch (KubernetesClientException e) {
                LOG.log(Level.WARNING, "cannot create a SandboxViolation Event: " + e.getMessage());
            }
        }
    }

    long dropped() {
        return dropped.sum();
    }

    @Override
    public void close() {
        sender.interrupt();
    }
}
