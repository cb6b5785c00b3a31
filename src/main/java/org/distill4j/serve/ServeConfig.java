package org.distill4j.serve;

/**
 * How the server listens and what it accepts.
 *
 * @param host          interface to bind; loopback unless the operator opens it up
 * @param port          0 picks a free port (read it back from {@link OpenAiServer#address()})
 * @param apiKey        when non-null, every request needs {@code Authorization: Bearer <apiKey>}
 * @param modelName     the id clients put in "model" (and /v1/models lists)
 * @param maxBatch      rows (prompt x sample) decoded together, and the most one batching cycle gathers
 * @param maxBodyBytes  larger request bodies are refused with 413
 * @param batchWindowMs how long an idle worker waits for more requests once one has arrived
 * @param limits        timeouts and bounds on connections and queued work
 */
public record ServeConfig(String host, int port, String apiKey, String modelName, int maxBatch, long maxBodyBytes,
                          long batchWindowMs, Limits limits) {
    /**
     * What a client may hold of the server.
     *
     * @param headerTimeoutMs time from a request's first byte to its complete headers; then the connection is
     *                        closed (no response is possible)
     * @param bodyTimeoutMs   time to receive a request's body once its headers are in; then 408
     * @param idleTimeoutMs   a connection with no traffic is closed after this long
     * @param maxConnections  connections open at once; beyond, new ones wait in the listen backlog
     * @param maxWaitingRows  rows (prompt x sample) accepted and not finished; a request beyond gets 429
     */
    public record Limits(long headerTimeoutMs, long bodyTimeoutMs, long idleTimeoutMs, int maxConnections,
                         long maxWaitingRows) {
        public static final Limits DEFAULTS = new Limits(10_000, 30_000, 60_000, 4096, 16_384);

        public Limits {
            if (headerTimeoutMs < 1 || bodyTimeoutMs < 1 || idleTimeoutMs < 1) {
                throw new IllegalArgumentException("timeouts must be >= 1 ms, got header " + headerTimeoutMs + ", body "
                        + bodyTimeoutMs + ", idle " + idleTimeoutMs);
            }
            if (maxConnections < 1) {
                throw new IllegalArgumentException("max connections must be >= 1, got " + maxConnections);
            }
            if (maxWaitingRows < 1) {
                throw new IllegalArgumentException("max waiting rows must be >= 1, got " + maxWaitingRows);
            }
        }
    }

    public static final String DEFAULT_HOST = "127.0.0.1";
    public static final int DEFAULT_MAX_BATCH = 64;
    public static final long DEFAULT_MAX_BODY_BYTES = 4L << 20;
    public static final long DEFAULT_BATCH_WINDOW_MS = 5;

    public ServeConfig {
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("port must be 0..65535, got " + port);
        }
        if (maxBatch < 1) {
            throw new IllegalArgumentException("max batch must be >= 1, got " + maxBatch);
        }
        if (maxBodyBytes < 1) {
            throw new IllegalArgumentException("max body bytes must be >= 1, got " + maxBodyBytes);
        }
        if (batchWindowMs < 0) {
            throw new IllegalArgumentException("batch window must be >= 0 ms, got " + batchWindowMs);
        }
        java.util.Objects.requireNonNull(limits, "limits");
        if (apiKey != null && apiKey.isBlank()) {
            throw new IllegalArgumentException("the API key is blank");
        }
    }

    /** Loopback, an ephemeral port, no key, default limits. */
    public static ServeConfig loopback(String modelName) {
        return new ServeConfig(DEFAULT_HOST, 0, null, modelName, DEFAULT_MAX_BATCH, DEFAULT_MAX_BODY_BYTES,
                DEFAULT_BATCH_WINDOW_MS, Limits.DEFAULTS);
    }

    public ServeConfig withApiKey(String key) {
        return new ServeConfig(host, port, key, modelName, maxBatch, maxBodyBytes, batchWindowMs, limits);
    }

    public ServeConfig withMaxBodyBytes(long bytes) {
        return new ServeConfig(host, port, apiKey, modelName, maxBatch, bytes, batchWindowMs, limits);
    }

    public ServeConfig withBatchWindowMs(long ms) {
        return new ServeConfig(host, port, apiKey, modelName, maxBatch, maxBodyBytes, ms, limits);
    }

    public ServeConfig withLimits(Limits newLimits) {
        return new ServeConfig(host, port, apiKey, modelName, maxBatch, maxBodyBytes, batchWindowMs, newLimits);
    }

    public ServeConfig withMaxBatch(int rows) {
        return new ServeConfig(host, port, apiKey, modelName, rows, maxBodyBytes, batchWindowMs, limits);
    }
}
