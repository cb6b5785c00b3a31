package org.distill4j.experiment;

import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.distill4j.data.BatchOrder;
import org.distill4j.data.DataSource;
import org.distill4j.data.Example;
import org.distill4j.data.SourceKind;
import org.distill4j.eval.HackingDetector;
import org.distill4j.eval.LiveDetector;
import org.distill4j.eval.ProxyGoldenEvaluator;
import org.distill4j.generate.Sample;
import org.distill4j.generate.Sampler;
import org.distill4j.generate.SamplingParams;
import org.distill4j.lm.Checkpoint;
import org.distill4j.lm.Tokenizer;
import org.distill4j.lm.Transformer;
import org.distill4j.loss.DistillationLoss;
import org.distill4j.loss.Divergence;
import org.distill4j.train.KdObjective;
import org.distill4j.train.ObjectiveStep;
import org.distill4j.train.TrainConfig;
import org.distill4j.train.Trainer;
import org.distill4j.util.Json;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Stage 2: for every seed, the teacher's offline draws (once per seed), then one distillation run per variant
 * (seed-N/VARIANT/: the trainer's metrics.jsonl with proxy and golden metrics, and variant.json).
 */
final class DistillStage {
    private static final Logger LOG = LoggerFactory.getLogger(DistillStage.class);

    /** variant.json: what a distillation run was and what it cost. */
    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    record VariantRun(String variant, String source, int prompts, int generations, long seed, int validationSamples,
                      double seconds, double evaluationSeconds, long evaluations, double cpuSeconds) {}

    /** Prefix of the metrics on training prompts in metrics.jsonl (train_proxy_fkl, train_golden_fkl, …). */
    static final String TRAIN_PREFIX = "train_";

    private final LabRun run;
    private final EvaluationStage evaluation;

    DistillStage(LabRun run) {
        this.run = run;
        this.evaluation = new EvaluationStage(run);
    }

    private Path drawsFile(long seed) {
        return run.data("teacher-draws-seed-" + seed + ".jsonl");
    }

    /** The oracle's and the teacher's fixed samples on the seed's first distillation prompts: the metrics on training prompts. */
    private Path trainSamplesFile(long seed) {
        return run.data("train-samples-seed-" + seed + ".jsonl");
    }

    /** How many of the seed's distillation prompts the training-prompt metrics use: as many as held-out ones, at most P. */
    private int trainPrompts() {
        return Math.min(run.cfg.valPrompts(), run.cfg.distillPrompts());
    }

    private int maxGenerations() {
        return LabVariant.maxGenerations(LabVariant.all(run.cfg));
    }

    /**
     * One teacher draw of G_max generations for each of the seed's prompts, saved once: every offline
     * dataset of the seed is a prefix of it (nested budgets, and the same data whichever worker runs).
     * A file from a run with fewer prompts or generations is drawn again.
     */
    void drawTeacherData(long seed) {
        LabConfig cfg = run.cfg;
        int gMax = maxGenerations();
        Path file = drawsFile(seed);
        if (!Files.exists(trainSamplesFile(seed))) {
            try (NDManager m = NDManager.newBaseManager();
                 Transformer oracle = Checkpoint.loadTransformer(run.modelDir(LabRun.ORACLE), m);
                 Transformer teacher = Checkpoint.loadTransformer(run.modelDir(LabRun.TEACHER), m);
                 Tokenizer tok = Tokenizer.load(run.tokenizerFile())) {
                List<long[]> prompts = run.distillPrompts(tok, seed);
                LabFiles.writeValidation(trainSamplesFile(seed), ProxyGoldenEvaluator.Samples.draw(oracle, teacher,
                        prompts.subList(0, Math.min(trainPrompts(), prompts.size())), run.params(1, LabSeeds.trainSamples(seed)), 1));
            }
        }
        if (Files.exists(file) && LabFiles.readDraws(file, cfg.distillPrompts(), gMax, cfg.generationTemperature()) != null) {
            return;
        }
        LOG.info("stage 2: the teacher samples the offline data of seed " + seed);
        long t0 = System.nanoTime();
        try (NDManager m = NDManager.newBaseManager();
             Transformer teacher = Checkpoint.loadTransformer(run.modelDir(LabRun.TEACHER), m);
             Tokenizer tok = Tokenizer.load(run.tokenizerFile())) {
            List<long[]> prompts = run.distillPrompts(tok, seed);
            List<Sample> draws = new Sampler(teacher, tok, 256).generate(prompts, run.teacherParams(gMax, LabSeeds.teacherDraws(seed)));
            LabFiles.writeDraws(file, draws, cfg.generationTemperature());
        }
        LOG.info(String.format("timing: teacher draws of seed %d took %.1f s", seed, (System.nanoTime() - t0) / 1e9));
    }

    /** The offline dataset of a variant: the first {@code v.prompts()} prompts × {@code v.generations()} of the seed's draw. */
    private DataSource.Offline offlineData(LabVariant v, long seed, List<long[]> prompts) {
        LabConfig cfg = run.cfg;
        long[][][] draws = LabFiles.readDraws(drawsFile(seed), cfg.distillPrompts(), maxGenerations(), cfg.generationTemperature());
        if (draws == null) {
            throw new IllegalStateException(drawsFile(seed) + " lacks draws of this configuration");
        }
        List<Example> data = new ArrayList<>();
        for (int p = 0; p < v.prompts(); p++) {
            for (int g = 0; g < v.generations(); g++) {
                data.add(new Example(prompts.get(p), draws[p][g]));
            }
        }
        return new DataSource.Offline(data, new BatchOrder(data.size(), cfg.distillBatch(), 1, seed));
    }

    /** One distillation run: the student from its initial checkpoint, the variant's data source, proxy and golden evaluations. */
    void distill(LabVariant v, long seed) {
        LabConfig cfg = run.cfg;
        Path out = run.variantDir(seed, v.name());
        try (NDManager m = NDManager.newBaseManager();
             Transformer oracle = Checkpoint.loadTransformer(run.modelDir(LabRun.ORACLE), m);
             Transformer teacher = Checkpoint.loadTransformer(run.modelDir(LabRun.TEACHER), m);
             Transformer student = Checkpoint.loadTransformer(run.modelDir(LabRun.STUDENT_INIT), m);
             Tokenizer tok = Tokenizer.load(run.tokenizerFile());
             ProxyGoldenEvaluator evaluator = evaluation.evaluator(oracle, teacher);
             ProxyGoldenEvaluator onTraining = trainingEvaluator(oracle, teacher, v, seed)) {
            List<long[]> prompts = run.distillPrompts(tok, seed);
            int batch = cfg.distillBatch();
            SamplingParams sampling = run.params(1, LabSeeds.onlineSampling(seed));
            // the frozen teacher's batches are sampled ~256 rows at a time (same samples, far fewer calls)
            SourceKind.Online online = new SourceKind.Online(prompts, new BatchOrder(prompts.size(), batch, 1, seed),
                    new Sampler(teacher, null, 256), run.teacherParams(1, LabSeeds.onlineSampling(seed)),
                    new DataSource.Lookahead(Math.max(1, 256 / batch), 1), new Sampler(student, null, 256), sampling);
            DataSource source = v.source().build(online, () -> offlineData(v, seed, prompts), 0, seed);
            long t0 = System.nanoTime();
            double cpu0 = LabRun.cpuSeconds();
            long[] evalNanos = {0, 0};
            // a fresh run's first evaluation is at step 0, on the student every run starts from: shared
            Map<String, Double> step0 = Files.isDirectory(Trainer.checkpointDir(out)) ? null : evaluation.step0();
            DistillationLoss loss = new DistillationLoss(Divergence.parse(cfg.loss(), 0.5, 0.1), cfg.temperature());
            KdObjective objective = new KdObjective(student, teacher, source, loss, 0, 1, run.eosIds(), () -> {
                long e0 = System.nanoTime();
                Map<String, Double> r = new LinkedHashMap<>(step0 != null && evalNanos[1] == 0 ? step0 : evaluator.evaluate(student));
                r.putAll(onTraining.evaluateForward(student, TRAIN_PREFIX));
                evalNanos[0] += System.nanoTime() - e0;
                evalNanos[1]++;
                return r;
            });
            objective.diagnosticsEvery(5); // logged as means over 25 steps: 5 samples are enough, and they cost ~15 % of a step
            if (source instanceof DataSource.Offline off && precomputable(off.examples(), teacher.config().vocabSize())) {
                objective.precomputeTeacher(off.examples(), 64); // the frozen teacher runs once per example, not once per step
            }
            TrainConfig tc = trainConfig(cfg, seed);
            LiveDetector live = new LiveDetector(HackingDetector.defaults(), false);
            try (objective) {
                new Trainer(out, tc.loop()).onEvaluation(live).evaluateAlsoAt(earlyEvaluations(cfg.evalEvery()))
                        .run(new ObjectiveStep(student, tc, objective, Map.of(Checkpoint.TOKENIZER, run.tokenizerFile())), true);
            }
            double total = (System.nanoTime() - t0) / 1e9;
            double eval = evalNanos[0] / 1e9;
            double cpu = LabRun.cpuSeconds() - cpu0;
            LOG.info(String.format("timing: seed %d %s: %.1f s (CPU %.1f s), of which %d evaluations %.1f s (this process; a resumed run "
                    + "counts its last part only)", seed, v.name(), total, cpu, evalNanos[1], eval));
            Json.write(out.resolve("variant.json"), new VariantRun(v.name(), v.source().id(), v.prompts(), v.generations(), seed,
                    evaluator.samples(), tenths(total), tenths(eval), evalNanos[1], tenths(cpu)));
        }
    }

    /**
     * The forward metrics on the variant's training prompts: the first of the seed's prompts that the variant trains on
     * (all of the offline set's first {@link #trainPrompts}, fewer for the low-diversity set), on the oracle's and the
     * teacher's fixed samples drawn for them. The held-out proxy measures how the student generalises the teacher; this
     * one how closely it fits what it was shown.
     */
    private ProxyGoldenEvaluator trainingEvaluator(Transformer oracle, Transformer teacher, LabVariant v, long seed) {
        ProxyGoldenEvaluator.Samples all = LabFiles.readValidation(trainSamplesFile(seed));
        int n = Math.min(all.prompts().size(), v.prompts());
        ProxyGoldenEvaluator.Samples used = new ProxyGoldenEvaluator.Samples(all.prompts().subList(0, n), all.oracle().subList(0, n),
                all.teacher().subList(0, n));
        return new ProxyGoldenEvaluator(oracle, teacher, used, run.params(1, LabSeeds.EVALUATION), 64, ProxyGoldenEvaluator.DEFAULT_CACHE_FLOATS);
    }

    private static double tenths(double seconds) {
        return Math.round(seconds * 10) / 10.0;
    }

    /** Whether the teacher's log-probabilities over an offline dataset fit in 256 MB (small vocabularies, e.g. the embedded task's). */
    private static boolean precomputable(List<Example> examples, int vocab) {
        long tokens = 0;
        for (Example e : examples) {
            tokens += e.response().length;
        }
        return tokens * vocab <= (1L << 26);
    }

    /**
     * A distillation run's schedule: 10 warmup steps to {@code distillLr}, then a half cosine to {@code distillFinalLr} at the
     * last step (constant when they are equal); no weight decay; a checkpoint every 4 evaluations.
     */
    static TrainConfig trainConfig(LabConfig cfg, long seed) {
        return TrainConfig.steps(cfg.distillSteps()).lr(cfg.distillLr()).finalLr(cfg.distillFinalLr()).warmupSteps(10).weightDecay(0)
                .evalEvery(cfg.evalEvery()).saveEvery(cfg.evalEvery() * 4L).logEvery(cfg.evalEvery()).seed(seed).build();
    }

    /** Evaluations at a quarter and a half of the interval as well: the power-law fit needs the first decades of steps. */
    static Set<Long> earlyEvaluations(int evalEvery) {
        return Set.of((long) Math.max(1, evalEvery / 4), (long) Math.max(1, evalEvery / 2));
    }
}
