package org.distill4j.serve;

import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.distill4j.generate.Sample;
import org.distill4j.generate.Sampler;

/**
 * Micro-batching: HTTP handler threads enqueue validated requests; one worker thread, the only thread
 * that touches the model, takes the first waiting request, keeps draining the queue for a short window
 * (or until the batch holds {@code maxRows} rows), then scores every echo prompt in one forward and runs
 * one {@link Sampler#generate} per group of requests that share sampling settings. Each (prompt,
 * sample) row carries its own seed, so a request's samples do not depend on its batch-mates.
 */
final class BatchingWorker implements AutoCloseable {
    private record Job(GenerationRequest request, CompletableFuture<GenerationResult> result) {}

    /** Results gathered for one job across the scoring and sampling stages. */
    private static final class Partial {
        List<PromptScores> scores;
        List<Sample> samples = List.of();
        Throwable failure;
    }

    private final LinkedBlockingQueue<Job> queue = new LinkedBlockingQueue<>();
    private final Sampler sampler;
    private final PromptScorer scorer;
    private final int maxRows;
    private final long windowNanos;
    private final ServerStats stats;
    private final Thread thread;
    private volatile boolean running = true;

    BatchingWorker(Sampler sampler, PromptScorer scorer, int maxRows, long windowMillis, ServerStats stats) {
        this.sampler = sampler;
        this.scorer = scorer;
        this.maxRows = maxRows;
        this.windowNanos = TimeUnit.MILLISECONDS.toNanos(windowMillis);
        this.stats = stats;
        this.thread = Thread.ofPlatform().name("distill-serve-batcher").daemon().start(this::loop);
    }

    CompletableFuture<GenerationResult> submit(GenerationRequest request) {
        CompletableFuture<GenerationResult> f = new CompletableFuture<>();
        if (!running) {
            f.completeExceptionally(shuttingDown());
            return f;
        }
        Job job = new Job(request, f);
        queue.add(job);
        if (!running && queue.remove(job)) { // closed between the check and the add: nobody will take it
            f.completeExceptionally(shuttingDown());
        }
        return f;
    }

    private void loop() {
        while (running) {
            try {
                Job first = queue.poll(50, TimeUnit.MILLISECONDS);
                if (first != null) {
                    run(drainAfter(first));
                }
            } catch (InterruptedException e) {
                break;
            } catch (Throwable t) { // never let the only model thread die
                System.err.println("serve: batch failed: " + t);
            }
        }
        Job left;
        while ((left = queue.poll()) != null) {
            left.result().completeExceptionally(shuttingDown());
        }
    }

    private List<Job> drainAfter(Job first) throws InterruptedException {
        List<Job> batch = new ArrayList<>();
        batch.add(first);
        int rows = first.request().rows();
        long deadline = System.nanoTime() + windowNanos;
        while (rows < maxRows) {
            long wait = deadline - System.nanoTime();
            Job next = wait > 0 ? queue.poll(wait, TimeUnit.NANOSECONDS) : queue.poll();
            if (next == null) {
                break;
            }
            batch.add(next);
            rows += next.request().rows();
        }
        return batch;
    }

    private void run(List<Job> batch) {
        Map<Job, Partial> partial = new IdentityHashMap<>();
        for (Job j : batch) {
            partial.put(j, new Partial());
        }
        List<Job> echo = batch.stream().filter(j -> j.request().echo() && j.request().logprobs() != null).toList();
        if (!echo.isEmpty()) {
            runStage(echo, partial, this::score);
        }
        Map<SamplingKey, List<Job>> groups = new LinkedHashMap<>();
        for (Job j : batch) {
            if (j.request().samples()) {
                groups.computeIfAbsent(j.request().key(), k -> new ArrayList<>()).add(j);
            }
        }
        for (List<Job> group : groups.values()) {
            runStage(group, partial, this::sample);
        }
        for (Job j : batch) {
            Partial p = partial.get(j);
            if (p.failure != null) {
                j.result().completeExceptionally(p.failure);
            } else {
                j.result().complete(new GenerationResult(p.samples, p.scores));
            }
        }
    }

    private interface Stage {
        void apply(List<Job> jobs, Map<Job, Partial> partial);
    }

    /** Runs a stage over jobs; if the shared batch fails, each job is retried alone so one bad request fails alone. */
    private static void runStage(List<Job> jobs, Map<Job, Partial> partial, Stage stage) {
        try {
            stage.apply(jobs, partial);
        } catch (RuntimeException batchFailure) {
            for (Job j : jobs) {
                try {
                    stage.apply(List.of(j), partial);
                } catch (RuntimeException e) {
                    partial.get(j).failure = e;
                }
            }
        }
    }

    private void score(List<Job> jobs, Map<Job, Partial> partial) {
        List<long[]> prompts = new ArrayList<>();
        int k = 0;
        for (Job j : jobs) {
            prompts.addAll(j.request().promptIds());
            k = Math.max(k, j.request().topLogprobs());
        }
        List<PromptScores> scores = scorer.score(prompts, k);
        stats.scoringBatch();
        int at = 0;
        for (Job j : jobs) {
            int count = j.request().promptIds().size();
            partial.get(j).scores = scores.subList(at, at + count);
            at += count;
        }
    }

    private void sample(List<Job> jobs, Map<Job, Partial> partial) {
        List<long[]> rows = new ArrayList<>();
        List<Long> seeds = new ArrayList<>();
        int k = 0;
        for (Job j : jobs) {
            GenerationRequest r = j.request();
            for (int i = 0; i < r.promptIds().size(); i++) {
                for (int s = 0; s < r.n(); s++) {
                    rows.add(r.promptIds().get(i));
                    seeds.add(r.rowSeeds()[i * r.n() + s]);
                }
            }
            k = Math.max(k, r.topLogprobs());
        }
        long[] seedArray = seeds.stream().mapToLong(Long::longValue).toArray();
        List<Sample> samples = sampler.generate(rows, seedArray, jobs.get(0).request().key().params(k));
        stats.samplingBatch(jobs.size(), rows.size());
        int at = 0;
        for (Job j : jobs) {
            int count = j.request().rows();
            partial.get(j).samples = samples.subList(at, at + count);
            at += count;
        }
    }

    private static ApiError shuttingDown() {
        return new ApiError(503, "server_error", null, "shutting_down", "the server is shutting down");
    }

    /** Stops taking work; requests still queued are answered 503. */
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
