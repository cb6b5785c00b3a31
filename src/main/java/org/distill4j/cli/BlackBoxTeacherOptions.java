package org.distill4j.cli;

import java.io.PrintWriter;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.distill4j.data.Conversation;
import org.distill4j.gad.TeacherResponses;
import org.distill4j.generate.SamplingParams;
import org.distill4j.lm.LanguageModel;
import org.distill4j.teacher.LocalTeacher;
import org.distill4j.openai.OpenAiClient;
import org.distill4j.openai.EndpointSettings;
import org.distill4j.util.Jsonl;
import org.distill4j.util.UserError;
import picocli.CommandLine.Option;

/**
 * Where a black-box verb (gad, seqkd) gets its teacher's text: a JSONL file of responses, a local
 * checkpoint used as a text-only teacher, or an OpenAI-compatible endpoint (a picocli mixin).
 */
public final class BlackBoxTeacherOptions {
    @Option(names = "--teacher-responses", description = "JSONL of {\"prompt\", \"response\"} teacher responses.")
    Path responsesFile;

    @Option(names = "--teacher", description = "A checkpoint directory used as a text-only teacher (its tokenizer may differ).")
    Path teacherDir;

    @Option(names = "--teacher-endpoint", description = "OpenAI-compatible base URL, e.g. http://127.0.0.1:8000/v1.")
    String endpoint;

    @Option(names = "--teacher-model", description = "Model name for --teacher-endpoint.")
    String model;

    @Option(names = "--teacher-chat", description = "Use /chat/completions (a prompt becomes one user message).")
    boolean chat;

    @Option(names = "--teacher-api-key-env", paramLabel = "VAR", description = "Environment variable holding the endpoint's API key.")
    String apiKeyEnv;

    @Option(names = "--teacher-samples", defaultValue = "1", description = "Teacher responses per prompt. Default: ${DEFAULT-VALUE}.")
    int samples;

    @Option(names = "--teacher-temperature", defaultValue = "1.0",
            description = "Sampling temperature of --teacher / --teacher-endpoint. Default: ${DEFAULT-VALUE}.")
    double temperature;

    @Option(names = "--teacher-max-tokens", defaultValue = "256", description = "Response cap of --teacher / --teacher-endpoint. Default: ${DEFAULT-VALUE}.")
    int maxTokens;

    @Option(names = "--teacher-concurrency", defaultValue = "8", description = "Requests in flight to the endpoint. Default: ${DEFAULT-VALUE}.")
    int concurrency;

    /** Prompts of a JSONL file of {@code {"prompt": ...}} or {@code {"messages": [...]}} rows, by key. */
    static List<String> prompts(Path file) {
        List<String> out = new ArrayList<>();
        for (Jsonl.Line l : Jsonl.read(file)) {
            out.add(Conversation.promptKey(l, file));
        }
        if (out.isEmpty()) {
            throw new UserError(file + ": no prompts");
        }
        return out;
    }

    /**
     * The teacher's responses to {@code prompts}: read from --teacher-responses, else collected once into
     * {@code cache} (a JSONL file in the run directory, reused when it exists so a resumed run never asks
     * again; the endpoint's journal sits beside it).
     */
    TeacherResponses responses(List<String> prompts, Path cache, PrintWriter log) {
        int given = (responsesFile != null ? 1 : 0) + (teacherDir != null ? 1 : 0) + (endpoint != null ? 1 : 0);
        if (given != 1) {
            throw new UserError("give exactly one teacher: --teacher-responses FILE, --teacher DIR or --teacher-endpoint URL");
        }
        if (samples < 1) {
            throw new UserError("--teacher-samples must be >= 1");
        }
        if (responsesFile != null) {
            return TeacherResponses.read(responsesFile);
        }
        if (teacherDir != null && Files.exists(cache)) {
            log.println("teacher: reusing " + cache);
            return TeacherResponses.read(cache);
        }
        TeacherResponses r;
        if (teacherDir != null) {
            try (LanguageModel t = LanguageModel.load(teacherDir)) {
                SamplingParams p = new SamplingParams(temperature, 0, 1.0, maxTokens, samples, 0x7EAC4E2L,
                        Set.copyOf(t.eosIds()), List.of());
                log.println("teacher: " + teacherDir + " answers " + prompts.size() + " prompts × " + samples);
                log.flush();
                r = TeacherResponses.collect(new LocalTeacher(t, p), prompts, samples);
            }
        } else {
            if (model == null) {
                throw new UserError("--teacher-endpoint needs --teacher-model");
            }
            if (!chat && prompts.stream().anyMatch(p -> Conversation.fromKey(p) != null)) {
                throw new UserError("the prompts hold conversations (\"messages\"): ask --teacher-endpoint with --teacher-chat");
            }
            EndpointSettings settings;
            try {
                settings = EndpointSettings.of(uri(), model).withChat(chat).withApiKey(apiKey())
                        .withSampling(temperature, maxTokens).withConcurrency(concurrency, 0);
            } catch (IllegalArgumentException e) {
                throw new UserError(e.getMessage());
            }
            // the journal is the endpoint's cache: a rerun asks only for what it lacks (failed requests included)
            try (OpenAiClient t = new OpenAiClient(settings)) {
                return TeacherResponses.collect(t, prompts, samples, cache.resolveSibling(cache.getFileName() + ".journal"), log);
            }
        }
        r.write(cache);
        return r;
    }

    private URI uri() {
        try {
            URI u = new URI(endpoint);
            if (!"http".equals(u.getScheme()) && !"https".equals(u.getScheme()) || u.getHost() == null) {
                throw new UserError("--teacher-endpoint: expected an http(s) URL such as http://127.0.0.1:8000/v1, got '" + endpoint + "'");
            }
            return u;
        } catch (URISyntaxException e) {
            throw new UserError("--teacher-endpoint: not a URL: " + e.getMessage());
        }
    }

    private String apiKey() {
        if (apiKeyEnv == null) {
            return null;
        }
        String key = System.getenv(apiKeyEnv);
        if (key == null || key.isBlank()) {
            throw new UserError("--teacher-api-key-env: environment variable " + apiKeyEnv + " is not set");
        }
        return key;
    }
}
