package org.distill4j.openai;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;
import java.io.IOException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.IntConsumer;
import org.distill4j.openai.BatchReport.RetryCause;
import org.distill4j.util.Json;

/**
 * The one client of OpenAI-compatible endpoints (a teacher API, an LLM judge): a journalled batch runner. Requests run on virtual threads, at most
 * {@code concurrency} at a time and {@code maxRequestsPerMinute} started per minute; 429, 5xx, timeouts,
 * dropped connections and unparseable replies are retried with backoff (Retry-After obeyed); every
 * response is journalled durably as it arrives, and samples already in the journal are never requested
 * again. One request asks for the missing samples of one prompt (n = how many are missing).
 */
public final class OpenAiClient implements AutoCloseable {
    private final EndpointSettings settings;
    private final HttpClient client;
    private final ExecutorService httpExecutor;
    private final RateLimiter limiter;

    public OpenAiClient(EndpointSettings settings) {
        this.settings = settings;
        this.httpExecutor = Executors.newVirtualThreadPerTaskExecutor();
        this.client = HttpClient.newBuilder()
                .version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(settings.requestTimeout().compareTo(Duration.ofSeconds(10)) < 0
                        ? settings.requestTimeout() : Duration.ofSeconds(10))
                .executor(httpExecutor)
                .build();
        this.limiter = new RateLimiter(settings.maxRequestsPerMinute());
    }

    /**
     * Obtains samples 0..n-1 of every prompt that the journal lacks, journalling each response as it
     * arrives. Returns when every request has succeeded or been given up on.
     *
     * @param progress told the number of samples newly journalled, as they are
     */
    public BatchReport run(List<Prompt> prompts, int n, Journal journal, IntConsumer progress) {
        if (n < 1) {
            throw new IllegalArgumentException("n must be >= 1, got " + n);
        }
        long start = System.nanoTime();
        ConcurrentLinkedQueue<WorkItem> work = new ConcurrentLinkedQueue<>();
        int fromJournal = 0;
        int perRequest = settings.maxSamplesPerRequest() == 0 ? n : settings.maxSamplesPerRequest();
        for (int p = 0; p < prompts.size(); p++) {
            List<Integer> missing = new ArrayList<>();
            for (int s = 0; s < n; s++) {
                if (journal.contains(p, s)) {
                    fromJournal++;
                } else {
                    missing.add(s);
                }
            }
            for (int from = 0; from < missing.size(); from += perRequest) {
                work.add(new WorkItem(p, missing.subList(from, Math.min(missing.size(), from + perRequest))));
            }
        }
        Run run = new Run(prompts, journal, progress);
        try (ExecutorService workers = Executors.newVirtualThreadPerTaskExecutor()) {
            for (int c = 0; c < settings.concurrency(); c++) {
                workers.submit(() -> {
                    WorkItem item;
                    while (run.abort == null && (item = work.poll()) != null && !Thread.currentThread().isInterrupted()) {
                        try {
                            run.process(item);
                        } catch (RuntimeException e) { // the journal cannot be written: stop before paying for more
                            run.abort = e;
                        }
                    }
                });
            }
        }
        if (run.abort != null) {
            throw run.abort;
        }
        Map<RetryCause, Long> retries = new EnumMap<>(RetryCause.class);
        run.retries.forEach((cause, count) -> retries.put(cause, count.get()));
        return new BatchReport(prompts.size() * n, fromJournal, run.fetched.get(), run.attempts.get(), retries,
                List.copyOf(run.failures), Duration.ofNanos(System.nanoTime() - start));
    }

    /** Samples of one prompt asked for in one request. */
    private record WorkItem(int prompt, List<Integer> samples) {}

    /** The result of one HTTP attempt. */
    private sealed interface Outcome {
        record Success(String responseId, List<Choice> choices) implements Outcome {}

        record Retry(RetryCause cause, Optional<Duration> retryAfter, String detail) implements Outcome {}

        record Fatal(String detail) implements Outcome {}
    }

    private record Choice(String text, String finishReason) {}

    /** State shared by the worker threads of one {@link #run}. */
    private final class Run {
        final List<Prompt> prompts;
        final Journal journal;
        final IntConsumer progress;
        final AtomicInteger fetched = new AtomicInteger();
        final AtomicLong attempts = new AtomicLong();
        final Map<RetryCause, AtomicLong> retries = new EnumMap<>(RetryCause.class);
        final List<BatchReport.Failure> failures = java.util.Collections.synchronizedList(new ArrayList<>());
        volatile RuntimeException abort;

        Run(List<Prompt> prompts, Journal journal, IntConsumer progress) {
            this.prompts = prompts;
            this.journal = journal;
            this.progress = progress;
            for (RetryCause c : RetryCause.values()) {
                retries.put(c, new AtomicLong());
            }
        }

        void process(WorkItem item) {
            String requestId = "req-" + UUID.randomUUID();
            String body = Json.compact(requestBody(prompts.get(item.prompt()), item.samples().size()));
            SplittableRandom jitter = new SplittableRandom();
            String lastError = "";
            for (int attempt = 1; attempt <= settings.retry().maxAttempts(); attempt++) {
                Outcome outcome;
                try {
                    limiter.acquire();
                    attempts.incrementAndGet();
                    outcome = attempt(body, requestId, item.samples().size());
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    failures.add(new BatchReport.Failure(item.prompt(), item.samples(), attempt, "interrupted"));
                    return;
                }
                switch (outcome) {
                    case Outcome.Success s -> {
                        List<JournalEntry> entries = new ArrayList<>();
                        for (int i = 0; i < item.samples().size(); i++) {
                            Choice c = s.choices().get(i);
                            entries.add(new JournalEntry(item.prompt(), item.samples().get(i), requestId, s.responseId(),
                                    c.text(), c.finishReason()));
                        }
                        journal.append(entries);
                        fetched.addAndGet(entries.size());
                        progress.accept(entries.size());
                        return;
                    }
                    case Outcome.Fatal f -> {
                        failures.add(new BatchReport.Failure(item.prompt(), item.samples(), attempt, f.detail()));
                        return;
                    }
                    case Outcome.Retry r -> {
                        lastError = r.cause().label() + ": " + r.detail();
                        if (attempt == settings.retry().maxAttempts()) {
                            break;
                        }
                        retries.get(r.cause()).incrementAndGet();
                        try {
                            Thread.sleep(settings.retry().delay(attempt, r.retryAfter(), jitter));
                        } catch (InterruptedException e) {
                            Thread.currentThread().interrupt();
                            failures.add(new BatchReport.Failure(item.prompt(), item.samples(), attempt, "interrupted"));
                            return;
                        }
                    }
                }
            }
            failures.add(new BatchReport.Failure(item.prompt(), item.samples(), settings.retry().maxAttempts(), lastError));
        }
    }

    /** A completions ({@code prompt}) or chat ({@code messages}) request; unset sampling fields are left out. */
    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    @JsonInclude(JsonInclude.Include.NON_NULL)
    private record RequestBody(String model, List<Prompt.Turn> messages, String prompt, int n, Double temperature,
                               Integer maxTokens) {}

    private RequestBody requestBody(Prompt prompt, int n) {
        if (settings.chat()) {
            List<Prompt.Turn> messages = switch (prompt) {
                case Prompt.Text t -> List.of(new Prompt.Turn("user", t.text()));
                case Prompt.Conversation c -> c.turns();
            };
            return new RequestBody(settings.model(), messages, null, n, settings.temperature(), settings.maxTokens());
        }
        return switch (prompt) {
            case Prompt.Text t -> new RequestBody(settings.model(), null, t.text(), n, settings.temperature(),
                    settings.maxTokens());
            case Prompt.Conversation c -> throw new IllegalArgumentException(
                    "a conversation needs the chat endpoint (--chat)");
        };
    }

    private Outcome attempt(String body, String requestId, int expectedChoices) throws InterruptedException {
        HttpRequest.Builder req = HttpRequest.newBuilder(settings.requestUri())
                .timeout(settings.requestTimeout())
                .header("Content-Type", "application/json")
                .header("X-Request-Id", requestId)
                .POST(HttpRequest.BodyPublishers.ofString(body, StandardCharsets.UTF_8));
        if (settings.apiKey() != null) {
            req.header("Authorization", "Bearer " + settings.apiKey());
        }
        CompletableFuture<HttpResponse<String>> pending = client.sendAsync(req.build(),
                HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
        HttpResponse<String> resp;
        try {
            // HttpRequest.timeout covers only the wait for headers; a body that trickles in must be cut too
            resp = pending.get(settings.requestTimeout().toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            pending.cancel(true);
            return new Outcome.Retry(RetryCause.TIMEOUT, Optional.empty(), "no complete reply within " + settings.requestTimeout());
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof HttpTimeoutException) {
                return new Outcome.Retry(RetryCause.TIMEOUT, Optional.empty(), cause.getMessage());
            }
            if (cause instanceof IOException) {
                return new Outcome.Retry(RetryCause.CONNECTION, Optional.empty(), cause.toString());
            }
            return new Outcome.Fatal("request failed: " + cause);
        } catch (InterruptedException e) {
            pending.cancel(true);
            throw e;
        }
        int status = resp.statusCode();
        if (status / 100 == 2) {
            return parse(resp.body(), expectedChoices);
        }
        Optional<Duration> retryAfter = RetryPolicy.retryAfter(resp.headers(), Instant.now());
        String detail = "HTTP " + status + errorMessage(resp.body());
        if (status == 429) {
            return new Outcome.Retry(RetryCause.RATE_LIMITED, retryAfter, detail);
        }
        if (status >= 500) {
            return new Outcome.Retry(RetryCause.SERVER_ERROR, retryAfter, detail);
        }
        if (status == 408) {
            return new Outcome.Retry(RetryCause.TIMEOUT, retryAfter, detail);
        }
        return new Outcome.Fatal(detail); // other 4xx: the request itself is wrong; retrying cannot help
    }

    /** A 2xx body: choices with text (completions) or message.content (chat), ordered by index. */
    private Outcome parse(String body, int expected) {
        JsonNode root;
        try {
            root = Json.MAPPER.readTree(body);
        } catch (IOException e) {
            return malformed("not JSON (" + e.getMessage().lines().findFirst().orElse("") + ")");
        }
        JsonNode choices = root == null ? null : root.get("choices");
        if (choices == null || !choices.isArray()) {
            return malformed("no 'choices' array");
        }
        if (choices.size() != expected) {
            return malformed(choices.size() + " choices for n = " + expected);
        }
        Choice[] ordered = new Choice[expected];
        for (int i = 0; i < expected; i++) {
            JsonNode c = choices.get(i);
            int index = c.has("index") ? c.get("index").asInt(-1) : i;
            JsonNode text = settings.chat() ? c.path("message").get("content") : c.get("text");
            if (index < 0 || index >= expected || ordered[index] != null) {
                return malformed("choice index " + c.get("index") + " out of place");
            }
            if (text == null || !(text.isTextual() || text.isNull())) {
                return malformed("choice " + index + " has no " + (settings.chat() ? "message.content" : "text"));
            }
            ordered[index] = new Choice(text.isNull() ? "" : text.asText(), c.path("finish_reason").asText(null));
        }
        return new Outcome.Success(root.path("id").asText(null), List.of(ordered));
    }

    private static Outcome malformed(String why) {
        return new Outcome.Retry(RetryCause.MALFORMED, Optional.empty(), why);
    }

    private static String errorMessage(String body) {
        try {
            JsonNode m = Json.MAPPER.readTree(body).path("error").path("message");
            return m.isTextual() ? ": " + m.asText() : "";
        } catch (IOException | RuntimeException e) {
            return "";
        }
    }

    /**
     * Identifies what a journal holds answers to: the model, endpoint kind, sampling settings and every
     * prompt. Not n (a rerun may ask for more samples) nor the host (a replica serves the same model).
     */
    public String fingerprint(List<Prompt> prompts) {
        try {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            sha.update(Json.bytes(new FingerprintHead(settings.model(), settings.chat(), settings.temperature(),
                    settings.maxTokens())));
            for (Prompt p : prompts) {
                sha.update((byte) '\n');
                sha.update(Json.bytes(requestBodyForFingerprint(p)));
            }
            return HexFormat.of().formatHex(sha.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The settings a journal's answers depend on; nulls are written (these bytes are hashed: keep them as they are). */
    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    private record FingerprintHead(String model, boolean chat, Double temperature, Integer maxTokens) {}

    private JsonNode requestBodyForFingerprint(Prompt p) {
        return switch (p) {
            case Prompt.Text t -> Json.MAPPER.valueToTree(t.text());
            case Prompt.Conversation c -> Json.MAPPER.valueToTree(c.turns());
        };
    }

    public EndpointSettings settings() {
        return settings;
    }

    @Override
    public void close() {
        client.shutdownNow();
        httpExecutor.shutdownNow();
    }
}
