package org.distill4j.openai;

import java.net.http.HttpHeaders;
import java.time.Duration;
import java.time.Instant;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.Optional;
import java.util.random.RandomGenerator;

/**
 * When to try a failed request again. Exponential backoff with "equal jitter" (a delay drawn from the
 * upper half of the exponential step: never hammering, and clients that failed together do not retry
 * together); a server's Retry-After is obeyed instead, up to {@code maxRetryAfter}.
 *
 * @param maxAttempts    attempts per request, the first included
 * @param initialBackoff the step after the first failure; doubled after each further one
 * @param maxBackoff     cap of the exponential step
 * @param maxRetryAfter  cap on a server-requested wait (a misconfigured server must not park a run for hours)
 */
public record RetryPolicy(int maxAttempts, Duration initialBackoff, Duration maxBackoff, Duration maxRetryAfter) {
    public static final RetryPolicy DEFAULT = new RetryPolicy(8, Duration.ofMillis(500), Duration.ofSeconds(30),
            Duration.ofMinutes(5));

    public RetryPolicy {
        if (maxAttempts < 1) {
            throw new IllegalArgumentException("max attempts must be >= 1, got " + maxAttempts);
        }
        if (initialBackoff.isNegative() || maxBackoff.isNegative() || maxRetryAfter.isNegative()) {
            throw new IllegalArgumentException("retry delays must not be negative");
        }
    }

    /** Delay before the next attempt, after {@code failures} failed attempts (>= 1). */
    public Duration delay(int failures, Optional<Duration> retryAfter, RandomGenerator rng) {
        if (retryAfter.isPresent()) {
            Duration d = retryAfter.get();
            return d.compareTo(maxRetryAfter) > 0 ? maxRetryAfter : d;
        }
        double step = initialBackoff.toNanos() * Math.pow(2, Math.min(62, failures - 1));
        double capped = Math.min(step, maxBackoff.toNanos());
        return Duration.ofNanos((long) (capped / 2 + rng.nextDouble() * capped / 2));
    }

    /**
     * The wait a response asks for: {@code retry-after-ms} (sent by OpenAI and Azure), else
     * {@code Retry-After} as delta-seconds or an HTTP date.
     */
    public static Optional<Duration> retryAfter(HttpHeaders headers, Instant now) {
        Optional<String> ms = headers.firstValue("retry-after-ms");
        if (ms.isPresent()) {
            try {
                double v = Double.parseDouble(ms.get().trim());
                if (v >= 0 && Double.isFinite(v)) {
                    return Optional.of(Duration.ofNanos((long) (v * 1e6)));
                }
            } catch (NumberFormatException ignored) {
                // fall through to Retry-After
            }
        }
        Optional<String> ra = headers.firstValue("retry-after");
        if (ra.isEmpty()) {
            return Optional.empty();
        }
        String v = ra.get().trim();
        try {
            double seconds = Double.parseDouble(v);
            return seconds >= 0 && Double.isFinite(seconds)
                    ? Optional.of(Duration.ofNanos((long) (seconds * 1e9))) : Optional.empty();
        } catch (NumberFormatException notSeconds) {
            try {
                Instant at = ZonedDateTime.parse(v, DateTimeFormatter.RFC_1123_DATE_TIME).toInstant();
                Duration d = Duration.between(now, at);
                return Optional.of(d.isNegative() ? Duration.ZERO : d);
            } catch (DateTimeParseException notADate) {
                return Optional.empty();
            }
        }
    }
}
