package org.distill4j.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;
import org.distill4j.bench.ServeBench;
import org.distill4j.util.UserError;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code distill bench serve}: loopback load on {@code distill serve} (docs/serve.md, "Load"). */
@Command(name = "serve", mixinStandardHelpOptions = true,
        description = "Starts `distill serve` in a child JVM on 127.0.0.1 and sends it --clients concurrent requests of "
                + "mixed lengths, some streamed, some hung up early; prints one JSON line (time to first token, latency, "
                + "errors, the server's RSS before and after). With --fairness, first the latency of a 5-token request "
                + "beside an 8-prompt x n 128 request.")
final class BenchServeCommand implements Callable<Integer> {
    @Option(names = "--model", description = "Checkpoint to serve. Default: a random Llama of the small bench shape "
            + "(512-token context, word-level tokenizer) written to a temporary directory.")
    Path model;

    @Option(names = "--clients", defaultValue = "1000", description = "Concurrent clients, one request each. Default: ${DEFAULT-VALUE}.")
    int clients;

    @Option(names = "--stream-share", defaultValue = "0.3", description = "Share of clients that stream. Default: ${DEFAULT-VALUE}.")
    double streamShare;

    @Option(names = "--cancel-share", defaultValue = "0.1",
            description = "Share of clients that hang up early (after the first token, or after 50-550 ms). Default: ${DEFAULT-VALUE}.")
    double cancelShare;

    @Option(names = "--max-tokens", split = ",", defaultValue = "4,16,64",
            description = "max_tokens of each request, drawn uniformly from these. Default: ${DEFAULT-VALUE}.")
    List<Integer> maxTokens;

    @Option(names = "--max-prompt-words", defaultValue = "32", description = "Prompts have 1..N words. Default: ${DEFAULT-VALUE}.")
    int maxPromptWords;

    @Option(names = "--timeout", defaultValue = "600", description = "Seconds each request may take. Default: ${DEFAULT-VALUE}.")
    int timeoutSeconds;

    @Option(names = "--fairness", description = "Also measure a 5-token request beside an 8 x 128 x N-token one.")
    boolean fairness;

    @Option(names = "--long-tokens", defaultValue = "400", description = "max_tokens of the long request (--fairness). Default: ${DEFAULT-VALUE}.")
    int longTokens;

    @Option(names = "--serve-arg", description = "An argument passed on to `distill serve` (repeatable), e.g. --serve-arg=--max-batch=32.")
    List<String> serveArgs = List.of();

    @Option(names = "--seed", defaultValue = "1", description = "Default: ${DEFAULT-VALUE}.")
    long seed;

    @Override
    public Integer call() throws Exception {
        if (clients < 1 || clients > 10_000) {
            throw new UserError("--clients must be 1..10000, got " + clients);
        }
        if (streamShare < 0 || cancelShare < 0 || streamShare + cancelShare > 1) {
            throw new UserError("--stream-share and --cancel-share must be >= 0 and add up to at most 1");
        }
        if (maxTokens.isEmpty() || maxTokens.stream().anyMatch(t -> t < 1)) {
            throw new UserError("--max-tokens: every value must be >= 1");
        }
        if (maxPromptWords < 1 || timeoutSeconds < 1) {
            throw new UserError("--max-prompt-words and --timeout must be >= 1");
        }
        Path dir = model;
        Path tmp = null;
        if (dir == null) {
            tmp = Files.createTempDirectory("distill-bench-serve");
            dir = ServeBench.randomModel(tmp);
        }
        try (ServeBench.Child server = ServeBench.startServer(dir, serveArgs)) {
            if (fairness) {
                System.out.println(ServeBench.fairness(server, longTokens));
                Thread.sleep(1000); // the abandoned long request leaves the batch
            }
            var load = new ServeBench.Load(clients, streamShare, cancelShare, maxTokens, maxPromptWords, seed,
                    Duration.ofSeconds(timeoutSeconds));
            System.out.println(ServeBench.run(server, load));
        } finally {
            if (tmp != null) { // the random model: deepest paths first
                try (var walk = Files.walk(tmp)) {
                    for (Path p : walk.sorted(java.util.Comparator.reverseOrder()).toList()) {
                        Files.deleteIfExists(p);
                    }
                }
            }
        }
        return 0;
    }
}
