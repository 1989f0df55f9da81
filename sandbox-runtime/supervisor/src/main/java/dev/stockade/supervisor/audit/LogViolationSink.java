package dev.stockade.supervisor.audit;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.stockade.supervisor.listener.SandboxContainer;

import java.lang.System.Logger.Level;

/** One structured (JSON) log line per reported violation. */
public final class LogViolationSink implements ViolationSink {

    private static final System.Logger LOG = System.getLogger("dev.stockade.supervisor.audit");
    private static final ObjectMapper JSON = JsonMapper.builder().build();

    @Override
    public void report(Violation violation, long suppressed) {
        LOG.log(Level.WARNING, line(violation, suppressed));
    }

    static String line(Violation violation, long suppressed) {
        SandboxContainer container = violation.container();
        ObjectNode node = JSON.createObjectNode();
        node.put("event", "SandboxViolation").put("action", "denied").put("errno", "EPERM")
                .put("syscall", violation.syscall()).put("pid", violation.pid())
                .put("policy", container.policy()).put("runtimeClass", container.runtimeClass())
                .put("namespace", container.namespace()).put("pod", container.pod())
                .put("container", container.container()).put("containerId", container.id())
                .put("suppressedSinceLast", suppressed);
        return node.toString();
    }
}
