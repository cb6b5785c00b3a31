package org.distill4j.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicLong;
import org.distill4j.data.Conversation;
import org.distill4j.lm.ChatFormat;
import org.distill4j.openai.Journal;
import org.distill4j.openai.OpenAiClient;
import org.distill4j.openai.RetryPolicy;
import org.distill4j.teacher.TeachOutput;
import org.distill4j.openai.BatchReport;
import org.distill4j.openai.Prompt;
import org.distill4j.openai.EndpointSettings;
import org.distill4j.util.Jsonl;
import org.distill4j.util.Progress;
import org.distill4j.util.UserError;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** {@code distill teach}: collect a teacher's responses from an OpenAI-compatible endpoint, resumably. */
@Command(name = "teach", mixinStandardHelpOptions = true,
        description = "Ask an OpenAI-compatible endpoint for N responses to every prompt of a JSONL file. Each "
                + "response is journalled (fsync) as it arrives; a rerun resumes from the journal and never asks "
                + "again for a journalled sample. --out is written atomically once every sample is in. See docs/serve.md.")
public final class TeachCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--endpoint", required = true, description = "Base URL, e.g. http://127.0.0.1:8000/v1.")
    String endpoint;

    @Option(names = "--model", required = true, description = "Model name sent in every request.")
    String model;

    @Option(names = "--prompts", required = true,
            description = "JSONL of {\"prompt\": ...} records (with --chat, {\"messages\": [...]} works too).")
    Path prompts;

    @Option(names = "--out", required = true, description = "Output JSONL: each prompt record plus response, sample, finish_reason.")
    Path out;

    @Option(names = "--journal", description = "Journal file. Default: the --out path + .journal.")
    Path journalPath;

    @Option(names = "--n", defaultValue = "1", description = "Responses per prompt. Default: ${DEFAULT-VALUE}.")
    int n;

    @Option(names = "--chat", description = "Use /chat/completions (a prompt becomes one user message).")
    boolean chat;

    @Option(names = "--concurrency", defaultValue = "8", description = "Requests in flight. Default: ${DEFAULT-VALUE}.")
    int concurrency;

    @Option(names = "--max-requests-per-minute", defaultValue = "0",
            description = "Rate limit on attempts (retries included); 0 = none. Default: ${DEFAULT-VALUE}.")
    double maxRequestsPerMinute;

    @Option(names = "--samples-per-request", defaultValue = "0",
            description = "Samples of a prompt asked for per request (n); 0 = all missing ones at once. Default: ${DEFAULT-VALUE}.")
    int samplesPerRequest;

    @Option(names = "--api-key-env", paramLabel = "VAR", description = "Environment variable holding the API key (sent as a bearer token).")
    String apiKeyEnv;

    @Option(names = "--temperature", description = "Default: the server's.")
    Double temperature;

    @Option(names = "--max-tokens", description = "Default: the server's.")
    Integer maxTokens;

    @Option(names = "--timeout", defaultValue = "60", description = "Seconds per attempt, reply body included. Default: ${DEFAULT-VALUE}.")
    double timeoutSeconds;

    @Option(names = "--max-attempts", defaultValue = "8", description = "Attempts per request. Default: ${DEFAULT-VALUE}.")
    int maxAttempts;

    @Option(names = "--initial-backoff", defaultValue = "0.5",
            description = "Seconds before the first retry; doubled per failure, up to --max-backoff. Default: ${DEFAULT-VALUE}.")
    double initialBackoff;

    @Option(names = "--max-backoff", defaultValue = "30", description = "Seconds. Default: ${DEFAULT-VALUE}.")
    double maxBackoff;

    @Override
    public Integer call() {
        if (n < 1) {
            throw new UserError("--n must be >= 1, got " + n);
        }
        if (timeoutSeconds <= 0) {
            throw new UserError("--timeout must be > 0 seconds");
        }
        List<Jsonl.Line> lines = Jsonl.read(prompts);
        if (lines.isEmpty()) {
            throw new UserError(prompts + ": no prompts");
        }
        List<ObjectNode> records = new ArrayList<>();
        List<Prompt> teacherPrompts = new ArrayList<>();
        for (Jsonl.Line l : lines) {
            records.add(l.value());
            teacherPrompts.add(prompt(l));
        }
        EndpointSettings settings;
        try {
            RetryPolicy retry = new RetryPolicy(maxAttempts, seconds(initialBackoff), seconds(maxBackoff),
                    RetryPolicy.DEFAULT.maxRetryAfter());
            settings = EndpointSettings.of(endpointUri(), model)
                    .withChat(chat)
                    .withApiKey(apiKey())
                    .withSampling(temperature, maxTokens)
                    .withConcurrency(concurrency, maxRequestsPerMinute)
                    .withMaxSamplesPerRequest(samplesPerRequest)
                    .withTimeouts(seconds(timeoutSeconds), retry);
        } catch (IllegalArgumentException e) {
            throw new UserError(e.getMessage());
        }
        Path journalFile = journalPath != null ? journalPath : out.resolveSibling(out.getFileName() + ".journal");
        var err = spec.commandLine().getErr();
        try (OpenAiClient teacher = new OpenAiClient(settings);
             Journal journal = Journal.open(journalFile, teacher.fingerprint(teacherPrompts))) {
            if (journal.recoveredTornBytes() > 0) {
                err.println("teach: cut a torn last line (" + journal.recoveredTornBytes() + " bytes) from " + journalFile);
            }
            BatchReport report;
            long total = (long) records.size() * n;
            try (Progress bar = Progress.start("teach", total, "samples")) {
                AtomicLong done = new AtomicLong();
                for (int p = 0; p < records.size(); p++) {
                    for (int s = 0; s < n; s++) {
                        if (journal.contains(p, s)) {
                            done.incrementAndGet();
                        }
                    }
                }
                bar.stepTo(done.get());
                report = teacher.run(teacherPrompts, n, journal, k -> bar.stepTo(done.addAndGet(k)));
            }
            err.println("teach: " + report.summary());
            if (!report.complete()) {
                err.println("teach: incomplete; " + out + " not written. Rerun the same command to fetch the missing "
                        + "samples (the " + (report.fromJournal() + report.fetched()) + " in " + journalFile + " are kept).");
                err.flush();
                return 1;
            }
            int rows = TeachOutput.write(out, records, n, journal);
            err.println("teach: wrote " + rows + " records to " + out);
            err.flush();
            return 0;
        }
    }

    private Prompt prompt(Jsonl.Line l) {
        if (chat && Conversation.in(l.value())) {
            List<Prompt.Turn> turns = new ArrayList<>();
            for (ChatFormat.Message m : Conversation.of(l.value(), prompts + ":" + l.number()).messages()) {
                turns.add(new Prompt.Turn(m.role(), m.content()));
            }
            return new Prompt.Conversation(turns);
        }
        return new Prompt.Text(l.text(prompts, "prompt"));
    }

    private URI endpointUri() {
        try {
            URI u = new URI(endpoint);
            if (!"http".equals(u.getScheme()) && !"https".equals(u.getScheme()) || u.getHost() == null) {
                throw new UserError("--endpoint: expected an http(s) URL such as http://127.0.0.1:8000/v1, got '" + endpoint + "'");
            }
            return u;
        } catch (URISyntaxException e) {
            throw new UserError("--endpoint: not a URL: " + e.getMessage());
        }
    }

    private String apiKey() {
        if (apiKeyEnv == null) {
            return null;
        }
        String key = System.getenv(apiKeyEnv);
        if (key == null || key.isBlank()) {
            throw new UserError("--api-key-env: environment variable " + apiKeyEnv + " is not set");
        }
        return key;
    }

    private static Duration seconds(double s) {
        return Duration.ofNanos((long) (s * 1e9));
    }
}
