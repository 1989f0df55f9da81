package dev.stockade.api.node;

import com.fasterxml.jackson.core.JsonProcessingException;
import dev.stockade.api.profile.KernelIdentity;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class ListenerMetadataTest {

    /** The listenerMetadata the runtime of release 0.1.0 writes, byte for byte (SupervisorListener.metadata(...).toString()). */
    static final String WITH_KERNEL_IDENTITY = "{\"policy\":\"tenants\",\"runtimeClass\":\"sandboxed\",\"namespace\":\"team-a\","
            + "\"pod\":\"web-0\",\"container\":\"app\",\"kernelIdentity\":{\"sysname\":\"Linux\",\"release\":\"4.4.0\","
            + "\"version\":\"#1 SMP Sun Jan 10 15:06:54 PST 2016\",\"machine\":\"x86_64\"}}";
    static final String TRIPWIRES_ONLY = "{\"policy\":\"\",\"runtimeClass\":\"sandboxed\",\"namespace\":\"\",\"pod\":\"\",\"container\":\"\"}";

    private static final KernelIdentity GVISOR_LIKE = new KernelIdentity("Linux", "4.4.0", "#1 SMP Sun Jan 10 15:06:54 PST 2016", "x86_64");

    @Test
    void theRuntimeWritesTheSameBytesAsThePreviousRelease() {
        assertEquals(WITH_KERNEL_IDENTITY, new ListenerMetadata("tenants", "sandboxed", "team-a", "web-0", "app", GVISOR_LIKE).toJson());
        assertEquals(TRIPWIRES_ONLY, new ListenerMetadata(null, "sandboxed", "", "", "", null).toJson(),
                "no policy is an empty string and no kernel identity no field");
        assertEquals("{\"policy\":\"p\",\"runtimeClass\":\"c\",\"namespace\":\"n\",\"pod\":\"q\\\"<&>\",\"container\":\"é\","
                        + "\"kernelIdentity\":{\"sysname\":\"Linux\",\"release\":\"4.4.0\",\"version\":\"v\"}}",
                new ListenerMetadata("p", "c", "n", "q\"<&>", "é", new KernelIdentity("Linux", "4.4.0", "v", null)).toJson(),
                "quotes escaped, nothing else; no machine when the profile leaves it to the host");
    }

    @Test
    void theSupervisorReadsWhatThePreviousReleasesRuntimeWrote() throws Exception {
        assertEquals(new ListenerMetadata("tenants", "sandboxed", "team-a", "web-0", "app", GVISOR_LIKE),
                ListenerMetadata.parse(WITH_KERNEL_IDENTITY));
        assertEquals(new ListenerMetadata("", "sandboxed", "", "", "", null), ListenerMetadata.parse(TRIPWIRES_ONLY));
    }

    @Test
    void aKernelIdentityIsReadResolvedAndAMissingFieldReadsEmpty() throws Exception {
        ListenerMetadata metadata = ListenerMetadata.parse("{\"runtimeClass\":\"sandboxed\",\"kernelIdentity\":{\"release\":\"5.0.0\"}}");
        assertEquals(new ListenerMetadata("", "sandboxed", "", "", "", new KernelIdentity("Linux", "5.0.0",
                "#1 SMP Sun Jan 10 15:06:54 PST 2016", null)), metadata);
    }

    @Test
    void aFieldAddedByALaterReleaseIsIgnored() throws Exception {
        assertEquals(new ListenerMetadata("tenants", "sandboxed", "team-a", "web-0", "app", null),
                ListenerMetadata.parse("{\"policy\":\"tenants\",\"runtimeClass\":\"sandboxed\",\"namespace\":\"team-a\",\"pod\":\"web-0\","
                        + "\"container\":\"app\",\"sandboxId\":\"abc\",\"limits\":{\"pids\":64}}"));
    }

    @Test
    void noMetadataIsAContainerNoStockadeRuntimeCreated() throws Exception {
        ListenerMetadata none = new ListenerMetadata("", "", "", "", "", null);
        assertEquals(none, ListenerMetadata.parse(null));
        assertEquals(none, ListenerMetadata.parse(" "));
    }

    @Test
    void malformedMetadataIsAnError() {
        assertThrows(JsonProcessingException.class, () -> ListenerMetadata.parse("{\"policy\":"));
        assertThrows(JsonProcessingException.class, () -> ListenerMetadata.parse("{\"kernelIdentity\":{\"kernel\":\"x\"}}"),
                "a kernel identity field the supervisor does not know would be a uname it cannot answer");
    }

    /** A runtime that let larger messages through would run containers the previous release's supervisor drops. */
    @Test
    void theMessageBoundStaysWhatThePreviousReleasesSupervisorReads() {
        assertEquals(16 * 1024 * 1024, ListenerMetadata.MAX_MESSAGE_BYTES);
    }
}
