package org.distill4j.gad;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.function.Supplier;
import org.distill4j.data.BatchOrder;
import org.distill4j.data.Example;
import org.distill4j.generate.Sample;
import org.distill4j.generate.Sampler;
import org.distill4j.generate.SamplingParams;
import org.distill4j.lm.Checkpoint;
import org.distill4j.lm.LanguageModel;
import org.distill4j.lm.Safetensors;
import org.distill4j.lm.Transformer;
import org.distill4j.train.AdamW;
import org.distill4j.train.AdamWConfig;
import org.distill4j.train.GradientClipping;
import org.distill4j.train.MetricsLog;
import org.distill4j.util.Json;
import org.distill4j.util.Progress;
import org.distill4j.util.Rss;
import org.distill4j.util.UserError;
import org.distill4j.util.Scalars;

/**
 * The GAD loop (docs/gad.md) and its baselines, one step at a time in the paper's order:
 * rollout (N student samples per prompt) → the discriminator scores them (rewards) → discriminator
 * update (Bradley–Terry, teacher response vs. each sample) → generator update (GRPO on the rewards, or
 * cross-entropy on the teacher responses during warmup and for SeqKD). What trains in which step is
 * given by the run's {@link Phase}s.
 *
 * <p>The rewards are the scores of the discriminator's update pass, which runs before its weights
 * change, so scoring costs no extra forward pass. The generator makes one gradient step per rollout, so
 * the rollout policy equals the current one and the old log-probs are the current ones without
 * gradient (PPO's ratio is 1 at that step; the clip only bounds the gradient's reach, as in the paper's
 * on-policy setting). The KL reference is the generator as it is when the first GRPO step starts (the
 * post-warmup student).
 *
 * <p>Resume is exact: batch order and rollout seeds are functions of (seed, step), and the checkpoint
 * holds both models, both optimizers' moments and the reference.
 */
public final class GadTrainer {
    public static final String METRICS_FILE = "metrics.jsonl";
    public static final String CHECKPOINT_DIR = "checkpoint";
    public static final String DISCRIMINATOR_DIR = "discriminator";
    private static final String GENERATOR_DIR = "generator";
    private static final String REFERENCE_DIR = "reference";
    private static final String STATE_FILE = "trainer_state.json";

    private final Transformer generator;
    private final Discriminator discriminator;
    private final GadConfig cfg;
    private final Path outDir;
    private final Map<String, Path> modelFiles;
    private final Set<Integer> eosIds;
    private Supplier<Map<String, Double>> evaluation = Map::of;
    private Transformer reference;
    private NDManager referenceManager;
    private long crashAfterSave = -1;

    /**
     * @param discriminator null when no phase needs one (SeqKD)
     * @param modelFiles    files copied next to the weights of every saved model (tokenizer.json …)
     */
    public GadTrainer(Transformer generator, Discriminator discriminator, GadConfig cfg, Path outDir,
                      Map<String, Path> modelFiles, Set<Integer> eosIds) {
        if (discriminator == null && cfg.anyDiscriminator()) {
            throw new IllegalArgumentException("this run's phases need a discriminator");
        }
        this.generator = generator;
        this.discriminator = discriminator;
        this.cfg = cfg;
        this.outDir = outDir;
        this.modelFiles = modelFiles;
        this.eosIds = Set.copyOf(eosIds);
    }

    /**
     * Test hook: the run dies (an unchecked exception, nothing else saved) right after the checkpoint of
     * {@code step} is written, as a killed process would.
     */
    GadTrainer crashAfterSave(long step) {
        this.crashAfterSave = step;
        return this;
    }

    /** Metrics of the current generator computed at every evaluation (no gradient). */
    public GadTrainer evaluation(Supplier<Map<String, Double>> e) {
        this.evaluation = e;
        return this;
    }

    public record Result(long steps, ObjectNode lastRow) {}

    /**
     * Trains on {@code data}: each example is a prompt with one teacher response (ending with EOS).
     * Several responses per prompt are several examples.
     */
    public Result run(List<Example> data, boolean resume) {
        if (data.isEmpty()) {
            throw new UserError("no (prompt, teacher response) pairs to train on");
        }
        Path ckpt = Checkpoint.recover(outDir.resolve(CHECKPOINT_DIR));
        boolean haveCheckpoint = Files.isDirectory(ckpt);
        if (haveCheckpoint && !resume) {
            throw new UserError(outDir + " already holds a training checkpoint: pass --resume to continue it, or choose another --out");
        }
        Map<String, NDArray> gParams = generator.parameters();
        Map<String, NDArray> dParams = discriminator == null ? Map.of() : discriminator.parameters();
        BatchOrder order = new BatchOrder(data.size(), cfg.promptsPerStep(), 1, cfg.seed());
        AdamWConfig adam = AdamWConfig.DEFAULT.withWeightDecay(0);
        try (AdamW gOpt = new AdamW(gParams, adam);
             AdamW dOpt = discriminator == null ? null : new AdamW(dParams, adam)) {
            long start = 0;
            long gSteps = 0;
            if (resume && haveCheckpoint) {
                long[] restored = restore(ckpt, gOpt, dOpt);
                start = restored[0];
                gSteps = restored[1];
                System.err.println("resuming " + outDir + " at step " + start);
            }
            long total = cfg.totalSteps();
            ObjectNode last = null;
            try (MetricsLog log = new MetricsLog(outDir.resolve(METRICS_FILE), resume ? start : -1);
                 Progress bar = Progress.start("gad", total, "steps")) {
                bar.stepTo(start);
                long lastEvalGSteps = -1;
                if (start == 0) {
                    ObjectNode row = baseRow(0, 0, cfg.phaseAt(0));
                    evaluation.get().forEach(row::put);
                    log.write(row);
                    lastEvalGSteps = 0;
                }
                Window window = new Window();
                int bad = 0;
                for (long step = start; step < total; step++) {
                    Phase phase = cfg.phaseAt(step);
                    StepStats s = oneStep(data, order, step, phase, gOpt, dOpt);
                    if (s.generatorUpdated) {
                        gSteps++;
                    }
                    bad = s.finite ? 0 : bad + 1;
                    window.add(s.values);
                    long done = step + 1;
                    if (bad >= cfg.maxBadSteps()) {
                        save(ckpt, gOpt, dOpt, done, gSteps);
                        throw new UserError("training diverged: " + bad + " consecutive steps with a non-finite loss or gradient at step "
                                + done + "; state saved in " + ckpt + " (lower the learning rates)");
                    }
                    boolean end = done == total;
                    boolean eval = end || (cfg.evalEvery() > 0 && done % cfg.evalEvery() == 0);
                    if (eval || done % Math.max(1, cfg.logEvery()) == 0) {
                        ObjectNode row = baseRow(done, gSteps, phase);
                        window.into(row);
                        if (eval && gSteps != lastEvalGSteps) {
                            evaluation.get().forEach(row::put);
                            lastEvalGSteps = gSteps;
                        }
                        row.put("rss_mb", Math.round(Rss.megabytes()));
                        log.write(row);
                        last = row;
                        bar.extra(progressLine(row));
                        window = new Window();
                    }
                    if (end || (cfg.saveEvery() > 0 && done % cfg.saveEvery() == 0)) {
                        save(ckpt, gOpt, dOpt, done, gSteps);
                        if (done == crashAfterSave) {
                            throw new IllegalStateException("simulated crash after the checkpoint of step " + done);
                        }
                    }
                    bar.stepTo(done);
                }
            }
            saveFinal();
            return new Result(total, last);
        } finally {
            generator.setTrainable(false);
            if (discriminator != null) {
                discriminator.setTrainable(false);
            }
            if (referenceManager != null) {
                referenceManager.close();
            }
        }
    }

    private ObjectNode baseRow(long step, long gSteps, Phase phase) {
        ObjectNode r = Json.object();
        r.put("step", step);
        r.put("g_step", gSteps);
        r.put("phase", phase.name());
        r.put("lr_g", lr(cfg.generatorLr(), step));
        r.put("lr_d", lr(cfg.discriminatorLr(), step));
        return r;
    }

    private static String progressLine(ObjectNode row) {
        StringBuilder b = new StringBuilder(row.path("phase").asText());
        for (String k : new String[] {"d_acc", "reward_mean", "ce_loss", "sample_len"}) {
            if (row.has(k)) {
                b.append(String.format(" %s %.3f", k, row.get(k).asDouble()));
            }
        }
        return b.toString();
    }

    private double lr(double peak, long step) {
        return cfg.lrWarmupSteps() > 0 && step < cfg.lrWarmupSteps() ? peak * (step + 1) / cfg.lrWarmupSteps() : peak;
    }

    private record StepStats(boolean finite, boolean generatorUpdated, Map<String, Double> values) {}

    private StepStats oneStep(List<Example> data, BatchOrder order, long step, Phase phase, AdamW gOpt, AdamW dOpt) {
        long t0 = System.nanoTime();
        Map<String, Double> v = new LinkedHashMap<>();
        List<Example> batch = new ArrayList<>();
        for (int i : order.indices(step, 0)) {
            batch.add(data.get(i));
        }
        boolean finite = true;
        boolean gUpdated = false;
        long[][][] samples = phase.needsRollout() ? rollout(batch, step, v) : null;
        float[][] rewards = null;
        if (phase.trainDiscriminator()) {
            discriminator.setTrainable(true);
            rewards = discriminatorUpdate(batch, samples, v);
            float norm = GradientClipping.clipByGlobalNorm(discriminator.parameters(), cfg.discriminatorClip());
            v.put("d_grad_norm", (double) norm);
            if (Float.isFinite(norm) && Double.isFinite(v.get("d_loss"))) {
                dOpt.step(lr(cfg.discriminatorLr(), step));
            } else {
                finite = false;
                System.err.printf("warning: step %d: non-finite discriminator loss or gradient; discriminator update skipped%n", step + 1);
            }
            dOpt.zeroGradients();
            discriminator.setTrainable(false);
        } else if (phase.generator() == Phase.GeneratorUpdate.POLICY_GRADIENT) {
            rewards = scoreOnly(batch, samples, v);
        }
        if (phase.generator() != Phase.GeneratorUpdate.NONE) {
            generator.setTrainable(true);
            double loss = phase.generator() == Phase.GeneratorUpdate.CROSS_ENTROPY
                    ? crossEntropyUpdate(batch, v)
                    : policyUpdate(batch, samples, rewards, v);
            float norm = GradientClipping.clipByGlobalNorm(generator.parameters(), cfg.generatorClip());
            v.put("g_grad_norm", (double) norm);
            if (Float.isFinite(norm) && Double.isFinite(loss)) {
                gOpt.step(lr(cfg.generatorLr(), step));
                gUpdated = true;
            } else {
                finite = false;
                System.err.printf("warning: step %d: non-finite generator loss or gradient; generator update skipped%n", step + 1);
            }
            gOpt.zeroGradients();
            generator.setTrainable(false);
        }
        double teacherLen = 0;
        for (Example e : batch) {
            teacherLen += e.response().length;
        }
        v.put("teacher_len", teacherLen / batch.size());
        v.put("step_seconds", (System.nanoTime() - t0) / 1e9);
        return new StepStats(finite, gUpdated, v);
    }

    /** N samples per prompt from the current generator: [prompt][sample][tokens]. */
    private long[][][] rollout(List<Example> batch, long step, Map<String, Double> v) {
        List<long[]> prompts = new ArrayList<>(batch.size());
        for (Example e : batch) {
            prompts.add(e.prompt());
        }
        long seed = new SplittableRandom(cfg.seed() ^ 0x6AD5EEDL ^ (step * 0x9E3779B97F4A7C15L)).nextLong();
        SamplingParams p = new SamplingParams(cfg.temperature(), 0, 1.0, cfg.maxNewTokens(), cfg.samples(), seed, eosIds, List.of());
        List<Sample> drawn = new Sampler(generator, null, Math.max(1, Math.min(256, batch.size() * cfg.samples()))).generate(prompts, p);
        long[][][] out = new long[batch.size()][cfg.samples()][];
        double len = 0;
        double repetition = 0;
        int truncated = 0;
        for (Sample s : drawn) {
            long[] y = s.tokens().length == 0 ? new long[] {eosIds.iterator().next()} : s.tokens();
            out[s.promptIndex()][s.sampleIndex()] = y;
            len += y.length;
            repetition += ResponseStats.repetition(y, eosIds);
            truncated += s.finish() == Sample.Finish.LENGTH ? 1 : 0;
        }
        v.put("sample_len", len / drawn.size());
        v.put("sample_repetition", repetition / drawn.size());
        v.put("truncation_rate", truncated / (double) drawn.size());
        return out;
    }

    /** Micro-batches of prompt indices [from, to). */
    private List<int[]> chunks(int n) {
        List<int[]> out = new ArrayList<>();
        for (int s = 0; s < n; s += cfg.microPrompts()) {
            out.add(new int[] {s, Math.min(n, s + cfg.microPrompts())});
        }
        return out;
    }

    /**
     * Scores the teacher response and the N samples of every prompt in one forward pass per
     * micro-batch, backpropagates the Bradley–Terry loss, and returns the samples' scores (the rewards,
     * from the weights before this update).
     */
    private float[][] discriminatorUpdate(List<Example> batch, long[][][] samples, Map<String, Double> v) {
        int n = cfg.samples();
        float[][] rewards = new float[batch.size()][];
        double loss = 0;
        double acc = 0;
        double teacherScore = 0;
        for (int[] c : chunks(batch.size())) {
            int size = c[1] - c[0];
            try (NDManager m = generator.manager().newSubManager();
                 GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                NDArray scores = scoreRows(m, batch, samples, c);
                NDArray teacher = scores.get("0:" + size);
                NDArray student = scores.get(size + ":").reshape(size, n);
                NDArray l = BradleyTerry.loss(teacher, student);
                gc.backward(Scalars.mul(l, (double) size / batch.size()));
                loss += l.getFloat() * size;
                acc += BradleyTerry.accuracy(teacher, student) * size;
                float[] t = teacher.toFloatArray();
                float[] s = student.toFloatArray();
                for (int i = 0; i < size; i++) {
                    rewards[c[0] + i] = java.util.Arrays.copyOfRange(s, i * n, (i + 1) * n);
                    teacherScore += t[i];
                }
            }
        }
        v.put("d_loss", loss / batch.size());
        v.put("d_acc", acc / batch.size());
        v.put("teacher_score", teacherScore / batch.size());
        putRewardStats(rewards, v);
        return rewards;
    }

    /** Rewards from a frozen discriminator (no gradient). */
    private float[][] scoreOnly(List<Example> batch, long[][][] samples, Map<String, Double> v) {
        int n = cfg.samples();
        float[][] rewards = new float[batch.size()][];
        double acc = 0;
        for (int[] c : chunks(batch.size())) {
            int size = c[1] - c[0];
            try (NDManager m = generator.manager().newSubManager()) {
                NDArray scores = scoreRows(m, batch, samples, c);
                NDArray teacher = scores.get("0:" + size);
                NDArray student = scores.get(size + ":").reshape(size, n);
                acc += BradleyTerry.accuracy(teacher, student) * size;
                float[] s = student.toFloatArray();
                for (int i = 0; i < size; i++) {
                    rewards[c[0] + i] = java.util.Arrays.copyOfRange(s, i * n, (i + 1) * n);
                }
            }
        }
        v.put("d_acc", acc / batch.size());
        putRewardStats(rewards, v);
        return rewards;
    }

    /** Discriminator scores of the chunk's teacher responses, then of its samples (prompt-major). */
    private NDArray scoreRows(NDManager m, List<Example> batch, long[][][] samples, int[] c) {
        List<long[]> prompts = new ArrayList<>();
        List<long[]> responses = new ArrayList<>();
        for (int i = c[0]; i < c[1]; i++) {
            prompts.add(batch.get(i).prompt());
            responses.add(batch.get(i).response());
        }
        for (int i = c[0]; i < c[1]; i++) {
            for (long[] y : samples[i]) {
                prompts.add(batch.get(i).prompt());
                responses.add(y);
            }
        }
        return discriminator.scores(m, prompts, responses);
    }

    private static void putRewardStats(float[][] rewards, Map<String, Double> v) {
        double sum = 0;
        double groupStd = 0;
        int count = 0;
        for (float[] g : rewards) {
            double mean = 0;
            for (float r : g) {
                mean += r;
            }
            mean /= g.length;
            double ss = 0;
            for (float r : g) {
                ss += (r - mean) * (r - mean);
                sum += r;
                count++;
            }
            groupStd += g.length > 1 ? Math.sqrt(ss / (g.length - 1)) : 0;
        }
        v.put("reward_mean", sum / count);
        v.put("reward_group_std", groupStd / rewards.length);
    }

    /** SeqKD / warmup: token-mean cross-entropy on the teacher responses of the step. */
    private double crossEntropyUpdate(List<Example> batch, Map<String, Double> v) {
        long tokens = 0;
        for (Example e : batch) {
            tokens += e.response().length;
        }
        double loss = 0;
        for (int[] c : chunks(batch.size())) {
            List<long[]> prompts = new ArrayList<>();
            List<long[]> responses = new ArrayList<>();
            for (int i = c[0]; i < c[1]; i++) {
                prompts.add(batch.get(i).prompt());
                responses.add(batch.get(i).response());
            }
            try (NDManager m = generator.manager().newSubManager();
                 GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                NDArray l = Scalars.div(LanguageModel.responseLogProbs(generator, m, prompts, responses).sum().neg(), tokens);
                gc.backward(l);
                loss += l.getFloat();
            }
        }
        v.put("ce_loss", loss);
        return loss;
    }

    /** GRPO: group-normalised advantages on every token, PPO-clipped, token-mean, k3 KL to the reference. */
    private double policyUpdate(List<Example> batch, long[][][] samples, float[][] rewards, Map<String, Double> v) {
        if (reference == null && cfg.policy().klCoef() > 0) {
            reference = snapshotGenerator();
        }
        float[][] adv = GroupAdvantage.of(rewards);
        long tokens = 0;
        for (long[][] g : samples) {
            for (long[] y : g) {
                tokens += y.length;
            }
        }
        double loss = 0;
        double pg = 0;
        double kl = 0;
        double clipped = 0;
        int n = cfg.samples();
        for (int[] c : chunks(batch.size())) {
            List<long[]> prompts = new ArrayList<>();
            List<long[]> responses = new ArrayList<>();
            float[] a = new float[(c[1] - c[0]) * n];
            long chunkTokens = 0;
            for (int i = c[0]; i < c[1]; i++) {
                for (int j = 0; j < n; j++) {
                    prompts.add(batch.get(i).prompt());
                    responses.add(samples[i][j]);
                    a[(i - c[0]) * n + j] = adv[i][j];
                    chunkTokens += samples[i][j].length;
                }
            }
            double weight = (double) chunkTokens / tokens;
            try (NDManager m = generator.manager().newSubManager()) {
                NDArray refLogProbs = null;
                if (reference != null) {
                    refLogProbs = LanguageModel.responseLogits(reference, m, prompts, responses).targetLogProbs(cfg.temperature());
                }
                try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                    LanguageModel.ResponseLogits rl = LanguageModel.responseLogits(generator, m, prompts, responses);
                    NDArray logProbs = rl.targetLogProbs(cfg.temperature());
                    PolicyLoss.Terms t = cfg.policy().terms(logProbs, logProbs.stopGradient(), refLogProbs,
                            m.create(a, new Shape(a.length)), rl.mask());
                    gc.backward(Scalars.mul(t.loss(), weight));
                    loss += t.loss().getFloat() * weight;
                    pg += t.policyLoss() * weight;
                    kl += reference == null ? 0 : t.kl() * weight;
                    clipped += t.clipFraction() * weight;
                }
            }
        }
        v.put("pg_loss", pg);
        if (reference != null) {
            v.put("kl_ref", kl);
        }
        v.put("clip_frac", clipped);
        return loss;
    }

    /** A frozen copy of the generator's current weights (GRPO's KL reference). */
    private Transformer snapshotGenerator() {
        referenceManager = NDManager.newBaseManager();
        Map<String, NDArray> copy = new LinkedHashMap<>();
        generator.parameters().forEach((k, a) -> {
            NDArray c = referenceManager.create(a.toFloatArray(), a.getShape());
            copy.put(k, c);
        });
        return Transformer.of(generator.config(), referenceManager, copy);
    }

    /** Means over the steps since the last metrics row. */
    private static final class Window {
        final Map<String, double[]> sums = new LinkedHashMap<>();

        void add(Map<String, Double> values) {
            values.forEach((k, x) -> {
                double[] s = sums.computeIfAbsent(k, key -> new double[2]);
                s[0] += x;
                s[1]++;
            });
        }

        void into(ObjectNode row) {
            sums.forEach((k, s) -> row.put(k, s[0] / s[1]));
        }
    }

    private void save(Path ckpt, AdamW gOpt, AdamW dOpt, long step, long gSteps) {
        Checkpoint.saveWith(ckpt, tmp -> {
            Path g = Files.createDirectories(tmp.resolve(GENERATOR_DIR));
            Checkpoint.writeFiles(g, generator, Safetensors.DType.F32, modelFiles);
            gOpt.save(tmp.resolve("generator_optimizer.safetensors"));
            if (discriminator != null) {
                discriminator.writeFiles(Files.createDirectories(tmp.resolve(DISCRIMINATOR_DIR)), modelFiles);
                dOpt.save(tmp.resolve("discriminator_optimizer.safetensors"));
            }
            if (reference != null) {
                Checkpoint.writeFiles(Files.createDirectories(tmp.resolve(REFERENCE_DIR)), reference, Safetensors.DType.F32, Map.of());
            }
            ObjectNode state = Json.object();
            state.put("step", step);
            state.put("g_step", gSteps);
            state.put("seed", cfg.seed());
            state.put("total_steps", cfg.totalSteps());
            Json.write(tmp.resolve(STATE_FILE), state);
        });
    }

    /** @return {step, generator steps} */
    private long[] restore(Path ckpt, AdamW gOpt, AdamW dOpt) {
        JsonNode state = Json.read(ckpt.resolve(STATE_FILE));
        if (state.path("total_steps").asLong() != cfg.totalSteps() || state.path("seed").asLong() != cfg.seed()) {
            throw new UserError(ckpt + ": was written by a run with steps=" + state.path("total_steps").asLong() + " seed="
                    + state.path("seed").asLong() + "; this run has steps=" + cfg.totalSteps() + " seed=" + cfg.seed()
                    + " (resume with the same settings)");
        }
        readInto(ckpt.resolve(GENERATOR_DIR).resolve(Checkpoint.WEIGHTS), generator.parameters());
        gOpt.load(ckpt.resolve("generator_optimizer.safetensors"));
        if (discriminator != null) {
            Map<String, NDArray> d = new LinkedHashMap<>(discriminator.parameters());
            NDArray head = d.remove(Discriminator.HEAD);
            readInto(ckpt.resolve(DISCRIMINATOR_DIR).resolve(Checkpoint.WEIGHTS), d);
            readInto(ckpt.resolve(DISCRIMINATOR_DIR).resolve(Discriminator.HEAD_FILE), Map.of(Discriminator.HEAD, head));
            dOpt.load(ckpt.resolve("discriminator_optimizer.safetensors"));
        }
        if (Files.isDirectory(ckpt.resolve(REFERENCE_DIR))) {
            referenceManager = NDManager.newBaseManager();
            reference = Checkpoint.loadTransformer(ckpt.resolve(REFERENCE_DIR), referenceManager);
        }
        return new long[] {state.path("step").asLong(), state.path("g_step").asLong()};
    }

    private static void readInto(Path file, Map<String, NDArray> params) {
        try (Safetensors.Reader r = Safetensors.open(file)) {
            for (Map.Entry<String, NDArray> e : params.entrySet()) {
                e.getValue().set(r.readFloats(e.getKey()));
            }
        }
    }

    /** The trained student as a checkpoint in the output directory itself, the discriminator beside it. */
    private void saveFinal() {
        try {
            Files.createDirectories(outDir);
            Checkpoint.writeFiles(outDir, generator, Safetensors.DType.F32, modelFiles);
            if (discriminator != null) {
                discriminator.writeFiles(Files.createDirectories(outDir.resolve(DISCRIMINATOR_DIR)), modelFiles);
            }
        } catch (IOException e) {
            throw new UserError(outDir + ": cannot save the models: " + e.getMessage(), e);
        }
    }
}
