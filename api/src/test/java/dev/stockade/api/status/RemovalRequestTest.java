package dev.stockade.api.status;

import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;

class RemovalRequestTest {

    @Test
    void roundTripsThroughTheAnnotationValue() {
        RemovalRequest request = new RemovalRequest("untrusted", Instant.parse("2026-11-29T04:00:00Z"));

        assertEquals("untrusted@2026-11-29T04:00:00Z", request.format());
        assertEquals(Optional.of(request), RemovalRequest.parse(request.format()));
    }

    @Test
    void valuesThatAreNotRequestsAreIgnored() {
        assertEquals(Optional.empty(), RemovalRequest.parse(null));
        assertEquals(Optional.empty(), RemovalRequest.parse("untrusted"));
        assertEquals(Optional.empty(), RemovalRequest.parse("untrusted@yesterday"));
    }
}
