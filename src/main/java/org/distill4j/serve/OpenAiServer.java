package org.distill4j.serve;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectReader;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CancellationException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.distill4j.generate.StepDecoder;
import org.distill4j.lm.LanguageModel;
import org.distill4j.util.Json;
import org.distill4j.util.UserError;
import org.eclipse.jetty.io.Connection;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.NetworkConnectionLimit;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.Callback;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.eclipse.jetty.util.thread.QueuedThreadPool;

/**
 * An OpenAI-compatible HTTP server for one checkpoint: {@code GET /v1/models}, {@code POST
 * /v1/completions}, {@code POST /v1/chat/completions} (whole or streamed as server-sent events), plus
 * {@code GET /health}, {@code GET /metrics} (Prometheus) and {@code GET /stats}. Jetty handles the
 * connections (bounded in number and in the time a request may take to arrive) and runs each request on a
 * virtual thread, which parses and validates it and hands it to the {@link StepScheduler}, the only
 * thread that runs the model. While a request waits, its thread checks that the client is still there and
 * cancels the request when it is not. Every failure is answered with an OpenAI-style error object; nothing
 * a client sends can stop the server.
 */
public final class OpenAiServer implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(OpenAiServer.class);

    /** How often a waiting request checks that its client is still connected. */
    static final long CLIENT_CHECK_MILLIS = 50;
    /** Status recorded for a request whose client left before the answer (nginx's convention; never sent). */
    static final int CLIENT_CLOSED = 499;
    /** Seconds {@link #close()} waits for requests in flight. */
    private static final int STOP_GRACE_SECONDS = 10;
    private static final ObjectReader STRICT_JSON = Json.MAPPER.reader()
            .with(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

    private final ServeConfig config;
    private final ChatTemplate template;
    private final int contextLength;
    private final Server http;
    private final ServerConnector connector;
    private final ConnectionGuard guard;
    private final StepScheduler scheduler;
    private final StepDecoder decoder;
    private final RequestParser parser;
    private final ResponseBuilder responses;
    private final TokenText tokenText;
    private final ServerStats stats = new ServerStats();
    private final Metrics metrics = new Metrics();
    private final long created = System.currentTimeMillis() / 1000;
    private final AtomicBoolean closed = new AtomicBoolean();
    /** Exchanges being handled; close() waits for them before it stops Jetty (which would cut them off). */
    private final AtomicInteger inFlight = new AtomicInteger();
    private volatile boolean stopping;

    private OpenAiServer(LanguageModel lm, ServeConfig config, ChatTemplate template) {
        this.config = config;
        this.template = template;
        this.contextLength = lm.config().maxPositionEmbeddings();
        int vocab = Math.min(lm.config().vocabSize(), lm.tokenizer().vocabSize());
        this.parser = new RequestParser(lm.tokenizer(), vocab, contextLength, lm.eosIds(), config.modelName(), template);
        this.tokenText = new TokenText(lm.tokenizer());
        this.responses = new ResponseBuilder(config.modelName(), tokenText);
        this.decoder = new StepDecoder(lm.transformer(), config.maxBatch());
        ServeConfig.Limits limits = config.limits();
        this.scheduler = new StepScheduler(decoder, new PromptScorer(lm.transformer(), config.maxBatch()), lm.tokenizer(),
                tokenText, config.maxBatch(), config.batchWindowMs(), limits.maxWaitingRows(), stats, metrics);
        QueuedThreadPool threads = new QueuedThreadPool();
        threads.setName("distill-serve-http");
        threads.setVirtualThreadsExecutor(Executors.newVirtualThreadPerTaskExecutor());
        this.http = new Server(threads);
        HttpConfiguration httpConfig = new HttpConfiguration();
        httpConfig.setSendServerVersion(false);
        // Jetty reuses header fields it parsed before on the same connection and, by default, matches them
        // ignoring case: "Bearer SK-1" would then arrive as an earlier "Bearer sk-1". API keys are case-sensitive.
        httpConfig.setHeaderCacheCaseSensitive(true);
        this.connector = new ServerConnector(http, new HttpConnectionFactory(httpConfig));
        connector.setHost(config.host());
        connector.setPort(config.port());
        connector.setIdleTimeout(limits.idleTimeoutMs());
        this.guard = new ConnectionGuard(limits.headerTimeoutMs());
        connector.addBean(guard);
        http.addConnector(connector);
        http.addBean(new NetworkConnectionLimit(limits.maxConnections(), connector));
        http.setHandler(new Routes());
        http.setErrorHandler(new JsonErrors());
        metrics.gauges(scheduler::waitingRows, scheduler::runningRows, guard::openConnections);
    }

    /** Jetty's handler: every request, on a virtual thread, answered blocking. */
    private final class Routes extends Handler.Abstract {
        @Override
        public boolean handle(Request request, Response response, Callback callback) {
            Connection connection = request.getConnectionMetaData().getConnection();
            guard.handling(connection);
            Exchange ex = new Exchange(request, response);
            // the idle timeout bounds a client that does not read what it is sent, not a request the model is
            // still working on (its client is checked by other means, see Exchange.clientGone)
            request.addIdleTimeoutListener(timeout -> ex.writing());
            inFlight.incrementAndGet();
            try {
                int status = respond(ex);
                stats.response(status);
                metrics.request(endpoint(ex.path()), status);
                callback.succeeded();
            } catch (Throwable t) {
                callback.failed(t);
            } finally {
                guard.handled(connection);
                inFlight.decrementAndGet();
            }
            return true;
        }
    }

    /** Jetty's own refusals (a malformed request line, headers too large) as OpenAI error objects too. */
    private static final class JsonErrors extends org.eclipse.jetty.server.handler.ErrorHandler {
        @Override
        protected void generateResponse(Request request, Response response, int code, String message, Throwable cause,
                                        Callback callback) {
            String text = message != null ? message : org.eclipse.jetty.http.HttpStatus.getMessage(code);
            byte[] body = Json.bytes(new ApiError(code, code >= 500 ? "server_error" : "invalid_request_error", null,
                    "http_error", text).toJson());
            response.getHeaders().put(org.eclipse.jetty.http.HttpHeader.CONTENT_TYPE, "application/json");
            response.write(true, java.nio.ByteBuffer.wrap(body), callback);
        }
    }

    private static String endpoint(String path) {
        return switch (path) {
            case "/v1/completions", "/v1/chat/completions", "/v1/models", "/health", "/metrics", "/stats" -> path;
            default -> path.startsWith("/v1/models/") ? "/v1/models/{id}" : "other";
        };
    }

    /** Binds and starts serving; the model stays owned by the caller (close the server first). */
    public static OpenAiServer start(LanguageModel lm, ServeConfig config, ChatTemplate template) {
        OpenAiServer server = new OpenAiServer(lm, config, template);
        try {
            server.http.start();
        } catch (Exception e) {
            server.close();
            throw new UserError("cannot listen on " + config.host() + ":" + config.port() + ": " + e.getMessage(), e);
        }
        return server;
    }

    public InetSocketAddress address() {
        return new InetSocketAddress(config.host(), connector.getLocalPort());
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

    private int respond(Exchange ex) {
        int status;
        try {
            if (stopping) {
                throw new ApiError(503, "server_error", null, "shutting_down", "the server is shutting down");
            }
            status = dispatch(ex);
        } catch (ApiError e) {
            if (e.status() == 429) {
                ex.setHeader("Retry-After", "1");
            }
            status = ex.send(e.status(), e.toJson());
        } catch (RuntimeException | IOException | Error e) {
            LOG.error("internal error on " + ex.method() + " " + ex.path() + ": " + e);
            status = ex.send(500, new ApiError(500, "server_error", null, null,
                    "internal error: " + e.getClass().getSimpleName() + ": " + e.getMessage()).toJson());
        }
        return status;
    }

    private int dispatch(Exchange ex) throws IOException {
        authorize(ex);
        String path = ex.path();
        switch (path) {
            case "/v1/models" -> {
                requireMethod(ex, "GET");
                return ex.send(200, new ResponseShapes.ModelList("list", List.of(modelCard())));
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
                return ex.send(200, stats.toJson());
            }
            case "/health" -> {
                requireMethod(ex, "GET");
                return ex.send(200, Map.of("status", "ok"));
            }
            case "/metrics" -> {
                requireMethod(ex, "GET");
                return ex.send(200, "text/plain; version=0.0.4; charset=utf-8", metrics.text().getBytes(StandardCharsets.UTF_8));
            }
            default -> {
                if (path.startsWith("/v1/models/")) {
                    requireMethod(ex, "GET");
                    if (path.substring("/v1/models/".length()).equals(config.modelName())) {
                        return ex.send(200, modelCard());
                    }
                    throw new ApiError(404, "invalid_request_error", "model", "model_not_found",
                            "The model '" + path.substring("/v1/models/".length()) + "' does not exist");
                }
                throw new ApiError(404, "invalid_request_error", null, "not_found", "no route " + path
                        + " (this server has /v1/models, /v1/completions, /v1/chat/completions, /health, /metrics, /stats)");
            }
        }
    }

    private int generate(Exchange ex, boolean chat) {
        ObjectNode body = readJson(ex);
        GenerationRequest request = chat ? parser.chat(body) : parser.completion(body);
        stats.request();
        long promptTokens = 0;
        for (long[] p : request.promptIds()) {
            promptTokens += p.length;
        }
        metrics.promptTokens.addAndGet(promptTokens);
        Job job = scheduler.submit(request, request.stream());
        return request.stream() ? new EventStream(ex, job, responses).run() : await(ex, job);
    }

    /** Waits for a whole response, checking every so often that the client is still there to get it. */
    private int await(Exchange ex, Job job) {
        GenerationResult result;
        while (true) {
            try {
                result = job.result.get(CLIENT_CHECK_MILLIS, TimeUnit.MILLISECONDS);
                break;
            } catch (TimeoutException e) {
                if (ex.clientGone()) {
                    job.cancel();
                }
            } catch (CancellationException e) { // the scheduler dropped the job: its client is gone
                return CLIENT_CLOSED;
            } catch (ExecutionException e) {
                if (e.getCause() instanceof CancellationException) {
                    return CLIENT_CLOSED; // nobody to answer
                }
                if (e.getCause() instanceof ApiError api) {
                    throw api;
                }
                throw new ApiError(500, "server_error", null, null, "generation failed: " + e.getCause());
            } catch (InterruptedException e) {
                job.cancel();
                Thread.currentThread().interrupt();
                throw new ApiError(503, "server_error", null, "shutting_down", "the server is shutting down");
            }
        }
        GenerationRequest r = job.request;
        return ex.send(200, r.chat() ? responses.chat(r, result) : responses.completion(r, result));
    }

    private ResponseShapes.ModelCard modelCard() {
        return new ResponseShapes.ModelCard(config.modelName(), "model", created, "distill4j", contextLength, template.name());
    }

    private void authorize(Exchange ex) {
        if (config.apiKey() == null) {
            return;
        }
        String header = ex.header("Authorization");
        // the scheme is case-insensitive (RFC 7235 section 2.1), the key is compared in constant time
        String presented = "";
        if (header != null) {
            String h = header.strip();
            int space = h.indexOf(' ');
            if (space > 0 && h.substring(0, space).toLowerCase(Locale.ROOT).equals("bearer")) {
                presented = h.substring(space + 1).strip();
            }
        }
        if (header == null || !MessageDigest.isEqual(presented.getBytes(StandardCharsets.UTF_8),
                config.apiKey().getBytes(StandardCharsets.UTF_8))) {
            ex.setHeader("WWW-Authenticate", "Bearer");
            throw new ApiError(401, "invalid_request_error", null, "invalid_api_key", header == null
                    ? "Missing bearer authentication in header (Authorization: Bearer <key>)"
                    : "Incorrect API key provided");
        }
    }

    private static void requireMethod(Exchange ex, String method) {
        if (!ex.method().equals(method)) {
            ex.setHeader("Allow", method);
            throw new ApiError(405, "invalid_request_error", null, "method_not_allowed",
                    ex.path() + " accepts " + method + ", not " + ex.method());
        }
    }

    /** Reads at most max-body-bytes (refusing more with 413) and parses one JSON object. */
    private ObjectNode readJson(Exchange ex) {
        byte[] bytes = ex.body(config.maxBodyBytes(), config.limits().bodyTimeoutMs(), tooLarge());
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

    private ApiError tooLarge() {
        return new ApiError(413, "invalid_request_error", null, "request_too_large",
                "the request body is larger than " + config.maxBodyBytes() + " bytes, the most this server accepts"
                        + " (--max-body-bytes)");
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
        try {
            http.stop();
        } catch (Exception e) {
            LOG.error("stopping the HTTP server: " + e);
        }
        scheduler.close();
        guard.close();
        decoder.close();
    }
}
