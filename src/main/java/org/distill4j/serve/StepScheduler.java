package org.distill4j.serve;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.distill4j.generate.StepDecoder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.distill4j.lm.Tokenizer;

/**
 * Continuous batching: HTTP threads submit validated requests; one worker thread, the only thread that
 * runs the model, decodes one token per step for a running batch of at most {@code maxRows} rows that
 * requests join and leave between steps. Each step it takes in new requests (scoring echo prompts in one
 * forward), drops the rows of cancelled ones, shares the batch fairly among the requests that have rows
 * left (round robin, one row at a time, in arrival order), runs one {@link StepDecoder#step}, and finishes
 * the requests whose rows have all ended. A short request therefore waits for one step of a long one,
 * not for all of it. Rows taken out of the batch to make room keep their tokens and are prefilled again
 * when they come back.
 */
final class StepScheduler implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(StepScheduler.class);

    private final LinkedBlockingQueue<Job> queue = new LinkedBlockingQueue<>();
    private final StepDecoder decoder;
    private final PromptScorer scorer;
    private final Tokenizer tokenizer;
    private final TokenText tokenText;
    private final int maxRows;
    private final long windowNanos;
    private final long maxWaitingRows;
    private final ServerStats stats;
    private final Metrics metrics;
    /** Rows accepted and not finished, waiting or running (admission control: 429 above the bound). */
    private final AtomicLong acceptedRows = new AtomicLong();
    private volatile int runningRows;
    /** Jobs with rows still to decode, in arrival order (worker thread only). */
    private final List<Job> active = new ArrayList<>();
    private final Thread thread;
    private volatile boolean running = true;

    StepScheduler(StepDecoder decoder, PromptScorer scorer, Tokenizer tokenizer, TokenText tokenText, int maxRows, long windowMillis,
                  long maxWaitingRows, ServerStats stats, Metrics metrics) {
        this.decoder = decoder;
        this.scorer = scorer;
        this.tokenizer = tokenizer;
        this.tokenText = tokenText;
        this.maxRows = maxRows;
        this.windowNanos = TimeUnit.MILLISECONDS.toNanos(windowMillis);
        this.maxWaitingRows = maxWaitingRows;
        this.stats = stats;
        this.metrics = metrics;
        this.thread = Thread.ofPlatform().name("distill-serve-scheduler").daemon().start(this::loop);
    }

    /** Queues a request; refuses it (429) when the rows already accepted exceed the bound, or (503) when stopping. */
    Job submit(GenerationRequest request, boolean stream) {
        if (!running) {
            throw shuttingDown();
        }
        long rows = request.samples() ? request.rows() : 0;
        if (acceptedRows.addAndGet(rows) > maxWaitingRows && rows > 0) {
            acceptedRows.addAndGet(-rows);
            throw new ApiError(429, "rate_limit_exceeded", null, "rate_limit_exceeded",
                    "the server has " + maxWaitingRows + " rows (prompt x sample) queued or running, its limit "
                            + "(--max-waiting-rows); retry later");
        }
        Job job = new Job(request, stream);
        queue.add(job);
        if (!running && queue.remove(job)) { // closed between the check and the add: nobody will take it
            acceptedRows.addAndGet(-rows);
            throw shuttingDown();
        }
        return job;
    }

    /** Rows accepted and not in the running batch. */
    long waitingRows() {
        return Math.max(0, acceptedRows.get() - runningRows);
    }

    long runningRows() {
        return runningRows;
    }

    private void loop() {
        while (running) {
            try {
                if (active.isEmpty()) {
                    Job first = queue.poll(50, TimeUnit.MILLISECONDS);
                    if (first == null) {
                        continue;
                    }
                    admit(gather(first));
                } else {
                    List<Job> arrived = new ArrayList<>();
                    queue.drainTo(arrived);
                    admit(arrived);
                }
                step();
            } catch (InterruptedException e) {
                break;
            } catch (Throwable t) { // never let the only model thread die
                LOG.error("scheduler step failed: " + t);
                failActive(t);
            }
        }
        List<Job> left = new ArrayList<>(active);
        queue.drainTo(left);
        for (Job j : left) {
            finish(j, shuttingDown());
        }
        active.clear();
        decoder.reset();
    }

    /** An idle server waits a short window after the first request, so a burst starts as one batch. */
    private List<Job> gather(Job first) throws InterruptedException {
        List<Job> batch = new ArrayList<>();
        batch.add(first);
        long deadline = System.nanoTime() + windowNanos;
        int rows = first.request.rows();
        while (rows < maxRows) {
            long wait = deadline - System.nanoTime();
            Job next = wait > 0 ? queue.poll(wait, TimeUnit.NANOSECONDS) : queue.poll();
            if (next == null) {
                break;
            }
            batch.add(next);
            rows += next.request.rows();
        }
        return batch;
    }

    /** New jobs: echo prompts are scored together now; jobs that only score are done. */
    private void admit(List<Job> jobs) {
        List<Job> echo = new ArrayList<>();
        for (Job j : jobs) {
            if (j.request.echo() && j.request.logprobs() != null && !j.cancelled) {
                echo.add(j);
            }
        }
        if (!echo.isEmpty()) {
            score(echo);
        }
        for (Job j : jobs) {
            if (j.result.isDone()) {
                continue; // scoring failed
            }
            if (j.cancelled) {
                acceptedRows.addAndGet(-j.unfinished);
                metrics.cancelled.incrementAndGet();
                stats.cancelled();
                finish(j, new CancellationException("the client went away"));
                continue;
            }
            if (j.unfinished == 0) {
                finish(j, null);
            } else {
                active.add(j);
            }
        }
    }

    private void score(List<Job> jobs) {
        List<long[]> prompts = new ArrayList<>();
        int k = 0;
        for (Job j : jobs) {
            prompts.addAll(j.request.promptIds());
            k = Math.max(k, j.request.topLogprobs());
        }
        try {
            List<PromptScores> scores = scorer.score(prompts, k);
            stats.scoringBatch();
            int at = 0;
            for (Job j : jobs) {
                int count = j.request.promptIds().size();
                j.scores = scores.subList(at, at + count);
                at += count;
            }
        } catch (RuntimeException e) {
            for (Job j : jobs) {
                finish(j, new ApiError(500, "server_error", null, null, "scoring failed: " + e));
            }
        }
    }

    private void step() {
        dropCancelled();
        List<Job.Row> rows = choose();
        runningRows = rows.size();
        if (rows.isEmpty()) {
            return;
        }
        List<StepDecoder.Row> decoding = new ArrayList<>(rows.size());
        for (Job.Row r : rows) {
            decoding.add(r.decoding);
        }
        List<StepDecoder.Token> tokens = decoder.step(decoding);
        metrics.steps.incrementAndGet();
        metrics.generationTokens.addAndGet(rows.size());
        stats.step(rows.size(), decoder.rebuilds());
        long now = System.nanoTime();
        for (int i = 0; i < rows.size(); i++) {
            Job.Row r = rows.get(i);
            Job j = r.job();
            if (j.firstToken == 0) {
                j.firstToken = now;
                metrics.timeToFirstToken.observe((now - j.submitted) / 1e9);
            }
            j.accept(r, tokens.get(i), tokenizer, tokenText);
            if (r.finish != null) {
                r.running = false;
                acceptedRows.decrementAndGet();
            }
        }
        for (Iterator<Job> it = active.iterator(); it.hasNext(); ) {
            Job j = it.next();
            if (j.unfinished == 0) {
                it.remove();
                finish(j, null);
            }
        }
    }

    /** Requests whose client went away leave before the step: their rows are not decoded again. */
    private void dropCancelled() {
        for (Iterator<Job> it = active.iterator(); it.hasNext(); ) {
            Job j = it.next();
            if (j.cancelled) {
                it.remove();
                acceptedRows.addAndGet(-j.unfinished);
                metrics.cancelled.incrementAndGet();
                stats.cancelled();
                finish(j, new CancellationException("the client went away"));
            }
        }
    }

    /**
     * The rows of the next step: the batch's places dealt round robin, one at a time, to the jobs in
     * arrival order, each taking rows that are already running before rows that are not.
     */
    private List<Job.Row> choose() {
        int[] quota = new int[active.size()];
        int[] left = new int[active.size()];
        for (int i = 0; i < active.size(); i++) {
            left[i] = active.get(i).unfinished;
        }
        int places = maxRows;
        boolean dealt = true;
        while (places > 0 && dealt) {
            dealt = false;
            for (int i = 0; i < quota.length && places > 0; i++) {
                if (quota[i] < left[i]) {
                    quota[i]++;
                    places--;
                    dealt = true;
                }
            }
        }
        List<Job.Row> out = new ArrayList<>();
        for (int i = 0; i < quota.length; i++) {
            int take = quota[i];
            Job j = active.get(i);
            List<Job.Row> chosen = new ArrayList<>();
            for (Job.Row r : j.rows) {
                if (r.finish == null && r.running && chosen.size() < take) {
                    chosen.add(r);
                }
            }
            for (Job.Row r : j.rows) {
                if (r.finish == null && !r.running && chosen.size() < take) {
                    chosen.add(r);
                }
            }
            for (Job.Row r : j.rows) {
                r.running = false;
            }
            for (Job.Row r : chosen) {
                r.running = true;
            }
            out.addAll(chosen);
        }
        return out;
    }

    /** A step failed: its requests get 500 and the decoder starts afresh, so later requests are unaffected. */
    private void failActive(Throwable t) {
        for (Job j : active) {
            acceptedRows.addAndGet(-j.unfinished);
            finish(j, new ApiError(500, "server_error", null, null, "generation failed: " + t));
        }
        active.clear();
        decoder.reset();
    }

    private void finish(Job j, Throwable failure) {
        if (failure != null) {
            j.result.completeExceptionally(failure);
            return;
        }
        metrics.latency.observe((System.nanoTime() - j.submitted) / 1e9);
        j.result.complete(j.toResult());
    }

    private static ApiError shuttingDown() {
        return new ApiError(503, "server_error", null, "shutting_down", "the server is shutting down");
    }

    /** Stops taking work; requests still queued or running are answered 503. */
    @Override
    public void close() {
        running = false;
        try {
            thread.join(TimeUnit.SECONDS.toMillis(30));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
