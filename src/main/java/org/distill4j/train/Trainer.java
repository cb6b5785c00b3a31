package org.distill4j.train;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;
import java.util.function.Predicate;
import org.distill4j.lm.Checkpoint;
import org.distill4j.util.Json;
import org.distill4j.util.LiveArrays;
import org.distill4j.util.Progress;
import org.distill4j.util.Rss;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.distill4j.util.UserError;

/**
 * The one training loop, for every method: it runs a {@link TrainingStep} (one model on an {@link Objective}, or
 * GAD's generator and discriminator) for a number of steps and owns what all methods share: metrics rows and the
 * window they average, evaluation and checkpoint cadence, the non-finite guard, atomic checkpoints in one layout
 * (checkpoint/: trainer_state.json, and a subdirectory per model with its optimizer), the settings check and
 * exact resume.
 *
 * <p>Resume is exact because the loop has no hidden state: a step is a function of the seed, the step number
 * and what the checkpoint holds (weights in F32, optimizer moments bit for bit, the step's own state), and the
 * checkpoint also holds the metrics window since the last row and the count of consecutive skipped steps.
 */
public final class Trainer {
    private static final Logger LOG = LoggerFactory.getLogger(Trainer.class);

    public static final String CHECKPOINT_DIR = "checkpoint";
    public static final String STATE_FILE = "trainer_state.json";
    public static final String METRICS_FILE = "metrics.jsonl";

    /**
     * The loop's cadence.
     *
     * @param steps       optimizer steps in total
     * @param evalEvery   evaluation every k steps (and at the end); 0 = only at the end
     * @param saveEvery   resumable checkpoint every k steps (and at the end)
     * @param logEvery    a metrics row every k steps
     * @param maxBadSteps consecutive non-finite steps tolerated before the run stops
     * @param seed        the run's seed (a checkpoint written with another one is not resumed)
     */
    public record Loop(long steps, long evalEvery, long saveEvery, long logEvery, int maxBadSteps, long seed) {
        public Loop {
            if (steps < 1) {
                throw new IllegalArgumentException("steps must be >= 1");
            }
        }
    }

    private final Path outDir;
    private final Loop loop;
    private Predicate<ObjectNode> afterEval = row -> true;
    private Predicate<ObjectNode> afterRow = row -> true;
    private Set<Long> extraEvals = Set.of();
    private RunSettings settings;

    public Trainer(Path outDir, Loop loop) {
        this.outDir = outDir;
        this.loop = loop;
    }

    /** Called with every metrics row that holds validation metrics; returning false stops the run early. */
    public Trainer onEvaluation(Predicate<ObjectNode> listener) {
        this.afterEval = listener;
        return this;
    }

    /**
     * Called with every metrics row written after a step (training values, and validation metrics where there are
     * any); returning false stops the run early, as {@link #onEvaluation} does. For monitors of the training signal
     * itself, which cannot wait for the next evaluation.
     */
    public Trainer onRow(Predicate<ObjectNode> listener) {
        this.afterRow = listener;
        return this;
    }

    /**
     * Also evaluates after these steps: a power law is judged on a log scale of steps, so the lab adds
     * a few early evaluations before the regular ones.
     */
    public Trainer evaluateAlsoAt(Set<Long> steps) {
        this.extraEvals = Set.copyOf(steps);
        return this;
    }

    /** The run's settings, saved in every checkpoint; a resume with other settings is refused. */
    public Trainer settings(RunSettings s) {
        this.settings = s;
        return this;
    }

    /** Outcome of a run. */
    public record Result(long steps, boolean stoppedEarly, ObjectNode lastRow) {}

    public static Path checkpointDir(Path outDir) {
        return outDir.resolve(CHECKPOINT_DIR);
    }

    public Result run(TrainingStep step, boolean resume) {
        Path ckpt = Checkpoint.recover(checkpointDir(outDir));
        boolean haveCheckpoint = Files.isDirectory(ckpt);
        if (haveCheckpoint && !resume) {
            throw new UserError(outDir + " already holds a training checkpoint: pass --resume to continue it, or choose another --out");
        }
        if (resume && haveCheckpoint && settings != null) {
            settings.checkResume(outDir);
        }
        step.start();
        try {
            long start = 0;
            MetricsWindow window = new MetricsWindow();
            int bad = 0;
            if (resume && haveCheckpoint) {
                JsonNode state = readState(ckpt);
                step.restore(ckpt, state);
                start = state.path("step").asLong();
                window = MetricsWindow.fromJson(state.get("window"));
                bad = state.path("bad_steps").asInt();
                LOG.info("resuming " + outDir + " at step " + start);
            }
            ObjectNode last = null;
            boolean stopped = false;
            try (MetricsLog log = new MetricsLog(outDir.resolve(METRICS_FILE), resume ? start : -1);
                 Progress bar = Progress.start("train", loop.steps(), "steps")) {
                bar.stepTo(start);
                if (start == 0 && (loop.evalEvery() > 0 || step.rowAtStart())) {
                    // the curve's starting point: the models before any update
                    ObjectNode row = step.row(0, new MetricsWindow());
                    Map<String, Double> metrics = step.evaluate();
                    metrics.forEach(row::put);
                    if (!metrics.isEmpty() || step.rowAtStart()) {
                        log.write(row);
                        afterEval.test(row);
                    }
                }
                for (long s = start; s < loop.steps(); s++) {
                    TrainingStep.Outcome o = step.step(s);
                    long done = s + 1;
                    window.addAll(o.values());
                    if (o.finite()) {
                        bad = 0;
                    } else {
                        bad++;
                        LOG.warn(String.format("step %d has a non-finite loss or gradient; its update skipped (%d in a row)", done, bad));
                        if (bad >= loop.maxBadSteps()) {
                            save(ckpt, step, done, window, bad);
                            throw new UserError("training diverged: " + bad + " consecutive steps with non-finite loss or gradients at step "
                                    + done + "; state saved in " + ckpt + " (lower the learning rate or check the data)");
                        }
                    }
                    boolean end = done == loop.steps();
                    boolean eval = end || (loop.evalEvery() > 0 && done % loop.evalEvery() == 0) || extraEvals.contains(done);
                    if (eval || done % Math.max(1, loop.logEvery()) == 0) {
                        ObjectNode row = step.row(done, window);
                        if (eval) {
                            step.evaluate().forEach(row::put);
                        }
                        row.put("rss_mb", Math.round(Rss.megabytes()));
                        row.put("live_arrays", LiveArrays.count());
                        log.write(row);
                        last = row;
                        bar.extra(step.progress(row));
                        window = new MetricsWindow();
                        boolean go = afterRow.test(row);
                        if (eval && !end && !afterEval.test(row)) {
                            go = false;
                        }
                        if (!go && !end) {
                            save(ckpt, step, done, window, bad);
                            bar.stepTo(done);
                            stopped = true;
                            start = done;
                            break;
                        }
                    }
                    if (end || (loop.saveEvery() > 0 && done % loop.saveEvery() == 0)) {
                        save(ckpt, step, done, window, bad);
                        pauseForCrashTest(done);
                    }
                    bar.stepTo(done);
                    start = done;
                }
            }
            try {
                Files.createDirectories(outDir);
                step.saveFinal(outDir);
            } catch (java.io.IOException e) {
                throw new UserError(outDir + ": cannot save the model: " + e.getMessage(), e);
            }
            return new Result(start, stopped, last);
        } finally {
            step.finish();
        }
    }

    /**
     * Lets the crash test kill this process (SIGKILL) at a known point: with the system property
     * {@code distill4j.test.pauseAfterCheckpoint=N}, the run sleeps after saving step N.
     */
    private static void pauseForCrashTest(long step) {
        if (Long.getLong("distill4j.test.pauseAfterCheckpoint", -1) == step) {
            LOG.info("paused after checkpoint " + step);
            try {
                Thread.sleep(600_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private void save(Path ckpt, TrainingStep step, long done, MetricsWindow window, int badSteps) {
        Checkpoint.saveWith(ckpt, tmp -> {
            ObjectNode state = Json.object(); // a tree, not a record: each TrainingStep adds its own fields (save)
            state.put("step", done);
            state.put("total_steps", loop.steps());
            state.put("seed", loop.seed());
            state.put("bad_steps", badSteps);
            state.set("window", window.toJson());
            if (settings != null) {
                state.set(RunSettings.STATE_KEY, settings.toJson());
            }
            step.save(tmp, state);
            Json.write(tmp.resolve(STATE_FILE), state);
        });
    }

    private JsonNode readState(Path ckpt) {
        if (Files.exists(ckpt.resolve(Checkpoint.WEIGHTS)) || Files.isDirectory(ckpt.resolve("generator"))) {
            throw new UserError(ckpt + ": a checkpoint in the layout of an earlier distill4j (models not in per-model "
                    + "subdirectories); resume it with that version, or start afresh in another --out");
        }
        JsonNode state = Json.read(ckpt.resolve(STATE_FILE));
        if (state.path("total_steps").asLong() != loop.steps() || state.path("seed").asLong() != loop.seed()) {
            throw new UserError(ckpt + ": was written by a run with steps=" + state.path("total_steps").asLong() + " seed="
                    + state.path("seed").asLong() + "; this run has steps=" + loop.steps() + " seed=" + loop.seed()
                    + " (resume with the same settings)");
        }
        return state;
    }
}
