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
 * @param batchWindowMs how long the worker waits for more requests once one has arrived
 */
public record ServeConfig(String host, int port, String apiKey, String modelName, int maxBatch, long maxBodyBytes,
                          long batchWindowMs) {
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
        if (apiKey != null && apiKey.isBlank()) {
            throw new IllegalArgumentException("the API key is blank");
        }
    }

    /** Loopback, an ephemeral port, no key, default limits. */
    public static ServeConfig loopback(String modelName) {
        return new ServeConfig(DEFAULT_HOST, 0, null, modelName, DEFAULT_MAX_BATCH, DEFAULT_MAX_BODY_BYTES,
                DEFAULT_BATCH_WINDOW_MS);
    }

    public ServeConfig withApiKey(String key) {
        return new ServeConfig(host, port, key, modelName, maxBatch, maxBodyBytes, batchWindowMs);
    }

    public ServeConfig withMaxBodyBytes(long bytes) {
        return new ServeConfig(host, port, apiKey, modelName, maxBatch, bytes, batchWindowMs);
    }

    public ServeConfig withBatchWindowMs(long ms) {
        return new ServeConfig(host, port, apiKey, modelName, maxBatch, maxBodyBytes, ms);
    }
}
