package org.distill4j.serve;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectReader;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.distill4j.generate.Sampler;
import org.distill4j.lm.LanguageModel;
import org.distill4j.util.Json;
import org.distill4j.util.UserError;

/**
 * An OpenAI-compatible HTTP server for one checkpoint: {@code GET /v1/models}, {@code POST
 * /v1/completions}, {@code POST /v1/chat/completions}, plus {@code GET /stats} and {@code GET /health}.
 * Connections are handled on virtual threads; they parse and validate, then hand the request to the
 * {@link BatchingWorker}, the only thread that runs the model. Every failure is answered with an
 * OpenAI-style error object; nothing a client sends can stop the server.
 */
public final class OpenAiServer implements AutoCloseable {
    /** Seconds {@link #close()} waits for requests in flight. */
    private static final int STOP_GRACE_SECONDS = 10;
    private static final ObjectReader STRICT_JSON = Json.MAPPER.reader()
            .with(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

    private final ServeConfig config;
    private final ChatTemplate template;
    private final int contextLength;
    private final HttpServer http;
    private final ExecutorService connections;
    private final BatchingWorker worker;
    private final RequestParser parser;
    private final ResponseBuilder responses;
    private final ServerStats stats = new ServerStats();
    private final long created = System.currentTimeMillis() / 1000;
    private final AtomicBoolean closed = new AtomicBoolean();
    /** Exchanges being handled; close() waits for them (HttpServer.stop would also wait on idle keep-alive connections). */
    private final AtomicInteger inFlight = new AtomicInteger();
    private volatile boolean stopping;

    private OpenAiServer(LanguageModel lm, ServeConfig config, ChatTemplate template) throws IOException {
        this.config = config;
        this.template = template;
        this.contextLength = lm.config().maxPositionEmbeddings();
        int vocab = Math.min(lm.config().vocabSize(), lm.tokenizer().vocabSize());
        this.parser = new RequestParser(lm.tokenizer(), vocab, contextLength, lm.eosIds(), config.modelName(), template);
        this.responses = new ResponseBuilder(config.modelName(), new TokenText(lm.tokenizer()));
        Sampler sampler = new Sampler(lm.transformer(), lm.tokenizer(), config.maxBatch());
        this.worker = new BatchingWorker(sampler, new PromptScorer(lm.transformer(), config.maxBatch()),
                config.maxBatch(), config.batchWindowMs(), stats);
        this.http = HttpServer.create(new InetSocketAddress(config.host(), config.port()), 0);
        this.connections = Executors.newVirtualThreadPerTaskExecutor();
        http.setExecutor(connections);
        http.createContext("/", this::handle);
    }

    /** Binds and starts serving; the model stays owned by the caller (close the server first). */
    public static OpenAiServer start(LanguageModel lm, ServeConfig config, ChatTemplate template) {
        OpenAiServer server;
        try {
            server = new OpenAiServer(lm, config, template);
        } catch (IOException e) {
            throw new UserError("cannot listen on " + config.host() + ":" + config.port() + ": " + e.getMessage(), e);
        }
        server.http.start();
        return server;
    }

    public InetSocketAddress address() {
        return http.getAddress();
    }

    /** The base URL clients use, e.g. {@code http://127.0.0.1:8000/v1}. */
    public URI baseUri() {
        InetSocketAddress a = address();
        String host = a.getAddress().getHostAddress();
        return URI.create("http://" + (host.contains(":") ? "[" + host + "]" : host) + ":" + a.getPort() + "/v1");
    }

    public ServerStats stats() {
        return stats;
    }

    private void handle(HttpExchange ex) {
        inFlight.incrementAndGet();
        try {
            stats.response(respond(ex));
            ex.close();
        } finally {
            inFlight.decrementAndGet();
        }
    }

    private int respond(HttpExchange ex) {
        int status;
        try {
            if (stopping) {
                throw new ApiError(503, "server_error", null, "shutting_down", "the server is shutting down");
            }
            status = dispatch(ex);
        } catch (ApiError e) {
            status = send(ex, e.status(), e.toJson());
        } catch (RuntimeException | IOException | Error e) {
            System.err.println("serve: internal error on " + ex.getRequestMethod() + " " + ex.getRequestURI() + ": " + e);
            status = send(ex, 500, new ApiError(500, "server_error", null, null,
                    "internal error: " + e.getClass().getSimpleName() + ": " + e.getMessage()).toJson());
        }
        return status;
    }

    private int dispatch(HttpExchange ex) throws IOException {
        authorize(ex);
        String path = ex.getRequestURI().getPath();
        switch (path) {
            case "/v1/models" -> {
                requireMethod(ex, "GET");
                ObjectNode list = Json.object();
                list.put("object", "list");
                list.putArray("data").add(modelCard());
                return send(ex, 200, list);
            }
            case "/v1/completions" -> {
                requireMethod(ex, "POST");
                return generate(ex, false);
            }
            case "/v1/chat/completions" -> {
                requireMethod(ex, "POST");
                return generate(ex, true);
            }
            case "/stats" -> {
                requireMethod(ex, "GET");
                return send(ex, 200, stats.toJson());
            }
            case "/health" -> {
                requireMethod(ex, "GET");
                return send(ex, 200, Json.object().put("status", "ok"));
            }
            default -> {
                if (path.startsWith("/v1/models/")) {
                    requireMethod(ex, "GET");
                    if (path.substring("/v1/models/".length()).equals(config.modelName())) {
                        return send(ex, 200, modelCard());
                    }
                    throw new ApiError(404, "invalid_request_error", "model", "model_not_found",
                            "The model '" + path.substring("/v1/models/".length()) + "' does not exist");
                }
                throw new ApiError(404, "invalid_request_error", null, "not_found", "no route " + path
                        + " (this server has /v1/models, /v1/completions, /v1/chat/completions, /stats, /health)");
            }
        }
    }

    private int generate(HttpExchange ex, boolean chat) {
        ObjectNode body = readJson(ex);
        GenerationRequest request = chat ? parser.chat(body) : parser.completion(body);
        stats.request();
        GenerationResult result;
        try {
            result = worker.submit(request).join();
        } catch (CompletionException e) {
            if (e.getCause() instanceof ApiError api) {
                throw api;
            }
            throw new ApiError(500, "server_error", null, null, "generation failed: " + e.getCause());
        }
        return send(ex, 200, chat ? responses.chat(request, result) : responses.completion(request, result));
    }

    private ObjectNode modelCard() {
        ObjectNode m = Json.object();
        m.put("id", config.modelName());
        m.put("object", "model");
        m.put("created", created);
        m.put("owned_by", "distill4j");
        m.put("max_model_len", contextLength);
        m.put("chat_template", template.name());
        return m;
    }

    private void authorize(HttpExchange ex) {
        if (config.apiKey() == null) {
            return;
        }
        String header = ex.getRequestHeaders().getFirst("Authorization");
        String expected = "Bearer " + config.apiKey();
        // constant-time comparison: the key must not leak through response timing
        if (header == null || !MessageDigest.isEqual(header.getBytes(StandardCharsets.UTF_8), expected.getBytes(StandardCharsets.UTF_8))) {
            ex.getResponseHeaders().set("WWW-Authenticate", "Bearer");
            throw new ApiError(401, "invalid_request_error", null, "invalid_api_key", header == null
                    ? "Missing bearer authentication in header (Authorization: Bearer <key>)"
                    : "Incorrect API key provided");
        }
    }

    private static void requireMethod(HttpExchange ex, String method) {
        if (!ex.getRequestMethod().equals(method)) {
            ex.getResponseHeaders().set("Allow", method);
            throw new ApiError(405, "invalid_request_error", null, "method_not_allowed",
                    ex.getRequestURI().getPath() + " accepts " + method + ", not " + ex.getRequestMethod());
        }
    }

    /** Reads at most max-body-bytes (refusing more with 413) and parses one JSON object. */
    private ObjectNode readJson(HttpExchange ex) {
        long max = config.maxBodyBytes();
        String declared = ex.getRequestHeaders().getFirst("Content-Length");
        if (declared != null) {
            long length;
            try {
                length = Long.parseLong(declared.trim());
            } catch (NumberFormatException e) {
                throw ApiError.invalid(null, "invalid_header", "Content-Length '" + declared + "' is not a number");
            }
            if (length > max) {
                throw tooLarge(length + " bytes");
            }
        }
        byte[] bytes;
        try (InputStream in = ex.getRequestBody()) {
            bytes = in.readNBytes((int) Math.min(Integer.MAX_VALUE - 8, max + 1));
        } catch (IOException e) {
            throw ApiError.invalid(null, "invalid_body", "cannot read the request body: " + e.getMessage());
        }
        if (bytes.length > max) {
            throw tooLarge("more than " + max + " bytes");
        }
        if (bytes.length == 0) {
            throw ApiError.invalid(null, "invalid_json", "the request body is empty; expected a JSON object");
        }
        JsonNode node;
        try {
            node = STRICT_JSON.readTree(bytes);
        } catch (JsonProcessingException e) {
            var at = e.getLocation();
            throw ApiError.invalid(null, "invalid_json", "malformed JSON in the request body"
                    + (at == null ? "" : " at line " + at.getLineNr() + ", column " + at.getColumnNr())
                    + ": " + e.getOriginalMessage());
        } catch (IOException e) {
            throw ApiError.invalid(null, "invalid_json", "cannot parse the request body: " + e.getMessage());
        }
        if (!(node instanceof ObjectNode obj)) {
            throw ApiError.invalid(null, "invalid_json", "the request body must be a JSON object, got "
                    + (node == null ? "nothing" : RequestFields.describe(node)));
        }
        return obj;
    }

    private ApiError tooLarge(String size) {
        return new ApiError(413, "invalid_request_error", null, "request_too_large",
                "the request body is " + size + "; this server accepts at most " + config.maxBodyBytes()
                        + " bytes (--max-body-bytes)");
    }

    /** Writes a JSON response; a client that went away is not an error of ours. */
    private static int send(HttpExchange ex, int status, ObjectNode body) {
        byte[] bytes = Json.bytes(body);
        try {
            ex.getResponseHeaders().set("Content-Type", "application/json");
            ex.sendResponseHeaders(status, bytes.length);
            try (OutputStream out = ex.getResponseBody()) {
                out.write(bytes);
            }
        } catch (IOException e) {
            // the connection is gone; nothing to tell
        }
        return status;
    }

    /**
     * Graceful stop: new requests are answered 503, requests in flight are finished (up to a grace
     * period), then the listener and the batching worker stop. The model itself is the caller's to close.
     */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        stopping = true; // from now on new requests get 503
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(STOP_GRACE_SECONDS);
        while (inFlight.get() > 0 && System.nanoTime() < deadline) {
            try {
                Thread.sleep(5);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        http.stop(0);
        worker.close();
        connections.shutdown();
        try {
            connections.awaitTermination(STOP_GRACE_SECONDS, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
