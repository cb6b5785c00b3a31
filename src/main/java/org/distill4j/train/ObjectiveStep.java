package org.distill4j.train;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.training.GradientCollector;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import org.distill4j.lm.Checkpoint;
import org.distill4j.lm.Transformer;
import org.distill4j.util.Json;

/**
 * One model trained on an {@link Objective} (sft, kd): AdamW, warmup + cosine schedule, global-norm clipping and
 * gradient accumulation over the objective's micro-batches. A step whose loss or gradient is not finite updates
 * nothing and reports nothing.
 */
public final class ObjectiveStep implements TrainingStep {
    /** The trained model's subdirectory in a checkpoint (with its optimizer file). */
    public static final String STUDENT_DIR = "student";
    public static final String OPTIMIZER_FILE = "optimizer.safetensors";

    private final Transformer model;
    private final TrainConfig config;
    private final Objective objective;
    private final Map<String, Path> modelFiles;
    private final LrSchedule schedule;
    private AdamW opt;

    /** @param modelFiles files copied next to the weights in every saved checkpoint (tokenizer.json …) */
    public ObjectiveStep(Transformer model, TrainConfig config, Objective objective, Map<String, Path> modelFiles) {
        this.model = model;
        this.config = config;
        this.objective = objective;
        this.modelFiles = modelFiles;
        this.schedule = config.schedule();
    }

    @Override
    public void start() {
        objective.start();
        model.setTrainable(true);
        opt = new AdamW(model.trainableParameters(), config.adamw());
    }

    @Override
    public Outcome step(long step) {
        long t0 = System.nanoTime();
        Map<String, NDArray> params = model.trainableParameters();
        double loss = 0;
        long tokens = 0;
        Map<String, Double> extra = new LinkedHashMap<>();
        boolean finite = true;
        for (int micro = 0; micro < config.accumulation() && finite; micro++) {
            try (NDManager m = model.manager().newSubManager();
                 GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                int mb = micro;
                // with LoRA dropout, its masks: a function of the seed, the step and the micro-batch
                Objective.Loss l = model.trainingPass(m, dropoutSeed(config.seed(), step, micro), () -> objective.loss(m, step, mb));
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
            opt.step(schedule.lr(step));
        }
        opt.zeroGradients();
        if (!finite) {
            return new Outcome(false, Map.of());
        }
        Map<String, Double> values = new LinkedHashMap<>();
        values.put("train_loss", loss);
        values.put("grad_norm", (double) norm);
        values.put("tokens", (double) tokens);
        values.put("seconds", (System.nanoTime() - t0) / 1e9);
        values.putAll(extra);
        return new Outcome(true, values);
    }

    /** The seed of one micro-batch's LoRA dropout masks. */
    public static long dropoutSeed(long seed, long step, int micro) {
        return seed ^ (0x9E3779B97F4A7C15L * (1_000_003L * step + micro + 1)); // LoraDropout's SplittableRandom mixes it
    }

    /** step, epoch, the LR of the last update, then the means (tokens/s as total tokens over total time). */
    @Override
    public ObjectNode row(long step, MetricsWindow w) {
        ObjectNode r = Json.object();
        r.put("step", step);
        r.put("epoch", Math.round(step / objective.stepsPerEpoch() * 1e4) / 1e4);
        r.put("lr", schedule.lr(Math.max(0, step - 1)));
        if (w.count("train_loss") > 0) {
            r.put("train_loss", w.mean("train_loss"));
            r.put("grad_norm", w.mean("grad_norm"));
            r.put("tokens_per_s", Math.round(w.sum("tokens") / Math.max(w.sum("seconds"), 1e-9)));
            w.meansInto(r, Set.of("train_loss", "grad_norm", "tokens", "seconds")); // each over the steps that reported it
        }
        return r;
    }

    @Override
    public String progress(ObjectNode row) {
        return row.has("train_loss") ? String.format("loss %.4f", row.get("train_loss").asDouble()) : "";
    }

    @Override
    public Map<String, Double> evaluate() {
        try (NDManager m = model.manager().newSubManager()) {
            return objective.evaluate(m);
        }
    }

    @Override
    public void save(Path dir, ObjectNode state) throws IOException {
        Path student = Files.createDirectories(dir.resolve(STUDENT_DIR));
        Checkpoint.writeTrained(student, model, modelFiles); // with LoRA: the adapter only, the base is frozen
        opt.save(student.resolve(OPTIMIZER_FILE));
    }

    @Override
    public void restore(Path dir, JsonNode state) {
        Path student = dir.resolve(STUDENT_DIR);
        Checkpoint.readTrained(student, model);
        opt.load(student.resolve(OPTIMIZER_FILE));
    }

    /** Reads every named parameter from a safetensors file (F32, as checkpoints are written). */
    public static void readWeights(Path file, Map<String, NDArray> params) {
        Checkpoint.readInto(file, params);
    }

    @Override
    public void saveFinal(Path outDir) throws IOException {
        Checkpoint.writeTrained(outDir, model, modelFiles);
    }

    @Override
    public void finish() {
        model.setTrainable(false);
        if (opt != null) {
            opt.close();
            opt = null;
        }
    }
}
