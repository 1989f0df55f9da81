package dev.stockade.operator.policy;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import dev.stockade.api.Stockade;
import dev.stockade.api.profile.SandboxProfile;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.Size;
import io.fabric8.kubernetes.api.model.Quantity;

import java.util.Map;

public class RuntimeClassSpec {

    static final String DNS_LABEL = "^[a-z0-9]([-a-z0-9]*[a-z0-9])?$";

    @JsonPropertyDescription("Name of the RuntimeClass that pods set as runtimeClassName. A DNS label, unique in the cluster.")
    @Required
    @Pattern(DNS_LABEL)
    @Size(max = 63)
    private String name;

    @JsonPropertyDescription("Container runtime handler registered on the nodes. Default: stockade-<name>. Changing it replaces the RuntimeClass, since Kubernetes does not allow a handler to change.")
    @Pattern(DNS_LABEL)
    @Size(max = 63)
    private String handler;

    @JsonPropertyDescription("Resources the sandbox adds to every pod of this class (RuntimeClass overhead.podFixed), e.g. {cpu: 10m, memory: 16Mi}.")
    private Map<String, Quantity> overhead;

    @JsonPropertyDescription("The sandbox profile enforced on every container of this class. Unset fields take the safe defaults.")
    private SandboxProfile profile;

    public String getName() {
        return name;
    }

    public void setName(String name) {
        this.name = name;
    }

    public String getHandler() {
        return handler;
    }

    public void setHandler(String handler) {
        this.handler = handler;
    }

    public Map<String, Quantity> getOverhead() {
        return overhead;
    }

    public void setOverhead(Map<String, Quantity> overhead) {
        this.overhead = overhead;
    }

    public SandboxProfile getProfile() {
        return profile;
    }

    public void setProfile(SandboxProfile profile) {
        this.profile = profile;
    }

    public String effectiveHandler() {
        return handler == null || handler.isBlank() ? Stockade.defaultHandlerName(name) : handler;
    }

    public SandboxProfile effectiveProfile() {
        return profile == null ? SandboxProfile.defaults() : profile.resolved();
    }
}
