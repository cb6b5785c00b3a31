package org.distill4j.serve;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.distill4j.generate.Sample;
import org.distill4j.util.Json;

/**
 * Writes a streaming request's response as server-sent events: {@code data: {chunk}} per decoded token
 * (the tokens of one step flushed together), an optional usage chunk, then {@code data: [DONE]}. The
 * status line waits for the first token, so a request that fails before it still gets a proper error
 * status; a failure after it arrives as an {@code error} event. A write that fails (or, before the first
 * token, a closed connection) cancels the request, so its rows leave the batch at the next step.
 */
final class EventStream {
    private final Exchange ex;
    private final Job job;
    private final StreamChunks chunks;
    private boolean started;

    EventStream(Exchange ex, Job job, ResponseBuilder responses) {
        this.ex = ex;
        this.job = job;
        this.chunks = new StreamChunks(responses, job.request);
    }

    /** Streams until the request ends; returns the status for the logs (499: the client left). */
    int run() {
        try {
            List<Job.Delta> batch = new ArrayList<>();
            while (true) {
                Job.Delta d = job.deltas.poll(OpenAiServer.CLIENT_CHECK_MILLIS, TimeUnit.MILLISECONDS);
                if (d == null) {
                    if (job.result.isDone() && job.deltas.isEmpty()) {
                        break;
                    }
                    if (!started && ex.clientGone()) {
                        job.cancel();
                        return OpenAiServer.CLIENT_CLOSED;
                    }
                    continue;
                }
                batch.clear();
                batch.add(d);
                job.deltas.drainTo(batch);
                write(batch);
            }
            return finish();
        } catch (IOException e) {
            job.cancel(); // the client went away mid-stream
            return OpenAiServer.CLIENT_CLOSED;
        } catch (InterruptedException e) {
            job.cancel();
            Thread.currentThread().interrupt();
            return OpenAiServer.CLIENT_CLOSED;
        }
    }

    private void write(List<Job.Delta> deltas) throws IOException {
        if (!started) {
            ex.startEvents();
            started = true;
        }
        for (Job.Delta d : deltas) {
            if (job.request.chat() && !chunks.announced(d.index())) {
                ex.event(Json.MAPPER.writeValueAsString(chunks.role(d.index())));
            }
            ex.event(Json.MAPPER.writeValueAsString(chunks.token(d)));
        }
        ex.flushEvents();
    }

    private int finish() throws IOException, InterruptedException {
        GenerationResult result;
        try {
            result = job.result.get();
        } catch (CancellationException e) { // CompletableFuture throws a cancellation cause as it is
            return OpenAiServer.CLIENT_CLOSED;
        } catch (ExecutionException e) {
            if (e.getCause() instanceof CancellationException) {
                return OpenAiServer.CLIENT_CLOSED;
            }
            ApiError error = e.getCause() instanceof ApiError api ? api
                    : new ApiError(500, "server_error", null, null, "generation failed: " + e.getCause());
            if (!started) {
                throw error; // nothing sent yet: an ordinary error response
            }
            ex.event(Json.MAPPER.writeValueAsString(error.toJson()));
            ex.event("[DONE]");
            ex.endEvents();
            return error.status();
        }
        if (!started) {
            ex.startEvents();
            started = true;
        }
        if (job.request.streamUsage()) {
            long prompt = 0;
            for (long[] p : job.request.promptIds()) {
                prompt += p.length;
            }
            long completion = 0;
            for (Sample s : result.samples()) {
                completion += s.tokens().length;
            }
            ex.event(Json.MAPPER.writeValueAsString(chunks.usage(prompt, completion)));
        }
        ex.event("[DONE]");
        ex.flushEvents();
        ex.endEvents();
        return 200;
    }
}
