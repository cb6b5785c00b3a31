package org.distill4j.serve;

import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.DoubleAdder;
import java.util.function.LongSupplier;

/**
 * What {@code GET /metrics} reports, in Prometheus' text exposition format (version 0.0.4): requests by
 * endpoint and status, prompt and generated tokens, the rows waiting and running, cancelled requests,
 * decoding steps, and histograms of time to first token and request latency (vLLM's set, under
 * {@code distill_} names). A handful of series, so they are written directly rather than through a
 * metrics library.
 */
final class Metrics {
    /** Bucket upper bounds in seconds, as vLLM's time-to-first-token and end-to-end latency histograms. */
    static final double[] TTFT_BUCKETS = {0.001, 0.005, 0.01, 0.02, 0.04, 0.06, 0.08, 0.1, 0.25, 0.5, 0.75, 1.0,
            2.5, 5.0, 7.5, 10.0, 20.0, 40.0, 80.0};
    static final double[] LATENCY_BUCKETS = {0.01, 0.025, 0.05, 0.1, 0.3, 0.5, 0.8, 1.0, 1.5, 2.0, 2.5, 5.0, 10.0,
            15.0, 20.0, 30.0, 40.0, 50.0, 60.0, 120.0, 240.0, 480.0, 960.0};

    /** A cumulative histogram: counts per bucket, sum and count. */
    static final class Histogram {
        private final double[] bounds;
        private final AtomicLongArray counts;
        private final DoubleAdder sum = new DoubleAdder();
        private final AtomicLong count = new AtomicLong();

        Histogram(double[] bounds) {
            this.bounds = bounds;
            this.counts = new AtomicLongArray(bounds.length);
        }

        void observe(double seconds) {
            for (int i = 0; i < bounds.length; i++) {
                if (seconds <= bounds[i]) {
                    counts.incrementAndGet(i);
                }
            }
            sum.add(seconds);
            count.incrementAndGet();
        }

        long count() {
            return count.get();
        }

        void write(StringBuilder out, String name, String help) {
            header(out, name, help, "histogram");
            for (int i = 0; i < bounds.length; i++) {
                out.append(name).append("_bucket{le=\"").append(bounds[i]).append("\"} ").append(counts.get(i)).append('\n');
            }
            out.append(name).append("_bucket{le=\"+Inf\"} ").append(count.get()).append('\n');
            out.append(name).append("_sum ").append(sum.sum()).append('\n');
            out.append(name).append("_count ").append(count.get()).append('\n');
        }
    }

    private final Map<String, AtomicLong> requests = new ConcurrentHashMap<>();
    final AtomicLong promptTokens = new AtomicLong();
    final AtomicLong generationTokens = new AtomicLong();
    final AtomicLong cancelled = new AtomicLong();
    final AtomicLong steps = new AtomicLong();
    final Histogram timeToFirstToken = new Histogram(TTFT_BUCKETS);
    final Histogram latency = new Histogram(LATENCY_BUCKETS);
    private volatile LongSupplier waitingRows = () -> 0;
    private volatile LongSupplier runningRows = () -> 0;
    private volatile LongSupplier openConnections = () -> 0;

    void gauges(LongSupplier waiting, LongSupplier running, LongSupplier connections) {
        this.waitingRows = waiting;
        this.runningRows = running;
        this.openConnections = connections;
    }

    /** Counts a finished HTTP exchange; endpoint is the route ("/v1/completions", ..., or "other"). */
    void request(String endpoint, int status) {
        requests.computeIfAbsent(endpoint + "\u0000" + status, k -> new AtomicLong()).incrementAndGet();
    }

    String text() {
        StringBuilder out = new StringBuilder(4096);
        header(out, "distill_requests_total", "HTTP requests answered, by endpoint and status code.", "counter");
        for (Map.Entry<String, AtomicLong> e : new TreeMap<>(requests).entrySet()) {
            String[] parts = e.getKey().split("\u0000");
            out.append("distill_requests_total{endpoint=\"").append(parts[0]).append("\",status=\"").append(parts[1])
                    .append("\"} ").append(e.getValue().get()).append('\n');
        }
        counter(out, "distill_prompt_tokens_total", "Prompt tokens of generation requests (per prompt, not per sample).",
                promptTokens.get());
        counter(out, "distill_generation_tokens_total", "Tokens generated.", generationTokens.get());
        counter(out, "distill_cancelled_requests_total", "Requests whose client went away before the end.", cancelled.get());
        counter(out, "distill_decoding_steps_total", "Forward passes of the running batch.", steps.get());
        gauge(out, "distill_waiting_rows", "Rows (prompt x sample) accepted and not in the running batch.",
                waitingRows.getAsLong());
        gauge(out, "distill_running_rows", "Rows in the running batch.", runningRows.getAsLong());
        gauge(out, "distill_open_connections", "Open HTTP connections.", openConnections.getAsLong());
        timeToFirstToken.write(out, "distill_time_to_first_token_seconds",
                "From a request's arrival to its first generated token.");
        latency.write(out, "distill_request_latency_seconds", "From a generation request's arrival to its last token.");
        return out.toString();
    }

    private static void header(StringBuilder out, String name, String help, String type) {
        out.append("# HELP ").append(name).append(' ').append(help).append('\n');
        out.append("# TYPE ").append(name).append(' ').append(type).append('\n');
    }

    private static void counter(StringBuilder out, String name, String help, long value) {
        header(out, name, help, "counter");
        out.append(name).append(' ').append(value).append('\n');
    }

    private static void gauge(StringBuilder out, String name, String help, long value) {
        header(out, name, help, "gauge");
        out.append(name).append(' ').append(value).append('\n');
    }
}
