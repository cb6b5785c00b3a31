package org.distill4j.eval;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.distill4j.cli.EvaluateCommand;
import org.distill4j.cli.Main;
import org.distill4j.openai.ScriptedServer.Fault;
import org.distill4j.openai.ScriptedServer;
import org.distill4j.util.Json;
import org.distill4j.util.UserError;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** {@code distill evaluate} end to end on small JSONL files: the table, the JSON report, the judge, bad input. */
class EvaluateCliTest {
    @TempDir
    Path tmp;

    record Result(int code, String out, String err) {}

    /** Whether cli.Main lists the verb (until it does, the command runs alone, with Main's error handling). */
    private static final boolean REGISTERED = new CommandLine(new Main()).getSubcommands().containsKey("evaluate");

    static boolean registered() {
        return REGISTERED;
    }

    static Result run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code;
        if (registered()) {
            List<String> all = new ArrayList<>(List.of("evaluate"));
            all.addAll(List.of(args));
            code = Main.run(new PrintWriter(out, true), new PrintWriter(err, true), all.toArray(String[]::new));
        } else {
            CommandLine cli = new CommandLine(new EvaluateCommand());
            cli.setOut(new PrintWriter(out, true));
            cli.setErr(new PrintWriter(err, true));
            cli.setExecutionExceptionHandler((ex, line, parsed) -> { // as Main's: bad input is one line and exit code 2
                if (ex instanceof UserError) {
                    line.getErr().println("error: " + ex.getMessage());
                    line.getErr().flush();
                    return 2;
                }
                throw ex;
            });
            code = cli.execute(args);
        }
        return new Result(code, out.toString(), err.toString());
    }

    private Path write(String name, String... lines) throws Exception {
        Path p = tmp.resolve(name);
        Files.writeString(p, String.join("\n", lines) + "\n");
        return p;
    }

    private Path responses() throws Exception {
        return write("responses.jsonl",
                "{\"prompt\": \"q0\", \"response\": \"the cat sat on the mat\"}",
                "{\"prompt\": \"q1\", \"response\": \"a b c d\"}",
                "",
                "{\"prompt\": \"q2\", \"response\": \"nobody has this prompt\"}",
                "{\"prompt\": \"q3\", \"response\": \"x y\", \"reference\": \"x y\"}");
    }

    private Path references() throws Exception {
        return write("references.jsonl",
                "{\"prompt\": \"q0\", \"response\": \"the cat is on the mat\", \"sample\": 0}",
                "{\"prompt\": \"q0\", \"response\": \"a second sample is ignored\", \"sample\": 1}",
                "{\"prompt\": \"q1\", \"response\": \"a c\"}");
    }

    @Test
    void textMetricsTableAndReport() throws Exception {
        Path out = tmp.resolve("report.json");
        Result r = run("--responses", responses().toString(), "--references", references().toString(), "--out", out.toString());
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.out()).contains("3 examples (4 records, 1 without a reference)", "n-gram F1, n = 1", "n-gram F1, n = 6",
                "ROUGE-L F", "mean length (words)").doesNotContain("judge");
        assertThat(r.err()).contains("skipped 1 of 4 responses: no reference", "responses.jsonl lines 4)")
                .contains("ignored 1 later record(s) of prompts already seen");

        JsonNode report = Json.read(out);
        assertThat(report.get("examples").asInt()).isEqualTo(3);
        assertThat(report.get("missing_references").asInt()).isEqualTo(1);
        assertThat(report.get("missing_reference_lines").get(0).asInt()).isEqualTo(4);
        JsonNode o = report.get("overlap");
        // per example F1_1: 5/6 (cat/mat), 2/3 (a b c d / a c), 1 (x y)
        assertThat(o.get("f1").get("1").asDouble()).isCloseTo((5.0 / 6 + 2.0 / 3 + 1) / 3, within(1e-12));
        assertThat(o.get("f1").get("2").asDouble()).isCloseTo((3.0 / 5 + 0 + 1) / 3, within(1e-12));
        assertThat(o.get("f1").get("6").asDouble()).isZero();
        assertThat(o.get("rouge_l").asDouble()).isCloseTo((5.0 / 6 + 2.0 / 3 + 1) / 3, within(1e-12));
        assertThat(o.get("mean_length").asDouble()).isCloseTo((6 + 4 + 2) / 3.0, within(1e-12));
        assertThat(o.get("reference_mean_length").asDouble()).isCloseTo((6 + 2 + 2) / 3.0, within(1e-12));
        JsonNode per = report.get("per_example");
        assertThat(per).hasSize(3);
        assertThat(per.get(2).get("line").asInt()).isEqualTo(5);
        assertThat(per.get(0).get("f1")).hasSize(6);
        assertThat(report.has("judge")).isFalse();
    }

    @Test
    void judgeEndToEnd() throws Exception {
        // reference (Assistant 1) 8, student 6 on every prompt but q1, which the judge never scores
        try (ScriptedServer server = new ScriptedServer((p, a) -> Fault.NONE,
                (p, attempt, k) -> p.contains("[Question]\nq1\n") ? "Hard to say." : "8 6\nThe first is better.", 0, 0)) {
            Path out = tmp.resolve("judged.json");
            Result r = run("--responses", responses().toString(), "--references", references().toString(), "--out", out.toString(),
                    "--judge-endpoint", server.base().toString(), "--judge-model", "gpt-4o", "--judge-reasks", "1");
            assertThat(r.code()).as(r.err()).isZero();
            assertThat(r.out()).contains("judge score", "judged", "unjudged");
            assertThat(r.err()).contains("1 of 3 examples unjudged", "responses.jsonl:2: unusable reply after 2 asks");
            JsonNode j = Json.read(out).get("judge");
            assertThat(j.get("model").asText()).isEqualTo("gpt-4o");
            assertThat(j.get("judged").asInt()).isEqualTo(2);
            assertThat(j.get("unjudged").asInt()).isEqualTo(1);
            assertThat(j.get("score").asDouble()).isCloseTo(12.0 / 28, within(1e-12));
            assertThat(j.get("mean_ratio").asDouble()).isCloseTo(6.0 / 14, within(1e-12));
            assertThat(j.get("reasks").asInt()).isEqualTo(1);
            JsonNode per = Json.read(out).get("per_example");
            assertThat(per.get(0).get("judge").get("student").asDouble()).isEqualTo(6);
            JsonNode reading = per.get(0).get("judge").get("readings").get(0);
            assertThat(reading.get("order").asText()).isEqualTo("reference first");
            assertThat(reading.get("reference").asDouble()).isEqualTo(8);
            assertThat(reading.get("reply").asText()).startsWith("8 6");
            assertThat(per.get(1).get("judge").get("unjudged").asText()).contains("Hard to say.");
            assertThat(server.log()).hasSize(3 + 1);
        }
    }

    @Test
    void nothingJudgedExitsWithOneButWritesTheReport() throws Exception {
        try (ScriptedServer server = new ScriptedServer((p, a) -> Fault.HTTP_400, 0, 0)) {
            Path out = tmp.resolve("none.json");
            Result r = run("--responses", responses().toString(), "--references", references().toString(), "--out", out.toString(),
                    "--judge-endpoint", server.base().toString(), "--judge-model", "m");
            assertThat(r.code()).isEqualTo(1);
            assertThat(r.err()).contains("could not score a single example", "HTTP 400");
            JsonNode j = Json.read(out).get("judge");
            assertThat(j.get("score").isNull()).isTrue();
            assertThat(j.get("unjudged").asInt()).isEqualTo(3);
        }
    }

    @Test
    void aBadLineNamesFileAndLine() throws Exception {
        Path bad = write("bad.jsonl", "{\"prompt\": \"q0\", \"response\": \"a\", \"reference\": \"a\"}", "{\"prompt\": \"q1\", \"response\": ");
        Path out = tmp.resolve("never.json");
        Result r = run("--responses", bad.toString(), "--out", out.toString());
        assertCleanError(r, "bad.jsonl:2", "malformed JSON");
        assertThat(out).doesNotExist();

        Path noResponse = write("noresponse.jsonl", "{\"prompt\": \"q0\", \"response\": \"a\", \"reference\": \"a\"}",
                "{\"prompt\": \"q1\", \"response\": 3}");
        assertCleanError(run("--responses", noResponse.toString()), "noresponse.jsonl:2", "'response'");

        Path badRef = write("badref.jsonl", "{\"prompt\": \"q0\"}");
        assertCleanError(run("--responses", responses().toString(), "--references", badRef.toString()), "badref.jsonl:1", "'response'");
    }

    @Test
    void inputThatCannotBeEvaluated() throws Exception {
        Path noRefs = write("norefs.jsonl", "{\"prompt\": \"q0\", \"response\": \"a\"}");
        assertCleanError(run("--responses", noRefs.toString()), "none of the 1 responses has a reference");
        assertCleanError(run("--responses", tmp.resolve("absent.jsonl").toString()), "absent.jsonl: file not found");
        assertCleanError(run("--responses", noRefs.toString(), "--judge-endpoint", "http://127.0.0.1:9/v1"),
                "--judge-endpoint and --judge-model");
        assertCleanError(run("--responses", noRefs.toString(), "--judge-both-orders"), "--judge-both-orders needs --judge-endpoint");
        assertCleanError(run("--responses", noRefs.toString(), "--judge-endpoint", "ftp://x", "--judge-model", "m"),
                "--judge-endpoint: expected an http(s) URL");
        assertCleanError(run("--responses", noRefs.toString(), "--judge-endpoint", "http://127.0.0.1:9/v1", "--judge-model", "m",
                "--judge-api-key-env", "DISTILL4J_NO_SUCH_VARIABLE_7"), "DISTILL4J_NO_SUCH_VARIABLE_7 is not set");
    }

    @Test
    void flagsComeFromAConfigFileOnceTheVerbIsRegistered() throws Exception {
        Assumptions.assumeTrue(registered(), "evaluate is not registered in cli.Main yet");
        Path out = tmp.resolve("from-config.json");
        Path config = write("eval.yaml", "responses: " + responses(), "references: " + references(), "out: " + out);
        Result r = run("--config", config.toString());
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(Json.read(out).get("examples").asInt()).isEqualTo(3);
    }

    private static void assertCleanError(Result r, String... fragments) {
        assertThat(r.code()).as(r.err()).isEqualTo(2);
        assertThat(r.err()).startsWith("error: ").contains(fragments).doesNotContain("\tat ");
    }
}
