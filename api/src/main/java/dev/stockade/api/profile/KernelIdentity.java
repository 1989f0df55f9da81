package dev.stockade.api.profile;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Pattern;

/** What uname(2) answers inside the sandbox; each field fits utsname's 64 characters. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record KernelIdentity(
        @JsonPropertyDescription("sysname, default Linux.")
        @Pattern("^.{1,64}$")
        String sysname,

        @JsonPropertyDescription("release, default 4.4.0 (the release gVisor long reported; recent runsc reports 4.19.0-gvisor).")
        @Pattern("^.{1,64}$")
        String release,

        @JsonPropertyDescription("version, default #1 SMP Sun Jan 10 15:06:54 PST 2016.")
        @Pattern("^.{1,64}$")
        String version,

        @JsonPropertyDescription("machine, default the host's (x86_64 or aarch64).")
        @Pattern("^.{1,64}$")
        String machine) {

    public KernelIdentity resolved() {
        return new KernelIdentity(
                sysname == null ? "Linux" : sysname,
                release == null ? "4.4.0" : release,
                version == null ? "#1 SMP Sun Jan 10 15:06:54 PST 2016" : version,
                machine);
    }
}
