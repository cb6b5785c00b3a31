package org.distill4j.cli;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import org.distill4j.lm.LanguageModel;
import org.distill4j.serve.ChatTemplate;
import org.distill4j.serve.OpenAiServer;
import org.distill4j.serve.ServeConfig;
import org.distill4j.util.UserError;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** {@code distill serve}: an OpenAI-compatible HTTP server for a checkpoint (docs/serve.md). */
@Command(name = "serve", mixinStandardHelpOptions = true,
        description = "Serve a checkpoint over an OpenAI-compatible HTTP API (/v1/models, /v1/completions, "
                + "/v1/chat/completions) until SIGTERM or Ctrl-C. See docs/serve.md.")
public final class ServeCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--model", required = true, description = "Hugging Face checkpoint directory.")
    Path model;

    @picocli.CommandLine.Mixin
    AdapterOption adapter;

    @Option(names = "--host", defaultValue = ServeConfig.DEFAULT_HOST,
            description = "Interface to bind (0.0.0.0 exposes the server to the network). Default: ${DEFAULT-VALUE}.")
    String host;

    @Option(names = "--port", defaultValue = "8000", description = "0 picks a free port. Default: ${DEFAULT-VALUE}.")
    int port;

    @Option(names = "--api-key", description = "Require 'Authorization: Bearer KEY' on every request.")
    String apiKey;

    @Option(names = "--api-key-env", paramLabel = "VAR",
            description = "As --api-key, reading the key from this environment variable (keeps it out of the process list).")
    String apiKeyEnv;

    @Option(names = "--served-model-name", description = "The model id clients send. Default: the checkpoint directory's name.")
    String servedModelName;

    @Option(names = "--max-batch", defaultValue = "" + ServeConfig.DEFAULT_MAX_BATCH,
            description = "Rows (prompt x sample) decoded together. Default: ${DEFAULT-VALUE}.")
    int maxBatch;

    @Option(names = "--max-body-bytes", defaultValue = "" + ServeConfig.DEFAULT_MAX_BODY_BYTES,
            description = "Larger request bodies get 413. Default: ${DEFAULT-VALUE}.")
    long maxBodyBytes;

    @Option(names = "--batch-window-ms", defaultValue = "" + ServeConfig.DEFAULT_BATCH_WINDOW_MS,
            description = "How long an idle server waits for more requests to start decoding with the first. Default: ${DEFAULT-VALUE}.")
    long batchWindowMs;

    @Option(names = "--header-timeout", defaultValue = "10", paramLabel = "SECONDS",
            description = "Time a request's line and headers may take to arrive from their first byte; then the "
                    + "connection is closed. Default: ${DEFAULT-VALUE}.")
    double headerTimeout;

    @Option(names = "--body-timeout", defaultValue = "30", paramLabel = "SECONDS",
            description = "Time a request's body may take to arrive once its headers are in; then 408. Default: ${DEFAULT-VALUE}.")
    double bodyTimeout;

    @Option(names = "--idle-timeout", defaultValue = "60", paramLabel = "SECONDS",
            description = "A connection with no traffic is closed after this long. Default: ${DEFAULT-VALUE}.")
    double idleTimeout;

    @Option(names = "--max-connections", defaultValue = "4096",
            description = "Connections open at once; more wait to be accepted. Default: ${DEFAULT-VALUE}.")
    int maxConnections;

    @Option(names = "--max-waiting-rows", defaultValue = "16384",
            description = "Rows (prompt x sample) queued or running; a request beyond gets 429. Default: ${DEFAULT-VALUE}.")
    long maxWaitingRows;

    @Option(names = "--chat-template", defaultValue = "auto",
            description = "auto, default, chatml or llama3 (see docs/serve.md). Default: ${DEFAULT-VALUE}.")
    String chatTemplate;

    @Override
    public Integer call() throws InterruptedException {
        String key = apiKey;
        if (apiKeyEnv != null) {
            if (apiKey != null) {
                throw new UserError("give --api-key or --api-key-env, not both");
            }
            key = System.getenv(apiKeyEnv);
            if (key == null || key.isBlank()) {
                throw new UserError("--api-key-env: environment variable " + apiKeyEnv + " is not set");
            }
        }
        ServeConfig config;
        try {
            String name = servedModelName != null ? servedModelName
                    : model.toAbsolutePath().normalize().getFileName().toString();
            var limits = new ServeConfig.Limits(millis(headerTimeout, "--header-timeout"), millis(bodyTimeout, "--body-timeout"),
                    millis(idleTimeout, "--idle-timeout"), maxConnections, maxWaitingRows);
            config = new ServeConfig(host, port, key, name, maxBatch, maxBodyBytes, batchWindowMs, limits);
        } catch (IllegalArgumentException e) {
            throw new UserError(e.getMessage());
        }
        ChatTemplate.Choice template = ChatTemplate.forCheckpoint(model, chatTemplate);
        LanguageModel lm = adapter.load(model);
        OpenAiServer server;
        try {
            server = OpenAiServer.start(lm, config, template.template());
        } catch (RuntimeException e) {
            lm.close();
            throw e;
        }
        CountDownLatch stopped = new CountDownLatch(1);
        PrintWriter err = spec.commandLine().getErr();
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            err.println("distill serve: stopping (finishing requests in flight)");
            err.flush();
            server.close();
            lm.close();
            stopped.countDown();
        }, "distill-serve-shutdown"));
        PrintWriter out = spec.commandLine().getOut();
        out.println("distill serve: model '" + config.modelName() + "' listening on " + server.baseUri()
                + (key != null ? " (API key required)" : ""));
        out.println("distill serve: chat template " + template.template().name() + " (" + template.reason() + ")");
        out.flush();
        stopped.await();
        return 0;
    }

    private static long millis(double seconds, String flag) {
        if (!(seconds > 0) || Double.isInfinite(seconds)) {
            throw new UserError(flag + " must be a positive number of seconds, got " + seconds);
        }
        return Math.max(1, Math.round(seconds * 1000));
    }
}
