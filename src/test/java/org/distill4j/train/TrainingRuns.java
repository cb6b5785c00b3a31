package org.distill4j.train;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.distill4j.cli.Main;
import org.distill4j.gad.TinyStudent;
import org.distill4j.lm.Safetensors;
import org.distill4j.util.Json;
import org.distill4j.util.Jsonl;

/**
 * Tiny runs of every training verb (sft, kd with a live teacher over offline data, seqkd, gad) for the tests of
 * what all trainers promise: exact resume after a kill, flat live arrays. Each builds its inputs in {@code dir}
 * once and returns the verb's arguments for an output directory and a step count.
 */
public final class TrainingRuns {
    /** Columns that measure time or memory: they differ between any two runs. */
    public static final Set<String> UNREPEATABLE = Set.of("tokens_per_s", "rss_mb", "live_arrays", "step_seconds");

    private TrainingRuns() {}

    public interface Verb {
        /** The verb's arguments: {@code steps} optimizer steps, a checkpoint every {@code saveEvery}, a row every {@code logEvery}. */
        List<String> args(Path out, int steps, int saveEvery, int logEvery);
    }

    public static Verb sft(Path dir) throws Exception {
        SftResumeTestSupport.writeTinySetup(dir);
        return (out, steps, saveEvery, logEvery) -> new ArrayList<>(List.of("sft", "--init", dir.resolve("config.json").toString(),
                "--tokenizer", dir.resolve("tokenizer.json").toString(), "--data", dir.resolve("train.jsonl").toString(),
                "--val", dir.resolve("val.jsonl").toString(), "--out", out.toString(), "--max-steps", String.valueOf(steps),
                "--batch-size", "8", "--grad-accum", "2", "--lr", "3e-3", "--lr-warmup-steps", "3", "--save-every", String.valueOf(saveEvery),
                "--eval-every", "4", "--log-every", String.valueOf(logEvery), "--seed", "5"));
    }

    /** The LoRA flags the LoRA runs of these tests add: every linear module, dropout on (its masks are part of a run). */
    public static final List<String> LORA = List.of("--lora-r", "4", "--lora-alpha", "8", "--lora-dropout", "0.1");

    /** A verb's run with LoRA adapters ({@link #LORA}) on its student. */
    public static Verb withLora(Verb verb) {
        return (out, steps, saveEvery, logEvery) -> {
            List<String> a = verb.args(out, steps, saveEvery, logEvery);
            a.addAll(LORA);
            return a;
        };
    }

    /** sft with LoRA adapters on a base trained for 2 steps by {@link #sft} (adapters need a base, not --init). */
    public static Verb sftLora(Path dir) throws Exception {
        Verb sft = sft(dir);
        Path base = dir.resolve("base");
        assertThat(Main.run(sft.args(base, 2, 2, 1).toArray(String[]::new))).isZero();
        return withLora((out, steps, saveEvery, logEvery) -> {
            List<String> a = sft.args(out, steps, saveEvery, logEvery);
            int init = a.indexOf("--init");
            a.subList(init, init + 4).clear(); // --init config.json --tokenizer tokenizer.json
            a.addAll(List.of("--model", base.toString()));
            return a;
        });
    }

    /** kd from a live teacher over a fixed offline set: the teacher's next pass runs ahead on its own thread. */
    public static Verb kd(Path dir) throws Exception {
        return kd(dir, 2, false);
    }

    /**
     * As {@link #kd(Path)} with a teacher trained by sft for {@code teacherSteps} steps (the student for 2), the student
     * from the teacher's initial weights when {@code sameInit} (else from other ones).
     */
    public static Verb kd(Path dir, int teacherSteps, boolean sameInit) throws Exception {
        Verb sft = sft(dir);
        for (String name : List.of("teacher", "student")) {
            List<String> args = sft.args(dir.resolve(name), name.equals("teacher") ? teacherSteps : 2, 100, 1);
            args.set(args.indexOf("--seed") + 1, name.equals("teacher") || sameInit ? "7" : "8"); // two different models
            assertThat(Main.run(args.toArray(String[]::new))).isZero();
        }
        return (out, steps, saveEvery, logEvery) -> new ArrayList<>(List.of("kd", "--teacher", dir.resolve("teacher").toString(),
                "--student", dir.resolve("student").toString(), "--prompts", dir.resolve("val.jsonl").toString(),
                "--offline-data", dir.resolve("train.jsonl").toString(), "--val", dir.resolve("val.jsonl").toString(),
                "--out", out.toString(), "--max-steps", String.valueOf(steps), "--batch-size", "8", "--grad-accum", "2",
                "--lr", "3e-3", "--lr-warmup-steps", "2", "--loss", "jsd", "--save-every", String.valueOf(saveEvery), "--eval-every", "4",
                "--log-every", String.valueOf(logEvery), "--max-new-tokens", "8", "--seed", "3"));
    }

    /** gad (D-alone warmup, generator warmup, then GRPO) with a local text-only teacher, or seqkd with the same teacher. */
    public static Verb gad(Path dir, boolean seqkd) throws Exception {
        Path student = TinyStudent.write(dir.resolve("student"), 1);
        Path teacher = TinyStudent.write(dir.resolve("teacher"), 2);
        StringBuilder b = new StringBuilder();
        for (String p : TinyStudent.promptTexts(16, 1)) {
            b.append("{\"prompt\": \"").append(p).append("\"}\n");
        }
        Path prompts = Files.writeString(dir.resolve("prompts.jsonl"), b.toString());
        return (out, steps, saveEvery, logEvery) -> {
            List<String> a = new ArrayList<>(List.of(seqkd ? "seqkd" : "gad", "--student", student.toString(), "--teacher", teacher.toString(),
                    "--prompts", prompts.toString(), "--out", out.toString(), "--prompts-per-step", "4", "--max-new-tokens", "8",
                    "--teacher-max-tokens", "8", "--lr", "1e-3", "--save-every", String.valueOf(saveEvery),
                    "--log-every", String.valueOf(logEvery), "--eval-every", "4", "--seed", "4"));
            if (seqkd) {
                a.addAll(List.of("--max-steps", String.valueOf(steps)));
            } else {
                // 2 warmup steps (1 discriminator alone), then GRPO
                a.addAll(List.of("--gad-warmup-steps", "2", "--d-alone-steps", "1", "--max-steps", String.valueOf(steps), "--samples", "3",
                        "--d-lr", "1e-3"));
            }
            return a;
        };
    }

    /** The metrics rows of a run. */
    public static List<JsonNode> metrics(Path out) {
        List<JsonNode> rows = new ArrayList<>();
        Jsonl.read(out.resolve("metrics.jsonl")).forEach(l -> rows.add(l.value()));
        return rows;
    }

    /**
     * Runs {@code args} in a child JVM (2 engine threads, as the tests' own) that pauses after writing the checkpoint
     * of step {@code killAt}, and kills it there with SIGKILL.
     */
    public static void runAndKill(List<String> args, Path out, int killAt, Path log) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), "-Dai.djl.offline=true", "-Dai.djl.pytorch.num_threads=2",
                "-Dai.djl.pytorch.num_interop_threads=1", "-Ddistill4j.test.pauseAfterCheckpoint=" + killAt, "org.distill4j.cli.Main"));
        cmd.addAll(args);
        Process child = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        try {
            Path state = out.resolve(Trainer.CHECKPOINT_DIR).resolve(Trainer.STATE_FILE);
            long deadline = System.currentTimeMillis() + 180_000;
            while (!(Files.exists(state) && Json.read(state).path("step").asLong() == killAt)) {
                assertThat(child.isAlive()).as("child still running (log: %s)", log).isTrue();
                assertThat(System.currentTimeMillis()).as("child reached step %d (log: %s)", killAt, log).isLessThan(deadline);
                Thread.sleep(50);
            }
        } finally {
            child.destroyForcibly(); // SIGKILL on Linux
            assertThat(child.waitFor(30, TimeUnit.SECONDS)).isTrue();
        }
        assertThat(child.exitValue()).isEqualTo(137);
    }

    /** Both runs' final weights are equal bit for bit, and so are their metrics rows but for time and memory. */
    public static void assertSameRun(Path expected, Path actual, String weightsFile) throws Exception {
        assertSameWeights(expected.resolve(weightsFile), actual.resolve(weightsFile));
        assertSameMetrics(expected, actual);
    }

    /** Two safetensors files hold the same tensors, bit for bit. */
    public static void assertSameWeights(Path expected, Path actual) {
        try (Safetensors.Reader a = Safetensors.open(expected);
             Safetensors.Reader b = Safetensors.open(actual)) {
            assertThat(b.tensors().keySet()).isEqualTo(a.tensors().keySet());
            for (String name : a.tensors().keySet()) {
                assertThat(b.readFloats(name)).as("%s %s", actual, name).containsExactly(a.readFloats(name));
            }
        }
    }

    /** The metrics rows of two runs have the same columns and values, but for time and memory. */
    public static void assertSameMetrics(Path expected, Path actual) {
        List<JsonNode> ma = metrics(expected);
        List<JsonNode> mb = metrics(actual);
        assertThat(mb).hasSameSizeAs(ma);
        for (int i = 0; i < ma.size(); i++) {
            JsonNode ra = ma.get(i);
            JsonNode rb = mb.get(i);
            List<String> keys = new ArrayList<>();
            ra.fieldNames().forEachRemaining(keys::add);
            List<String> keysB = new ArrayList<>();
            rb.fieldNames().forEachRemaining(keysB::add);
            assertThat(keysB).as("row %d's columns", i).isEqualTo(keys);
            for (String k : keys) {
                if (!UNREPEATABLE.contains(k)) {
                    assertThat(rb.get(k).toString()).as("row %d (step %s) %s", i, ra.get("step"), k).isEqualTo(ra.get(k).toString());
                }
            }
        }
    }
}
