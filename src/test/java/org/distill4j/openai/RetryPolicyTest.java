package org.distill4j.openai;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.http.HttpHeaders;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class RetryPolicyTest {
    static HttpHeaders headers(Map<String, List<String>> h) {
        return HttpHeaders.of(h, (a, b) -> true);
    }

    @Test
    void retryAfterForms() {
        Instant now = Instant.parse("2025-01-01T00:00:00Z");
        assertThat(RetryPolicy.retryAfter(headers(Map.of("Retry-After", List.of("3"))), now)).contains(Duration.ofSeconds(3));
        assertThat(RetryPolicy.retryAfter(headers(Map.of("retry-after-ms", List.of("250"), "Retry-After", List.of("3"))), now))
                .contains(Duration.ofMillis(250));
        String date = DateTimeFormatter.RFC_1123_DATE_TIME.format(now.plusSeconds(7).atOffset(ZoneOffset.UTC));
        assertThat(RetryPolicy.retryAfter(headers(Map.of("Retry-After", List.of(date))), now)).contains(Duration.ofSeconds(7));
        assertThat(RetryPolicy.retryAfter(headers(Map.of("Retry-After", List.of("soon"))), now)).isEmpty();
        assertThat(RetryPolicy.retryAfter(headers(Map.of()), now)).isEmpty();
    }

    @Test
    void backoffDoublesWithJitterAndIsCapped() {
        RetryPolicy p = new RetryPolicy(10, Duration.ofMillis(100), Duration.ofSeconds(1), Duration.ofSeconds(5));
        SplittableRandom rng = new SplittableRandom(1);
        for (int i = 0; i < 100; i++) {
            assertThat(p.delay(1, Optional.empty(), rng)).isBetween(Duration.ofMillis(50), Duration.ofMillis(100));
            assertThat(p.delay(3, Optional.empty(), rng)).isBetween(Duration.ofMillis(200), Duration.ofMillis(400));
            assertThat(p.delay(9, Optional.empty(), rng)).isBetween(Duration.ofMillis(500), Duration.ofMillis(1000));
        }
        assertThat(p.delay(1, Optional.of(Duration.ofSeconds(2)), rng)).isEqualTo(Duration.ofSeconds(2));
        assertThat(p.delay(1, Optional.of(Duration.ofHours(2)), rng)).isEqualTo(Duration.ofSeconds(5));
    }
}
