package org.distill4j.openai;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BiFunction;
import org.distill4j.util.Json;

/**
 * A fake OpenAI endpoint for client tests, completions and chat: answers "answer to PROMPT #k" for each
 * of the n choices (or what a given {@link Answers} says), after an optional latency, unless the fault
 * plan says otherwise for this attempt. In chat requests the prompt is the last message's content. Every
 * request is logged (prompt, n, fault, arrival time, X-Request-Id, attempt, body). Public so that other
 * clients of the teacher's HTTP code (the LLM judge) are tested against the same server.
 */
public final class ScriptedServer implements AutoCloseable {
    public enum Fault { NONE, HTTP_400, HTTP_500, RATE_LIMIT_MS, RATE_LIMIT_SECONDS, SLOW, DROP_MID_BODY, MALFORMED_BODY }

    public record Logged(String prompt, int n, Fault fault, long nanos, String requestId, int attempt, JsonNode body) {}

    /** The text of choice {@code choice} of a reply to {@code prompt} on its {@code attempt}-th request (from 1). */
    @FunctionalInterface
    public interface Answers {
        String text(String prompt, int attempt, int choice);
    }

    private final HttpServer http;
    private final BiFunction<String, Integer, Fault> plan;
    private final Answers answers;
    private final long latencyMs;
    private final long slowMs;
    private final Map<String, AtomicInteger> attempts = new ConcurrentHashMap<>();
    private final List<Logged> log = new ArrayList<>();

    /**
     * @param plan      (prompt, attempt number from 1) -> fault to inject
     * @param latencyMs delay before every reply
     * @param slowMs    delay of a SLOW reply (past the client's timeout)
     */
    public ScriptedServer(BiFunction<String, Integer, Fault> plan, long latencyMs, long slowMs) throws IOException {
        this(plan, (prompt, attempt, k) -> answerText(prompt, k), latencyMs, slowMs);
    }

    /** As above, with the reply texts chosen by {@code answers}. */
    public ScriptedServer(BiFunction<String, Integer, Fault> plan, Answers answers, long latencyMs, long slowMs)
            throws IOException {
        this.plan = plan;
        this.answers = answers;
        this.latencyMs = latencyMs;
        this.slowMs = slowMs;
        http = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        http.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
        http.createContext("/v1/completions", ex -> handle(ex, false));
        http.createContext("/v1/chat/completions", ex -> handle(ex, true));
        http.start();
    }

    public URI base() {
        return URI.create("http://127.0.0.1:" + http.getAddress().getPort() + "/v1");
    }

    public synchronized List<Logged> log() {
        return new ArrayList<>(log);
    }

    private void handle(HttpExchange ex, boolean chat) throws IOException {
        try (ex) {
            JsonNode body = Json.MAPPER.readTree(ex.getRequestBody());
            JsonNode messages = body.path("messages");
            String prompt = chat ? messages.get(messages.size() - 1).get("content").asText() : body.get("prompt").asText();
            int n = body.path("n").asInt(1);
            int attempt = attempts.computeIfAbsent(prompt, k -> new AtomicInteger()).incrementAndGet();
            Fault fault = plan.apply(prompt, attempt);
            synchronized (this) {
                log.add(new Logged(prompt, n, fault, System.nanoTime(), ex.getRequestHeaders().getFirst("X-Request-Id"),
                        attempt, body));
            }
            sleep(latencyMs);
            switch (fault) {
                case HTTP_400 -> reply(ex, 400, "{\"error\": {\"message\": \"bad prompt\", \"type\": \"invalid_request_error\", \"param\": \"prompt\", \"code\": null}}");
                case HTTP_500 -> reply(ex, 500, "{\"error\": {\"message\": \"boom\", \"type\": \"server_error\", \"param\": null, \"code\": null}}");
                case RATE_LIMIT_MS -> {
                    ex.getResponseHeaders().set("retry-after-ms", "30");
                    reply(ex, 429, "{\"error\": {\"message\": \"slow down\", \"type\": \"rate_limit\", \"param\": null, \"code\": null}}");
                }
                case RATE_LIMIT_SECONDS -> {
                    ex.getResponseHeaders().set("Retry-After", "1");
                    reply(ex, 429, "{\"error\": {\"message\": \"slow down\", \"type\": \"rate_limit\", \"param\": null, \"code\": null}}");
                }
                case SLOW -> {
                    sleep(slowMs);
                    reply(ex, 200, answer(prompt, attempt, n, chat));
                }
                case DROP_MID_BODY -> {
                    byte[] full = answer(prompt, attempt, n, chat).getBytes(StandardCharsets.UTF_8);
                    ex.sendResponseHeaders(200, full.length);
                    OutputStream out = ex.getResponseBody();
                    out.write(full, 0, full.length / 3);
                    out.flush();
                    // closing a fixed-length body short of its length makes the server drop the connection
                }
                case MALFORMED_BODY -> reply(ex, 200, "{\"id\": \"cmpl-1\", \"choices\": [{\"text\": \"half");
                case NONE -> reply(ex, 200, answer(prompt, attempt, n, chat));
            }
        } catch (IOException e) {
            // the client gave up (timeout) or the connection was dropped on purpose
        }
    }

    public static String answerText(String prompt, int k) {
        return "answer to " + prompt + " #" + k;
    }

    private String answer(String prompt, int attempt, int n, boolean chat) {
        ObjectNode root = Json.object();
        root.put("id", "cmpl-" + Integer.toHexString(prompt.hashCode()));
        root.put("object", chat ? "chat.completion" : "text_completion");
        ArrayNode choices = root.putArray("choices");
        for (int k = 0; k < n; k++) {
            ObjectNode c = choices.addObject();
            String text = answers.text(prompt, attempt, k);
            if (chat) {
                c.putObject("message").put("role", "assistant").put("content", text);
            } else {
                c.put("text", text);
            }
            c.put("index", k).put("finish_reason", "stop");
        }
        return Json.compact(root);
    }

    private static void reply(HttpExchange ex, int status, String body) throws IOException {
        byte[] b = body.getBytes(StandardCharsets.UTF_8);
        ex.getResponseHeaders().set("Content-Type", "application/json");
        ex.sendResponseHeaders(status, b.length);
        try (OutputStream out = ex.getResponseBody()) {
            out.write(b);
        }
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void close() {
        http.stop(0);
    }
}
