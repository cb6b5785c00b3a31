package org.distill4j.cli;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;
import java.io.PrintWriter;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicLong;
import org.distill4j.eval.JudgeReport;
import org.distill4j.eval.LlmJudge;
import org.distill4j.eval.TextOverlap;
import org.distill4j.openai.RetryPolicy;
import org.distill4j.openai.EndpointSettings;
import org.distill4j.util.Json;
import org.distill4j.util.Jsonl;
import org.distill4j.util.Progress;
import org.distill4j.util.UserError;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code distill evaluate}: text metrics of student responses against references, and optionally an LLM judge. */
@Command(name = "evaluate", mixinStandardHelpOptions = true,
        description = "Compare student responses with reference (teacher) responses: n-gram overlap F1 (n = 1..6), "
                + "ROUGE-L and mean lengths in words; with --judge-endpoint and --judge-model, also an LLM judge's "
                + "1-10 scores and the score sum(student) / (sum(student) + sum(reference)). Prints a table; --out "
                + "writes a JSON report. See docs/judge.md.")
public final class EvaluateCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--responses", required = true,
            description = "JSONL of {\"prompt\", \"response\"} records (the student's); a record may carry its own \"reference\".")
    Path responses;

    @Option(names = "--references",
            description = "JSONL of {\"prompt\", \"response\"} records (the teacher's), matched to responses by exact prompt "
                    + "text; the first record of a prompt is used.")
    Path references;

    @Option(names = "--out", description = "JSON report (written atomically).")
    Path out;

    @Option(names = "--judge-endpoint", description = "Base URL of an OpenAI-compatible chat endpoint, e.g. https://api.openai.com/v1.")
    String judgeEndpoint;

    @Option(names = "--judge-model", description = "Judge model name, e.g. gpt-4o.")
    String judgeModel;

    @Option(names = "--judge-api-key-env", paramLabel = "VAR", description = "Environment variable holding the judge's API key.")
    String judgeApiKeyEnv;

    @Option(names = "--judge-both-orders",
            description = "Judge every example twice, the answers in both positions, and average (against position bias).")
    boolean bothOrders;

    @Option(names = "--judge-reasks", defaultValue = "2",
            description = "Times a reply without two readable 1-10 scores is asked again before the example counts as "
                    + "unjudged. Default: ${DEFAULT-VALUE}.")
    int reasks;

    @Option(names = "--judge-concurrency", defaultValue = "8", description = "Judge requests in flight. Default: ${DEFAULT-VALUE}.")
    int concurrency;

    @Option(names = "--judge-max-requests-per-minute", defaultValue = "0",
            description = "Rate limit on attempts (retries included); 0 = none. Default: ${DEFAULT-VALUE}.")
    double maxRequestsPerMinute;

    @Option(names = "--judge-max-tokens", description = "Cap on the judge's reply (scores and explanation). Default: the server's.")
    Integer maxTokens;

    @Option(names = "--judge-timeout", defaultValue = "120", description = "Seconds per attempt. Default: ${DEFAULT-VALUE}.")
    double timeoutSeconds;

    @Option(names = "--judge-max-attempts", defaultValue = "8",
            description = "HTTP attempts per request (429, 5xx, timeouts). Default: ${DEFAULT-VALUE}.")
    int maxAttempts;

    // read by Main (ConfigFile) before parsing; declared so that picocli accepts the flag
    @Option(names = "--config", description = "YAML file whose keys mirror these flags (flags given here win).")
    Path config;

    /** One evaluated pair and the JSONL line it came from. */
    private record Example(int line, String prompt, String response, String reference) {}

    @Override
    public Integer call() {
        boolean judging = judgeEndpoint != null || judgeModel != null;
        if (judging && (judgeEndpoint == null || judgeModel == null)) {
            throw new UserError("the judge needs both --judge-endpoint and --judge-model");
        }
        if (!judging && (bothOrders || judgeApiKeyEnv != null)) {
            throw new UserError((bothOrders ? "--judge-both-orders" : "--judge-api-key-env")
                    + " needs --judge-endpoint and --judge-model");
        }
        if (reasks < 0) {
            throw new UserError("--judge-reasks must be >= 0, got " + reasks);
        }
        EndpointSettings settings = judging ? judgeSettings() : null; // a missing key fails before any work
        PrintWriter err = spec.commandLine().getErr();
        Map<String, String> referenceByPrompt = references == null ? Map.of() : readReferences(err);
        List<Jsonl.Line> lines = Jsonl.read(responses);
        if (lines.isEmpty()) {
            throw new UserError(responses + ": no records");
        }
        List<Integer> missing = new ArrayList<>();
        List<Example> examples = examples(lines, referenceByPrompt, missing);
        if (examples.isEmpty()) {
            throw new UserError(responses + ": none of the " + lines.size() + " responses has a reference ("
                    + (references == null ? "no --references given and no 'reference' field"
                    : "no prompt matches one of " + references + " exactly, and no 'reference' field") + ")");
        }
        if (!missing.isEmpty()) {
            err.println("evaluate: skipped " + missing.size() + " of " + lines.size() + " responses: no reference ("
                    + responses + " lines " + abbreviated(missing) + ")");
        }
        List<TextOverlap.Scores> scores = new ArrayList<>(examples.size());
        for (Example e : examples) {
            scores.add(TextOverlap.score(e.response(), e.reference()));
        }
        TextOverlap.Report overlap = TextOverlap.aggregate(scores);
        JudgeReport judged = judging ? judge(settings, examples) : null;

        if (out != null) {
            Json.write(out, report(examples, missing, scores, overlap, judged));
        }
        PrintWriter o = spec.commandLine().getOut();
        o.print(table(lines.size(), missing.size(), overlap, judged));
        o.flush();
        if (judged != null && judged.unjudged() > 0) {
            err.println("evaluate: " + judged.unjudged() + " of " + examples.size()
                    + " examples unjudged, left out of the judge score:");
            judged.verdicts().stream().filter(v -> !v.judged()).limit(5).forEach(v ->
                    err.println("  " + responses + ":" + examples.get(v.index()).line() + ": " + v.unjudged()));
        }
        if (out != null) {
            err.println("evaluate: wrote " + out);
        }
        err.flush();
        if (judged != null && judged.judged() == 0) {
            err.println("evaluate: the judge could not score a single example");
            err.flush();
            return 1;
        }
        return 0;
    }

    /** The responses that have a reference (their own "reference" field first); the lines of the others go to {@code missing}. */
    private List<Example> examples(List<Jsonl.Line> lines, Map<String, String> referenceByPrompt, List<Integer> missing) {
        List<Example> examples = new ArrayList<>();
        for (Jsonl.Line l : lines) {
            String prompt = l.text(responses, "prompt");
            String response = l.text(responses, "response");
            String reference = l.value().has("reference") ? l.text(responses, "reference") : referenceByPrompt.get(prompt);
            if (reference == null) {
                missing.add(l.number());
            } else {
                examples.add(new Example(l.number(), prompt, response, reference));
            }
        }
        return examples;
    }

    private Map<String, String> readReferences(PrintWriter err) {
        Map<String, String> byPrompt = new HashMap<>();
        int duplicates = 0;
        for (Jsonl.Line l : Jsonl.read(references)) {
            String prompt = l.text(references, "prompt");
            String response = l.text(references, "response");
            if (byPrompt.putIfAbsent(prompt, response) != null) {
                duplicates++;
            }
        }
        if (duplicates > 0) {
            // a teach run with --n > 1 repeats each prompt; the paper compares against one reference
            err.println("evaluate: ignored " + duplicates + " later record(s) of prompts already seen in " + references
                    + " (the first record of a prompt is its reference)");
        }
        return byPrompt;
    }

    private EndpointSettings judgeSettings() {
        if (timeoutSeconds <= 0) {
            throw new UserError("--judge-timeout must be > 0 seconds");
        }
        try {
            RetryPolicy retry = new RetryPolicy(maxAttempts, RetryPolicy.DEFAULT.initialBackoff(),
                    RetryPolicy.DEFAULT.maxBackoff(), RetryPolicy.DEFAULT.maxRetryAfter());
            return EndpointSettings.of(endpointUri(), judgeModel)
                    .withApiKey(apiKey())
                    .withSampling(0.0, maxTokens)
                    .withConcurrency(concurrency, maxRequestsPerMinute)
                    .withTimeouts(seconds(timeoutSeconds), retry);
        } catch (IllegalArgumentException e) {
            throw new UserError("judge: " + e.getMessage());
        }
    }

    private JudgeReport judge(EndpointSettings settings, List<Example> examples) {
        List<LlmJudge.Item> items = new ArrayList<>(examples.size());
        for (Example e : examples) {
            items.add(new LlmJudge.Item(e.prompt(), e.response(), e.reference()));
        }
        try (LlmJudge judge = new LlmJudge(settings, reasks, bothOrders);
             Progress bar = Progress.start("judge", (long) items.size() * judge.ordersPerItem(), "replies")) {
            AtomicLong done = new AtomicLong();
            JudgeReport report = judge.judge(items, k -> bar.stepTo(done.addAndGet(k)));
            bar.stepTo((long) items.size() * judge.ordersPerItem());
            return report;
        }
    }

    /** The --out report; a judge figure is null (JSON has no NaN) when no example was judged. */
    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    private record Report(String responses, String references, int examples, int missingReferences,
                          List<Integer> missingReferenceLines, String tokenization, Overlap overlap,
                          @JsonInclude(JsonInclude.Include.NON_NULL) JudgeSummary judge, List<PerExample> perExample) {}

    /** {@code f1} maps n ("1".."4") to the mean n-gram F1. */
    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    private record Overlap(Map<String, Double> f1, double rougeL, double meanLength, double referenceMeanLength,
                           int count) {}

    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    private record JudgeSummary(String endpoint, String model, boolean bothOrders, Double score, Double meanRatio,
                                Double meanStudent, Double meanReference, int judged, int unjudged, long httpAttempts,
                                long httpRetries, int reasks) {}

    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    private record PerExample(int line, List<Double> f1, double rougeL, int length, int referenceLength,
                              @JsonInclude(JsonInclude.Include.NON_NULL) ExampleJudge judge) {}

    /** A judged example has scores and readings, an unjudged one the reason instead. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    private record ExampleJudge(Double student, Double reference, Double ratio, List<Reading> readings,
                                String unjudged, int asks) {}

    private record Reading(String order, double student, double reference, String reply) {
        Reading(String order, JudgeReport.Reading r) {
            this(order, r.student(), r.reference(), r.reply());
        }
    }

    private Report report(List<Example> examples, List<Integer> missing, List<TextOverlap.Scores> scores,
                          TextOverlap.Report overlap, JudgeReport judged) {
        Map<String, Double> f1 = new LinkedHashMap<>();
        for (int n = 1; n <= TextOverlap.MAX_N; n++) {
            f1.put(String.valueOf(n), overlap.f1(n));
        }
        JudgeSummary judge = judged == null ? null : new JudgeSummary(judgeEndpoint, judgeModel, bothOrders,
                Json.finiteOrNull(judged.score()), Json.finiteOrNull(judged.meanRatio()),
                Json.finiteOrNull(judged.meanStudent()), Json.finiteOrNull(judged.meanReference()), judged.judged(),
                judged.unjudged(), judged.httpAttempts(), judged.httpRetries(), judged.reasks());
        List<PerExample> per = new ArrayList<>();
        for (int i = 0; i < examples.size(); i++) {
            TextOverlap.Scores sc = scores.get(i);
            per.add(new PerExample(examples.get(i).line(), sc.f1(), sc.rougeL(), sc.length(), sc.referenceLength(),
                    judged == null ? null : exampleJudge(judged.verdicts().get(i))));
        }
        return new Report(responses.toString(), references == null ? null : references.toString(), examples.size(),
                missing.size(), missing,
                "EvalTokenizer: lower-case; runs of letters and digits; Han/kana one per character; "
                        + "punctuation dropped (rouge_score's tokenizer on ASCII)",
                new Overlap(f1, overlap.rougeL(), overlap.meanLength(), overlap.referenceMeanLength(), overlap.count()),
                judge, per);
    }

    private static ExampleJudge exampleJudge(JudgeReport.Verdict v) {
        if (!v.judged()) {
            return new ExampleJudge(null, null, null, null, v.unjudged(), v.asks());
        }
        List<Reading> readings = new ArrayList<>();
        readings.add(new Reading("reference first", v.forward()));
        if (v.reversed() != null) {
            readings.add(new Reading("student first", v.reversed()));
        }
        return new ExampleJudge(v.student(), v.reference(), v.ratio(), readings, null, v.asks());
    }

    private static String table(int records, int missing, TextOverlap.Report overlap, JudgeReport judged) {
        StringBuilder s = new StringBuilder();
        s.append(String.format(Locale.ROOT, "%d examples (%d records, %d without a reference)%n", overlap.count(), records, missing));
        s.append(String.format(Locale.ROOT, "%-28s %10s%n", "metric", "value"));
        for (int n = 1; n <= TextOverlap.MAX_N; n++) {
            s.append(row("n-gram F1, n = " + n, overlap.f1(n)));
        }
        s.append(row("ROUGE-L F", overlap.rougeL()));
        s.append(String.format(Locale.ROOT, "%-28s %10.1f%n", "mean length (words)", overlap.meanLength()));
        s.append(String.format(Locale.ROOT, "%-28s %10.1f%n", "reference mean length", overlap.referenceMeanLength()));
        if (judged != null) {
            s.append(row("judge score", judged.score()));
            s.append(row("judge mean ratio", judged.meanRatio()));
            s.append(String.format(Locale.ROOT, "%-28s %10.2f%n", "judge mean student (1-10)", judged.meanStudent()));
            s.append(String.format(Locale.ROOT, "%-28s %10.2f%n", "judge mean reference (1-10)", judged.meanReference()));
            s.append(String.format(Locale.ROOT, "%-28s %10d%n", "judged", judged.judged()));
            s.append(String.format(Locale.ROOT, "%-28s %10d%n", "unjudged", judged.unjudged()));
        }
        return s.toString();
    }

    private static String row(String name, double v) {
        return String.format(Locale.ROOT, "%-28s %10.4f%n", name, v);
    }

    private static String abbreviated(List<Integer> numbers) {
        List<String> shown = numbers.stream().limit(10).map(String::valueOf).toList();
        return String.join(", ", shown) + (numbers.size() > 10 ? ", ..." : "");
    }

    private URI endpointUri() {
        try {
            URI u = new URI(judgeEndpoint);
            if (!"http".equals(u.getScheme()) && !"https".equals(u.getScheme()) || u.getHost() == null) {
                throw new UserError("--judge-endpoint: expected an http(s) URL such as https://api.openai.com/v1, got '"
                        + judgeEndpoint + "'");
            }
            return u;
        } catch (URISyntaxException e) {
            throw new UserError("--judge-endpoint: not a URL: " + e.getMessage());
        }
    }

    private String apiKey() {
        if (judgeApiKeyEnv == null) {
            return null;
        }
        String key = System.getenv(judgeApiKeyEnv);
        if (key == null || key.isBlank()) {
            throw new UserError("--judge-api-key-env: environment variable " + judgeApiKeyEnv + " is not set");
        }
        return key;
    }

    private static Duration seconds(double s) {
        return Duration.ofNanos((long) (s * 1e9));
    }
}
