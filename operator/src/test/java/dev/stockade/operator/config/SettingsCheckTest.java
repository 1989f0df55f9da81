package dev.stockade.operator.config;

import org.junit.jupiter.api.Test;

import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SettingsCheckTest {

    @Test
    void theDefaultsAndSmallPositiveValuesPass() {
        assertDoesNotThrow(() -> SettingsCheck.check(32, Duration.ofMinutes(10)));
        assertDoesNotThrow(() -> SettingsCheck.check(1, Duration.ofSeconds(1)));
    }

    @Test
    void aZeroOrNegativeRemovalTimeoutIsRefusedNamingTheSettingAndWhatToSet() {
        for (Duration timeout : new Duration[] {Duration.ZERO, Duration.ofSeconds(-30)}) {
            IllegalArgumentException error = assertThrows(IllegalArgumentException.class, () -> SettingsCheck.check(32, timeout));

            assertTrue(error.getMessage().contains("stockade.removal-timeout (STOCKADE_REMOVAL_TIMEOUT) is " + timeout)
                    && error.getMessage().contains("set a positive duration such as PT10M"), error.getMessage());
        }
    }

    @Test
    void noNodeWritesInFlightIsRefusedAndEveryBadSettingIsNamedAtOnce() {
        IllegalArgumentException error = assertThrows(IllegalArgumentException.class, () -> SettingsCheck.check(0, Duration.ZERO));

        assertTrue(error.getMessage().contains("stockade.node-write-concurrency (STOCKADE_NODE_WRITE_CONCURRENCY) is 0: set it to 1 or more")
                && error.getMessage().contains("stockade.removal-timeout"), error.getMessage());
    }
}
