package org.distill4j.bench;

import ai.djl.ndarray.NDManager;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.lang.management.ManagementFactory;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.distill4j.lm.Checkpoint;
import org.distill4j.lm.ModelConfig;
import org.distill4j.lm.Safetensors;
import org.distill4j.lm.Transformer;
import org.distill4j.lm.WordLevelTokenizer;
import org.distill4j.util.UserError;

/**
 * Load on {@code distill serve} from loopback clients: the server runs as a child JVM (so its RSS is its own),
 * and this process opens one connection per client, all at once. Bounded: a fixed number of clients, each
 * with a timeout, and the child is stopped at the end whatever happened.
 */
public final class ServeBench {
    private ServeBench() {}

    /** What the clients send: how many, and which shares stream or hang up early. */
    public record Load(int clients, double streamShare, double cancelShare, List<Integer> maxTokens, int maxPromptWords,
                      long seed, Duration timeout) {}

    /** One client's outcome; times in seconds from its start, NaN where they do not apply. */
    record Outcome(boolean ok, boolean cancelled, boolean streamed, double firstToken, double latency, String error) {}

    /** The server child: its base URL and process. */
    public record Child(Process process, URI base) implements AutoCloseable {
        public long rssKb() {
            try {
                for (String line : Files.readAllLines(Path.of("/proc/" + process.pid() + "/status"))) {
                    if (line.startsWith("VmRSS:")) {
                        return Long.parseLong(line.replaceAll("[^0-9]", ""));
                    }
                }
            } catch (IOException | NumberFormatException e) {
                return -1;
            }
            return -1;
        }

        @Override
        public void close() {
            process.destroy(); // SIGTERM: the server's graceful stop
            try {
                if (!process.waitFor(20, TimeUnit.SECONDS)) {
                    process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
                }
            } catch (InterruptedException e) {
                process.destroyForcibly();
                Thread.currentThread().interrupt();
            }
        }
    }

    /**
     * A random Llama of the bench's small shape (hidden 256, 4 layers, vocabulary 4096 words) with a 512-token
     * context and a word-level tokenizer: a model to serve that needs nothing downloaded, and whose samples
     * rarely end early (random weights seldom pick the end id), so every request runs to its max_tokens.
     */
    public static Path randomModel(Path dir) throws IOException {
        List<String> words = new ArrayList<>();
        for (int i = 0; words.size() < BenchShape.SMALL.vocab() - 4; i++) {
            words.add("w" + i);
        }
        Files.createDirectories(dir);
        Path tokenizer = dir.resolve("words.json");
        WordLevelTokenizer.write(tokenizer, words);
        BenchShape s = BenchShape.SMALL;
        ModelConfig config = ModelConfig.llama(words.size() + 4, s.hidden(), s.intermediate(), s.layers(), s.heads(), s.heads(),
                512, true, WordLevelTokenizer.BOS_ID, WordLevelTokenizer.EOS_ID, WordLevelTokenizer.PAD_ID);
        Path model = dir.resolve("model");
        try (NDManager m = NDManager.newBaseManager(); Transformer t = Transformer.random(config, m, 1)) {
            Checkpoint.save(model, t, Safetensors.DType.F32, Map.of(Checkpoint.TOKENIZER, tokenizer));
        }
        return model;
    }

    /** Starts {@code distill serve} on 127.0.0.1 and a free port in a child JVM with this JVM's settings. */
    public static Child startServer(Path model, List<String> serveArgs) throws IOException {
        List<String> command = new ArrayList<>();
        command.add(ProcessHandle.current().info().command().orElse("java"));
        for (String a : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
            if (!a.startsWith("-agentlib") && !a.startsWith("-javaagent")) {
                command.add(a);
            }
        }
        command.addAll(List.of("-cp", System.getProperty("java.class.path"), "org.distill4j.cli.Main", "serve",
                "--model", model.toString(), "--host", "127.0.0.1", "--port", "0", "--served-model-name", "bench"));
        command.addAll(serveArgs);
        Process p = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        // the server must not outlive the bench, also when the bench is killed
        Runtime.getRuntime().addShutdownHook(new Thread(p::destroy, "distill-bench-serve-stop"));
        BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
        Pattern listening = Pattern.compile("listening on (http://\\S+/v1)");
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        String line;
        while (System.nanoTime() < deadline && (line = out.readLine()) != null) {
            Matcher m = listening.matcher(line);
            if (m.find()) {
                Thread.ofVirtual().start(() -> out.lines().forEach(l -> { })); // keep draining its stdout
                return new Child(p, URI.create(m.group(1)));
            }
        }
        p.destroyForcibly();
        throw new UserError("the server child did not start (see its stderr above)");
    }

    /** Runs the clients and returns one JSON line of results. */
    public static String run(Child server, Load load) throws Exception {
        SplittableRandom rng = new SplittableRandom(load.seed());
        List<String> bodies = new ArrayList<>();
        List<Integer> kinds = new ArrayList<>(); // 0 whole, 1 streamed, 2 cancelled whole, 3 cancelled stream
        for (int i = 0; i < load.clients(); i++) {
            int words = 1 + rng.nextInt(load.maxPromptWords());
            StringBuilder prompt = new StringBuilder();
            for (int w = 0; w < words; w++) {
                prompt.append(w == 0 ? "" : " ").append("w").append(rng.nextInt(4000));
            }
            int maxTokens = load.maxTokens().get(rng.nextInt(load.maxTokens().size()));
            double u = rng.nextDouble();
            boolean cancel = u < load.cancelShare();
            boolean stream = cancel ? rng.nextBoolean() : u < load.cancelShare() + load.streamShare();
            kinds.add((cancel ? 2 : 0) + (stream ? 1 : 0));
            bodies.add("{\"model\": \"bench\", \"prompt\": \"" + prompt + "\", \"max_tokens\": " + maxTokens
                    + ", \"temperature\": 1, \"seed\": " + i + (stream ? ", \"stream\": true" : "") + "}");
        }
        long rssBefore = server.rssKb();
        long cancelledBefore = counter(server, "distill_cancelled_requests_total");
        long stepsBefore = counter(server, "distill_decoding_steps_total");
        long tokensBefore = counter(server, "distill_generation_tokens_total");
        long rebuildsBefore = stat(server, "cache_rebuilds");
        List<CompletableFuture<Outcome>> outcomes = new ArrayList<>();
        long start = System.nanoTime();
        try (HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(30)).build()) {
            for (int i = 0; i < bodies.size(); i++) {
                outcomes.add(one(client, server.base(), bodies.get(i), kinds.get(i), load.timeout(), rng.split()));
            }
            CompletableFuture.allOf(outcomes.toArray(CompletableFuture[]::new)).join();
        }
        double wall = (System.nanoTime() - start) / 1e9;
        Thread.sleep(500); // let the server see the last hang-ups
        long rssAfter = server.rssKb();
        long cancelledByServer = counter(server, "distill_cancelled_requests_total") - cancelledBefore;
        long steps = counter(server, "distill_decoding_steps_total") - stepsBefore;
        long tokens = counter(server, "distill_generation_tokens_total") - tokensBefore;
        long rebuilds = stat(server, "cache_rebuilds") - rebuildsBefore;
        List<Outcome> all = outcomes.stream().map(CompletableFuture::join).toList();
        double[] ttft = all.stream().filter(o -> o.ok() && o.streamed()).mapToDouble(Outcome::firstToken).sorted().toArray();
        double[] latency = all.stream().filter(o -> o.ok() && !o.cancelled()).mapToDouble(Outcome::latency).sorted().toArray();
        List<String> errors = all.stream().filter(o -> !o.ok()).map(Outcome::error).distinct().limit(5).toList();
        return String.format("{\"clients\":%d,\"completed\":%d,\"streamed\":%d,\"cancelled_by_clients\":%d,"
                        + "\"cancelled_seen_by_server\":%d,\"errors\":%d,\"ttft_p50_s\":%.3f,\"ttft_p99_s\":%.3f,"
                        + "\"latency_p50_s\":%.3f,\"latency_p99_s\":%.3f,\"wall_s\":%.1f,\"decoding_steps\":%d,"
                        + "\"generated_tokens\":%d,\"cache_rebuilds\":%d,\"server_rss_before_mb\":%.0f,"
                        + "\"server_rss_after_mb\":%.0f,\"error_samples\":%s}",
                all.size(), latency.length, ttft.length, all.stream().filter(o -> o.ok() && o.cancelled()).count(),
                cancelledByServer, all.stream().filter(o -> !o.ok()).count(), pct(ttft, 50), pct(ttft, 99), pct(latency, 50),
                pct(latency, 99), wall, steps, tokens, rebuilds, rssBefore / 1024.0, rssAfter / 1024.0,
                errors.stream().map(e -> "\"" + e.replace("\"", "'") + "\"").toList());
    }

    /** One client: a whole or streamed request, or one that hangs up after its first token (stream) or a moment (whole). */
    private static CompletableFuture<Outcome> one(HttpClient client, URI base, String body, int kind, Duration timeout,
                                                  SplittableRandom rng) {
        boolean stream = (kind & 1) == 1;
        boolean cancel = kind >= 2;
        HttpRequest request = HttpRequest.newBuilder(URI.create(base + "/completions")).timeout(timeout)
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build();
        long start = System.nanoTime();
        if (!stream) {
            CompletableFuture<HttpResponse<String>> f = client.sendAsync(request, HttpResponse.BodyHandlers.ofString());
            if (cancel) {
                long delayMs = 50 + rng.nextInt(500);
                return CompletableFuture.supplyAsync(() -> {
                    try {
                        Thread.sleep(delayMs);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                    boolean hungUp = f.cancel(true); // closes the connection when the answer is still to come
                    return new Outcome(true, hungUp, false, Double.NaN, seconds(start), null);
                });
            }
            return f.handle((r, e) -> e != null ? new Outcome(false, false, false, Double.NaN, seconds(start), e.toString())
                    : r.statusCode() != 200 ? new Outcome(false, false, false, Double.NaN, seconds(start), r.statusCode() + " " + r.body())
                    : new Outcome(true, false, false, Double.NaN, seconds(start), null));
        }
        return client.sendAsync(request, HttpResponse.BodyHandlers.ofLines()).handle((r, e) -> {
            if (e != null) {
                return new Outcome(false, false, true, Double.NaN, seconds(start), e.toString());
            }
            if (r.statusCode() != 200) {
                return new Outcome(false, false, true, Double.NaN, seconds(start), "status " + r.statusCode());
            }
            double first = Double.NaN;
            boolean done = false;
            try (var lines = r.body()) {
                for (var it = lines.iterator(); it.hasNext(); ) {
                    String line = it.next();
                    if (line.startsWith("data: ") && Double.isNaN(first)) {
                        first = seconds(start);
                        if (cancel) {
                            return new Outcome(true, true, true, first, seconds(start), null); // closing the stream hangs up
                        }
                    }
                    if (line.equals("data: [DONE]")) {
                        done = true;
                    }
                }
            } catch (RuntimeException ex) {
                return new Outcome(false, false, true, first, seconds(start), ex.toString());
            }
            return done ? new Outcome(true, false, true, first, seconds(start), null)
                    : new Outcome(false, false, true, first, seconds(start), "stream ended without [DONE]");
        });
    }

    private static double seconds(long start) {
        return (System.nanoTime() - start) / 1e9;
    }

    /** Nearest-rank percentile of sorted values; NaN when there are none. */
    static double pct(double[] sorted, double p) {
        if (sorted.length == 0) {
            return Double.NaN;
        }
        int rank = (int) Math.ceil(p / 100 * sorted.length);
        return sorted[Math.max(0, Math.min(sorted.length - 1, rank - 1))];
    }

    /** A field of the server's /stats. */
    static long stat(Child server, String field) throws IOException, InterruptedException {
        try (HttpClient client = HttpClient.newHttpClient()) {
            String text = client.send(HttpRequest.newBuilder(server.base().resolve("/stats")).build(),
                    HttpResponse.BodyHandlers.ofString()).body();
            return org.distill4j.util.Json.MAPPER.readTree(text).path(field).asLong(-1);
        }
    }

    /** A counter of the server's /metrics. */
    static long counter(Child server, String name) throws IOException, InterruptedException {
        try (HttpClient client = HttpClient.newHttpClient()) {
            String text = client.send(HttpRequest.newBuilder(server.base().resolve("/metrics")).build(),
                    HttpResponse.BodyHandlers.ofString()).body();
            Matcher m = Pattern.compile("(?m)^" + name + " (\\d+)").matcher(text);
            return m.find() ? Long.parseLong(m.group(1)) : -1;
        }
    }

    /**
     * The latency of a short request under a long one: a streamed request of 8 prompts x n 128 x
     * {@code longTokens} runs; once its first token is out, a 5-token request is sent alone. The long
     * request is then abandoned (its client hangs up, which also shows cancellation); its time is not waited for.
     */
    public static String fairness(Child server, int longTokens) throws Exception {
        StringBuilder prompts = new StringBuilder();
        for (int i = 0; i < 8; i++) {
            prompts.append(i == 0 ? "" : ", ").append("\"w").append(i).append(" w").append(100 + i).append(" w").append(200 + i).append('"');
        }
        String longBody = "{\"model\": \"bench\", \"prompt\": [" + prompts + "], \"n\": 128, \"max_tokens\": " + longTokens
                + ", \"seed\": 1, \"stream\": true}";
        String shortBody = "{\"model\": \"bench\", \"prompt\": \"w1 w2 w3\", \"max_tokens\": 5, \"seed\": 2}";
        try (HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build()) {
            URI completions = URI.create(server.base() + "/completions");
            timed(client, completions, shortBody); // warm-up: the first request pays for JIT and the fused weights
            double alone = timed(client, completions, shortBody);
            long start = System.nanoTime();
            HttpResponse<java.util.stream.Stream<String>> stream = client.send(HttpRequest.newBuilder(completions)
                    .POST(HttpRequest.BodyPublishers.ofString(longBody)).build(), HttpResponse.BodyHandlers.ofLines());
            var lines = stream.body().iterator();
            while (lines.hasNext() && !lines.next().startsWith("data: ")) {
                // until the long request's first token
            }
            double longFirst = seconds(start);
            double beside = timed(client, completions, shortBody);
            long steps = counter(server, "distill_decoding_steps_total");
            stream.body().close(); // hang up: the long request stops at the next step
            return String.format("{\"long_request\":\"8 prompts x n 128 x %d tokens, streamed\",\"long_first_token_s\":%.2f,"
                            + "\"short_request\":\"5 tokens\",\"short_alone_s\":%.3f,\"short_beside_long_s\":%.3f,"
                            + "\"decoding_steps_when_short_done\":%d}",
                    longTokens, longFirst, alone, beside, steps);
        }
    }

    private static double timed(HttpClient client, URI uri, String body) throws IOException, InterruptedException {
        long start = System.nanoTime();
        HttpResponse<String> r = client.send(HttpRequest.newBuilder(uri).POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() != 200) {
            throw new IllegalStateException("status " + r.statusCode() + ": " + r.body());
        }
        return seconds(start);
    }
}
