package org.distill4j.serve;

import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;
import java.util.concurrent.atomic.AtomicLong;

/** Counters a test or an operator can read (GET /stats): how well requests shared decoding steps, and errors. */
public final class ServerStats {
    private final AtomicLong generationRequests = new AtomicLong();
    private final AtomicLong decodingSteps = new AtomicLong();
    private final AtomicLong decodedRows = new AtomicLong();
    private final AtomicLong cacheRebuilds = new AtomicLong();
    private final AtomicLong scoringBatches = new AtomicLong();
    private final AtomicLong cancelledRequests = new AtomicLong();
    private final AtomicLong clientErrors = new AtomicLong();
    private final AtomicLong serverErrors = new AtomicLong();

    void request() {
        generationRequests.incrementAndGet();
    }

    void step(int rows, long rebuildsSoFar) {
        decodingSteps.incrementAndGet();
        decodedRows.addAndGet(rows);
        cacheRebuilds.set(rebuildsSoFar);
    }

    void cancelled() {
        cancelledRequests.incrementAndGet();
    }

    void scoringBatch() {
        scoringBatches.incrementAndGet();
    }

    void response(int status) {
        if (status >= 500) {
            serverErrors.incrementAndGet();
        } else if (status >= 400 && status != OpenAiServer.CLIENT_CLOSED) { // 499 is counted as cancelled
            clientErrors.incrementAndGet();
        }
    }

    /** Completion and chat requests that passed validation. */
    public long generationRequests() {
        return generationRequests.get();
    }

    /** Forward passes of the running batch: each decodes one token for every row in it. */
    public long decodingSteps() {
        return decodingSteps.get();
    }

    /** Tokens decoded by those steps (rows summed over steps): above the steps when requests share them. */
    public long decodedRows() {
        return decodedRows.get();
    }

    public long scoringBatches() {
        return scoringBatches.get();
    }

    /** Requests dropped because their client went away before the answer. */
    public long cancelledRequests() {
        return cancelledRequests.get();
    }

    /** Times the running batch's KV cache was rebuilt (every row prefilled again); few when rows join in place. */
    public long cacheRebuilds() {
        return cacheRebuilds.get();
    }

    public long clientErrors() {
        return clientErrors.get();
    }

    public long serverErrors() {
        return serverErrors.get();
    }

    /** The body of GET /stats. */
    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    record Snapshot(long generationRequests, long decodingSteps, long decodedRows, long cacheRebuilds,
                    long scoringBatches, long cancelledRequests, long clientErrors, long serverErrors) {}

    Snapshot toJson() {
        return new Snapshot(generationRequests.get(), decodingSteps.get(), decodedRows.get(), cacheRebuilds.get(),
                scoringBatches.get(), cancelledRequests.get(), clientErrors.get(), serverErrors.get());
    }
}
