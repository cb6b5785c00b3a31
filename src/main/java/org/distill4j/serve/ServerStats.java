package org.distill4j.serve;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.concurrent.atomic.AtomicLong;
import org.distill4j.util.Json;

/** Counters a test or an operator can read (GET /stats): how well requests were batched, and errors. */
public final class ServerStats {
    private final AtomicLong generationRequests = new AtomicLong();
    private final AtomicLong samplingBatches = new AtomicLong();
    private final AtomicLong sampledRequests = new AtomicLong();
    private final AtomicLong sampledRows = new AtomicLong();
    private final AtomicLong scoringBatches = new AtomicLong();
    private final AtomicLong clientErrors = new AtomicLong();
    private final AtomicLong serverErrors = new AtomicLong();

    void request() {
        generationRequests.incrementAndGet();
    }

    void samplingBatch(int requests, int rows) {
        samplingBatches.incrementAndGet();
        sampledRequests.addAndGet(requests);
        sampledRows.addAndGet(rows);
    }

    void scoringBatch() {
        scoringBatches.incrementAndGet();
    }

    void response(int status) {
        if (status >= 500) {
            serverErrors.incrementAndGet();
        } else if (status >= 400) {
            clientErrors.incrementAndGet();
        }
    }

    /** Completion and chat requests that passed validation. */
    public long generationRequests() {
        return generationRequests.get();
    }

    /** Sampler.generate calls: fewer than the requests that sampled when batching works. */
    public long samplingBatches() {
        return samplingBatches.get();
    }

    /** Requests served by those calls (each counted once per call it took part in). */
    public long sampledRequests() {
        return sampledRequests.get();
    }

    public long scoringBatches() {
        return scoringBatches.get();
    }

    public long clientErrors() {
        return clientErrors.get();
    }

    public long serverErrors() {
        return serverErrors.get();
    }

    ObjectNode toJson() {
        ObjectNode o = Json.object();
        o.put("generation_requests", generationRequests.get());
        o.put("sampling_batches", samplingBatches.get());
        o.put("sampled_requests", sampledRequests.get());
        o.put("sampled_rows", sampledRows.get());
        o.put("scoring_batches", scoringBatches.get());
        o.put("client_errors", clientErrors.get());
        o.put("server_errors", serverErrors.get());
        return o;
    }
}
