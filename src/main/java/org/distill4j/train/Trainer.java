package org.distill4j.train;

import ai.djl.engine.Engine;
import ai.djl.ndarray.BaseNDManager;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.training.GradientCollector;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Predicate;
import org.distill4j.lm.Checkpoint;
import org.distill4j.lm.Safetensors;
import org.distill4j.lm.Transformer;
import org.distill4j.util.Json;
import org.distill4j.util.Progress;
import org.distill4j.util.Rss;
import org.distill4j.util.UserError;

/**
 * The one training loop: AdamW, warmup + cosine schedule, global-norm clipping, gradient accumulation,
 * periodic validation, non-finite step skipping, atomic resumable checkpoints and metrics.jsonl.
 *
 * <p>Resume is exact because the loop has no hidden state: the schedule is a function of the step,
 * batch order and sampling are functions of (seed, step) inside the {@link Objective}, and the
 * checkpoint holds the weights (F32) and the optimizer's moments bit for bit.
 */
public final class Trainer {
    public static final String CHECKPOINT_DIR = "checkpoint";
    public static final String STATE_FILE = "trainer_state.json";
    public static final String OPTIMIZER_FILE = "optimizer.safetensors";
    public static final String METRICS_FILE = "metrics.jsonl";

    private final Transformer model;
    private final TrainConfig config;
    private final Path outDir;
    private final Map<String, Path> modelFiles;
    private Predicate<ObjectNode> afterEval = row -> true;
    private java.util.Set<Long> extraEvals = java.util.Set.of();

    /**
     * @param modelFiles files copied next to the weights in every saved checkpoint (tokenizer.json …)
     */
    public Trainer(Transformer model, TrainConfig config, Path outDir, Map<String, Path> modelFiles) {
        this.model = model;
        this.config = config;
        this.outDir = outDir;
        this.modelFiles = modelFiles;
    }

    /** Called with every metrics row that holds validation metrics; returning false stops the run early. */
    public Trainer onEvaluation(Predicate<ObjectNode> listener) {
        this.afterEval = listener;
        return this;
    }

    /**
     * Also evaluates after these steps: a power law is judged on a log scale of steps, so the lab adds
     * a few early evaluations before the regular ones.
     */
    public Trainer evaluateAlsoAt(java.util.Set<Long> steps) {
        this.extraEvals = java.util.Set.copyOf(steps);
        return this;
    }

    /** Outcome of a run. */
    public record Result(long steps, boolean stoppedEarly, ObjectNode lastRow) {}

    public static Path checkpointDir(Path outDir) {
        return outDir.resolve(CHECKPOINT_DIR);
    }

    public Result run(Objective objective, boolean resume) {
        Path ckpt = Checkpoint.recover(checkpointDir(outDir));
        long start = 0;
        boolean haveCheckpoint = Files.isDirectory(ckpt);
        if (haveCheckpoint && !resume) {
            throw new UserError(outDir + " already holds a training checkpoint: pass --resume to continue it, or choose another --out");
        }
        Map<String, NDArray> params = model.parameters();
        model.setTrainable(true);
        try (AdamW opt = new AdamW(params, config.adamw())) {
            if (resume && haveCheckpoint) {
                start = restore(ckpt, opt);
                System.err.println("resuming " + outDir + " at step " + start);
            }
            LrSchedule schedule = config.schedule();
            ObjectNode last = null;
            boolean stopped = false;
            try (MetricsLog log = new MetricsLog(outDir.resolve(METRICS_FILE), resume ? start : -1);
                 Progress bar = Progress.start("train", config.steps(), "steps")) {
                bar.stepTo(start);
                if (start == 0 && config.evalEvery() > 0) {
                    // the curve's starting point: the model before any update
                    ObjectNode row = new Window().row(0, 0, schedule.lr(0));
                    try (NDManager m = model.manager().newSubManager()) {
                        objective.evaluate(m).forEach(row::put);
                    }
                    if (row.size() > 3) {
                        log.write(row);
                        afterEval.test(row);
                    }
                }
                Window window = new Window();
                int bad = 0;
                for (long step = start; step < config.steps(); step++) {
                    double lr = schedule.lr(step);
                    StepOutcome o = oneStep(objective, step, params, opt, lr);
                    long done = step + 1;
                    if (o.finite) {
                        bad = 0;
                        window.add(o);
                    } else {
                        bad++;
                        System.err.printf("warning: step %d has a non-finite loss or gradient; skipped (%d in a row)%n", done, bad);
                        if (bad >= config.maxBadSteps()) {
                            save(ckpt, opt, done);
                            throw new UserError("training diverged: " + bad + " consecutive steps with non-finite loss or gradients at step "
                                    + done + "; state saved in " + ckpt + " (lower --lr or check the data)");
                        }
                    }
                    boolean end = done == config.steps();
                    boolean eval = end || (config.evalEvery() > 0 && done % config.evalEvery() == 0) || extraEvals.contains(done);
                    boolean logRow = eval || done % Math.max(1, config.logEvery()) == 0;
                    if (logRow) {
                        ObjectNode row = window.row(done, done / objective.stepsPerEpoch(), lr);
                        if (eval) {
                            try (NDManager m = model.manager().newSubManager()) {
                                objective.evaluate(m).forEach(row::put);
                            }
                        }
                        row.put("rss_mb", Math.round(Rss.megabytes()));
                        row.put("live_arrays", ((BaseNDManager) model.manager()).getManagedArrays().size());
                        log.write(row);
                        last = row;
                        if (row.has("train_loss")) {
                            bar.extra(String.format("loss %.4f", row.get("train_loss").asDouble()));
                        }
                        window = new Window();
                        if (eval && !end && !afterEval.test(row)) {
                            save(ckpt, opt, done);
                            bar.stepTo(done);
                            stopped = true;
                            start = done;
                            break;
                        }
                    }
                    if (end || (config.saveEvery() > 0 && done % config.saveEvery() == 0)) {
                        save(ckpt, opt, done);
                        pauseForCrashTest(done);
                    }
                    bar.stepTo(done);
                    start = done;
                }
            }
            saveModel(outDir);
            return new Result(start, stopped, last);
        } finally {
            model.setTrainable(false);
        }
    }

    /**
     * Lets the crash test kill this process (SIGKILL) at a known point: with the system property
     * {@code distill4j.test.pauseAfterCheckpoint=N}, the run sleeps after saving step N.
     */
    private static void pauseForCrashTest(long step) {
        if (Long.getLong("distill4j.test.pauseAfterCheckpoint", -1) == step) {
            System.err.println("paused after checkpoint " + step);
            try {
                Thread.sleep(600_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private record StepOutcome(boolean finite, double loss, double gradNorm, long tokens, double seconds, Map<String, Double> extra) {}

    private StepOutcome oneStep(Objective objective, long step, Map<String, NDArray> params, AdamW opt, double lr) {
        long t0 = System.nanoTime();
        double loss = 0;
        long tokens = 0;
        Map<String, Double> extra = new LinkedHashMap<>();
        boolean finite = true;
        for (int micro = 0; micro < config.accumulation() && finite; micro++) {
            try (NDManager m = model.manager().newSubManager();
                 GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                Objective.Loss l = objective.loss(m, step, micro);
                float v = l.value().toFloatArray()[0];
                if (!Float.isFinite(v)) {
                    finite = false;
                    break;
                }
                gc.backward(l.value());
                loss += v;
                tokens += l.tokens();
                l.extra().forEach((k, x) -> extra.merge(k, x / config.accumulation(), Double::sum));
            }
        }
        float norm = Float.NaN;
        if (finite) {
            norm = config.maxGradNorm() > 0 ? GradientClipping.clipByGlobalNorm(params, config.maxGradNorm())
                    : GradientClipping.totalNorm(params);
            finite = Float.isFinite(norm);
        }
        if (finite) {
            opt.step(lr);
        }
        opt.zeroGradients();
        return new StepOutcome(finite, loss, norm, tokens, (System.nanoTime() - t0) / 1e9, extra);
    }

    /** Means over the steps since the last metrics row. */
    private static final class Window {
        int steps;
        double loss;
        double norm;
        long tokens;
        double seconds;
        final Map<String, Double> extra = new LinkedHashMap<>();
        final Map<String, Integer> reported = new LinkedHashMap<>();

        void add(StepOutcome o) {
            steps++;
            loss += o.loss;
            norm += o.gradNorm;
            tokens += o.tokens;
            seconds += o.seconds;
            o.extra.forEach((k, v) -> {
                extra.merge(k, v, Double::sum);
                reported.merge(k, 1, Integer::sum);
            });
        }

        ObjectNode row(long step, double epoch, double lr) {
            ObjectNode r = Json.object();
            r.put("step", step);
            r.put("epoch", Math.round(epoch * 1e4) / 1e4);
            r.put("lr", lr);
            if (steps > 0) {
                r.put("train_loss", loss / steps);
                r.put("grad_norm", norm / steps);
                r.put("tokens_per_s", Math.round(tokens / Math.max(seconds, 1e-9)));
                extra.forEach((k, v) -> r.put(k, v / reported.get(k))); // over the steps that reported k
            }
            return r;
        }
    }

    private void save(Path ckpt, AdamW opt, long step) {
        Checkpoint.saveWith(ckpt, tmp -> {
            Checkpoint.writeFiles(tmp, model, Safetensors.DType.F32, modelFiles);
            opt.save(tmp.resolve(OPTIMIZER_FILE));
            ObjectNode state = Json.object();
            state.put("step", step);
            state.put("seed", config.seed());
            state.put("total_steps", config.steps());
            Json.write(tmp.resolve(STATE_FILE), state);
        });
    }

    /** The final model as a checkpoint directory in {@code dir} itself (each file written atomically). */
    private void saveModel(Path dir) {
        try {
            Files.createDirectories(dir);
            Checkpoint.writeFiles(dir, model, Safetensors.DType.F32, modelFiles);
        } catch (java.io.IOException e) {
            throw new UserError(dir + ": cannot save the model: " + e.getMessage(), e);
        }
    }

    private long restore(Path ckpt, AdamW opt) {
        JsonNode state = Json.read(ckpt.resolve(STATE_FILE));
        if (state.path("total_steps").asLong() != config.steps() || state.path("seed").asLong() != config.seed()) {
            throw new UserError(ckpt + ": was written by a run with steps=" + state.path("total_steps").asLong() + " seed="
                    + state.path("seed").asLong() + "; this run has steps=" + config.steps() + " seed=" + config.seed()
                    + " (resume with the same settings)");
        }
        try (Safetensors.Reader r = Safetensors.open(ckpt.resolve(Checkpoint.WEIGHTS))) {
            for (Map.Entry<String, NDArray> e : model.parameters().entrySet()) {
                e.getValue().set(r.readFloats(e.getKey()));
            }
        }
        opt.load(ckpt.resolve(OPTIMIZER_FILE));
        return state.path("step").asLong();
    }
}
