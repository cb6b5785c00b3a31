package org.distill4j.openai;

import java.time.Duration;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * What a run did: samples wanted, found in the journal, fetched; HTTP attempts; retries by cause; and
 * the requests that failed for good (they are not journalled, so a rerun asks for them again).
 */
public record BatchReport(int wanted, int fromJournal, int fetched, long attempts, Map<RetryCause, Long> retries,
                          List<Failure> failures, Duration elapsed) {
    public enum RetryCause {
        RATE_LIMITED("rate limited (429)"),
        SERVER_ERROR("server error (5xx)"),
        TIMEOUT("timeout"),
        CONNECTION("connection dropped"),
        MALFORMED("malformed response");

        private final String label;

        RetryCause(String label) {
            this.label = label;
        }

        public String label() {
            return label;
        }
    }

    /** A request given up on: its prompt, the samples it asked for, and the last error. */
    public record Failure(int prompt, List<Integer> samples, int attempts, String lastError) {}

    public BatchReport {
        retries = new EnumMap<>(retries.isEmpty() ? Map.<RetryCause, Long>of() : retries);
        failures = List.copyOf(failures);
    }

    public boolean complete() {
        return fromJournal + fetched == wanted;
    }

    public long retryCount() {
        return retries.values().stream().mapToLong(Long::longValue).sum();
    }

    public long retries(RetryCause cause) {
        return retries.getOrDefault(cause, 0L);
    }

    public String summary() {
        StringBuilder s = new StringBuilder();
        s.append(String.format(Locale.ROOT, "%d/%d samples (%d from the journal, %d fetched) in %.1f s; %d HTTP attempts",
                fromJournal + fetched, wanted, fromJournal, fetched, elapsed.toMillis() / 1000.0, attempts));
        if (fetched > 0 && elapsed.toMillis() > 0) {
            s.append(String.format(Locale.ROOT, ", %.1f samples/s", fetched * 1000.0 / elapsed.toMillis()));
        }
        s.append("; ").append(retryCount()).append(" retries");
        if (retryCount() > 0) {
            s.append(" (").append(retries.entrySet().stream().filter(e -> e.getValue() > 0)
                    .map(e -> e.getKey().label() + ": " + e.getValue()).collect(Collectors.joining(", "))).append(")");
        }
        s.append("; ").append(failures.size()).append(" failed requests");
        int shown = 0;
        for (Failure f : failures) {
            if (shown++ == 5) {
                s.append("\n  ... and ").append(failures.size() - 5).append(" more");
                break;
            }
            s.append("\n  prompt ").append(f.prompt()).append(" samples ").append(f.samples()).append(" after ")
                    .append(f.attempts()).append(" attempts: ").append(f.lastError());
        }
        return s.toString();
    }
}
