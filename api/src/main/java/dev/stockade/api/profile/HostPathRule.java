package dev.stockade.api.profile;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Required;

@JsonInclude(JsonInclude.Include.NON_NULL)
public record HostPathRule(
        @JsonPropertyDescription("Absolute host path; the rule also covers everything below it.")
        @Required @Pattern("^/.*")
        String path,

        @JsonPropertyDescription("Force the mount read-only. Default true.")
        Boolean readOnly) {

    public HostPathRule resolved() {
        return new HostPathRule(path, readOnly == null || readOnly);
    }
}
