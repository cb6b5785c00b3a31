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
import org.distill4j.lm.Transformer;
import org.distill4j.train.AdamW;
import org.distill4j.train.AdamWConfig;
import org.distill4j.train.GradientClipping;
import org.distill4j.train.LrSchedule;
import org.distill4j.train.MetricsWindow;
import org.distill4j.train.ObjectiveStep;
import org.distill4j.train.TrainingStep;
import org.distill4j.util.Json;
import org.distill4j.util.Scalars;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.distill4j.util.UserError;

/**
 * One step of GAD (docs/gad.md) or of its baselines, in the paper's order: rollout (N student samples per
 * prompt) → the discriminator scores them (rewards) → discriminator update (Bradley–Terry, teacher response vs.
 * each sample) → generator update (GRPO on the rewards, or cross-entropy on the teacher responses during warmup
 * and for SeqKD). What trains in which step is given by the run's {@link Phase}s; {@link org.distill4j.train.Trainer}
 * runs the steps.
 *
 * <p>The rewards are the scores of the discriminator's update pass, which runs before its weights
 * change, so scoring costs no extra forward pass. The generator makes one gradient step per rollout, so
 * the rollout policy equals the current one and the old log-probs are the current ones without
 * gradient (PPO's ratio is 1 at that step; the clip only bounds the gradient's reach, as in the paper's
 * on-policy setting). The KL reference is the generator as it is when the first GRPO step starts (the
 * post-warmup student).
 *
 * <p>Batch order and rollout seeds are functions of (seed, step); a checkpoint holds both models, both
 * optimizers' moments, the reference and the count of generator updates.
 */
public final class GadStep implements TrainingStep {
    private static final Logger LOG = LoggerFactory.getLogger(GadStep.class);

    /** The discriminator's subdirectory, in checkpoints and in the run directory. */
    public static final String DISCRIMINATOR_DIR = "discriminator";
    private static final String REFERENCE_DIR = "reference";

    private final Transformer generator;
    private final Discriminator discriminator;
    /** The discriminator's side of a step (rewards, its update), over the generator's manager; null without one. */
    private final DiscriminatorPass discriminatorPass;
    private final GadConfig cfg;
    private final List<Example> data;
    private final BatchOrder order;
    private final Map<String, Path> modelFiles;
    private final Set<Integer> eosIds;
    private final LrSchedule generatorLr;
    private final LrSchedule discriminatorLr;
    private Supplier<Map<String, Double>> evaluation = Map::of;
    private AdamW gOpt;
    private AdamW dOpt;
    private Transformer reference;
    private NDManager referenceManager;
    private long gSteps;
    private long lastEvalGSteps = -1;

    /**
     * @param data          each example is a prompt with one teacher response (ending with EOS); several responses
     *                      per prompt are several examples
     * @param discriminator null when no phase needs one (SeqKD)
     * @param modelFiles    files copied next to the weights of every saved model (tokenizer.json …)
     */
    public GadStep(Transformer generator, Discriminator discriminator, GadConfig cfg, List<Example> data,
                   Map<String, Path> modelFiles, Set<Integer> eosIds) {
        if (discriminator == null && cfg.anyDiscriminator()) {
            throw new IllegalArgumentException("this run's phases need a discriminator");
        }
        if (data.isEmpty()) {
            throw new UserError("no (prompt, teacher response) pairs to train on");
        }
        this.generator = generator;
        this.discriminator = discriminator;
        this.discriminatorPass = discriminator == null ? null : new DiscriminatorPass(discriminator, generator.manager(), cfg);
        this.cfg = cfg;
        this.data = List.copyOf(data);
        this.order = new BatchOrder(data.size(), cfg.promptsPerStep(), 1, cfg.seed());
        this.modelFiles = modelFiles;
        this.eosIds = Set.copyOf(eosIds);
        this.generatorLr = LrSchedule.linearWarmup(cfg.generatorLr(), cfg.lrWarmupSteps());
        this.discriminatorLr = LrSchedule.linearWarmup(cfg.discriminatorLr(), cfg.lrWarmupSteps());
    }

    /** Metrics of the current generator computed at every evaluation (no gradient). */
    public GadStep evaluation(Supplier<Map<String, Double>> e) {
        this.evaluation = e;
        return this;
    }

    @Override
    public void start() {
        AdamWConfig adam = AdamWConfig.DEFAULT.withWeightDecay(cfg.weightDecay());
        gOpt = new AdamW(generator.trainableParameters(), adam);
        dOpt = discriminator == null ? null : new AdamW(discriminator.parameters(), adam);
    }

    /** step, generator updates so far, the phase of the last step, the learning rates of the next one, then the means. */
    @Override
    public ObjectNode row(long step, MetricsWindow window) {
        ObjectNode r = Json.object();
        r.put("step", step);
        r.put("g_step", gSteps);
        r.put("phase", cfg.phaseAt(Math.max(0, step - 1)).name());
        r.put("lr_g", generatorLr.lr(step));
        r.put("lr_d", discriminatorLr.lr(step));
        window.meansInto(r, Set.of());
        return r;
    }

    @Override
    public boolean rowAtStart() {
        return true;
    }

    @Override
    public String progress(ObjectNode row) {
        StringBuilder b = new StringBuilder(row.path("phase").asText());
        for (String k : new String[] {"d_acc", "reward_mean", "ce_loss", "sample_len"}) {
            if (row.has(k)) {
                b.append(String.format(" %s %.3f", k, row.get(k).asDouble()));
            }
        }
        return b.toString();
    }

    /** The generator's metrics, unless it has not changed since the last evaluation (e.g. while D trains alone). */
    @Override
    public Map<String, Double> evaluate() {
        if (gSteps == lastEvalGSteps) {
            return Map.of();
        }
        lastEvalGSteps = gSteps;
        return evaluation.get();
    }

    @Override
    public Outcome step(long step) {
        long t0 = System.nanoTime();
        Phase phase = cfg.phaseAt(step);
        Map<String, Double> v = new LinkedHashMap<>();
        List<Example> batch = new ArrayList<>();
        for (int i : order.indices(step, 0)) {
            batch.add(data.get(i));
        }
        boolean finite = true;
        long[][][] samples = phase.needsRollout() ? rollout(batch, step, v) : null;
        float[][] rewards = null;
        if (phase.trainDiscriminator()) {
            discriminator.setTrainable(true);
            long[][][] drawn = samples;
            rewards = discriminator.backbone().trainingPass(ObjectiveStep.dropoutSeed(cfg.seed() ^ 0xD15CL, step, 0),
                    () -> discriminatorPass.train(batch, drawn, v));
            float norm = GradientClipping.clipByGlobalNorm(discriminator.parameters(), cfg.discriminatorClip());
            v.put("d_grad_norm", (double) norm);
            if (Float.isFinite(norm) && Double.isFinite(v.get("d_loss"))) {
                dOpt.step(discriminatorLr.lr(step));
            } else {
                finite = false;
                LOG.warn(String.format("step %d: non-finite discriminator loss or gradient; discriminator update skipped", step + 1));
            }
            dOpt.zeroGradients();
            discriminator.setTrainable(false);
        } else if (phase.generator() == Phase.GeneratorUpdate.POLICY_GRADIENT) {
            rewards = discriminatorPass.score(batch, samples, v);
        }
        if (phase.generator() != Phase.GeneratorUpdate.NONE) {
            generator.setTrainable(true);
            long[][][] drawn = samples;
            float[][] scored = rewards;
            double loss = generator.trainingPass(ObjectiveStep.dropoutSeed(cfg.seed(), step, 0), // LoRA dropout's masks
                    () -> phase.generator() == Phase.GeneratorUpdate.CROSS_ENTROPY
                            ? crossEntropyUpdate(batch, v)
                            : policyUpdate(batch, drawn, scored, v));
            float norm = GradientClipping.clipByGlobalNorm(generator.trainableParameters(), cfg.generatorClip());
            v.put("g_grad_norm", (double) norm);
            if (Float.isFinite(norm) && Double.isFinite(loss)) {
                gOpt.step(generatorLr.lr(step));
                gSteps++;
            } else {
                finite = false;
                LOG.warn(String.format("step %d: non-finite generator loss or gradient; generator update skipped", step + 1));
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
        return new Outcome(finite, v);
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

    /** SeqKD / warmup: token-mean cross-entropy on the teacher responses of the step, logits divided by the temperature. */
    private double crossEntropyUpdate(List<Example> batch, Map<String, Double> v) {
        long tokens = 0;
        for (Example e : batch) {
            tokens += e.response().length;
        }
        double loss = 0;
        for (int[] c : cfg.microBatches(batch.size())) {
            List<long[]> prompts = new ArrayList<>();
            List<long[]> responses = new ArrayList<>();
            for (int i = c[0]; i < c[1]; i++) {
                prompts.add(batch.get(i).prompt());
                responses.add(batch.get(i).response());
            }
            try (NDManager m = generator.manager().newSubManager();
                 GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                // at the rollout temperature: the policy GRPO samples and trains is the one fitted here
                NDArray l = Scalars.div(LanguageModel.responseLogits(generator, m, prompts, responses).targetLogProbs(cfg.temperature())
                        .sum().neg(), tokens);
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
        for (int[] c : cfg.microBatches(batch.size())) {
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

    /** A frozen copy of the generator's current weights (GRPO's KL reference; with LoRA the base shared, the adapters copied). */
    private Transformer snapshotGenerator() {
        referenceManager = NDManager.newBaseManager();
        return generator.frozenCopy(referenceManager);
    }

    @Override
    public void save(Path dir, ObjectNode state) throws IOException {
        Path g = Files.createDirectories(dir.resolve(ObjectiveStep.STUDENT_DIR));
        Checkpoint.writeTrained(g, generator, modelFiles);
        gOpt.save(g.resolve(ObjectiveStep.OPTIMIZER_FILE));
        if (discriminator != null) {
            Path d = Files.createDirectories(dir.resolve(DISCRIMINATOR_DIR));
            discriminator.writeFiles(d, modelFiles);
            dOpt.save(d.resolve(ObjectiveStep.OPTIMIZER_FILE));
        }
        if (reference != null) {
            Checkpoint.writeTrained(Files.createDirectories(dir.resolve(REFERENCE_DIR)), reference, Map.of());
        }
        state.put("g_step", gSteps);
        state.put("last_eval_g_step", lastEvalGSteps);
    }

    @Override
    public void restore(Path dir, JsonNode state) {
        Path g = dir.resolve(ObjectiveStep.STUDENT_DIR);
        Checkpoint.readTrained(g, generator);
        gOpt.load(g.resolve(ObjectiveStep.OPTIMIZER_FILE));
        if (discriminator != null) {
            Path d = dir.resolve(DISCRIMINATOR_DIR);
            discriminator.restore(d);
            dOpt.load(d.resolve(ObjectiveStep.OPTIMIZER_FILE));
        }
        if (Files.isDirectory(dir.resolve(REFERENCE_DIR))) {
            referenceManager = NDManager.newBaseManager();
            reference = generator.frozenCopy(referenceManager);
            Checkpoint.readTrained(dir.resolve(REFERENCE_DIR), reference);
        }
        gSteps = state.path("g_step").asLong();
        lastEvalGSteps = state.path("last_eval_g_step").asLong(-1);
    }

    /** The trained student as a checkpoint in the run directory itself, the discriminator beside it. */
    @Override
    public void saveFinal(Path outDir) throws IOException {
        Checkpoint.writeTrained(outDir, generator, modelFiles);
        if (discriminator != null) {
            discriminator.writeFiles(Files.createDirectories(outDir.resolve(DISCRIMINATOR_DIR)), modelFiles);
        }
    }

    @Override
    public void finish() {
        generator.setTrainable(false);
        if (discriminator != null) {
            discriminator.setTrainable(false);
        }
        if (gOpt != null) {
            gOpt.close();
        }
        if (dOpt != null) {
            dOpt.close();
        }
        if (referenceManager != null) {
            referenceManager.close();
        }
        gOpt = null;
        dOpt = null;
        referenceManager = null;
        reference = null;
    }
}
