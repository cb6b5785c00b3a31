package org.distill4j.experiment;

import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import org.distill4j.eval.LiveDetector;
import org.distill4j.data.BatchOrder;
import org.distill4j.data.DataSource;
import org.distill4j.data.Example;
import org.distill4j.data.PromptTemplate;
import org.distill4j.data.SourceKind;
import org.distill4j.eval.HackingDetector;
import org.distill4j.eval.ProxyGoldenEvaluator;
import org.distill4j.generate.Sample;
import org.distill4j.generate.Sampler;
import org.distill4j.generate.SamplingParams;
import org.distill4j.lm.Checkpoint;
import org.distill4j.lm.ModelConfig;
import org.distill4j.lm.Tokenizer;
import org.distill4j.lm.Transformer;
import org.distill4j.lm.WordLevelTokenizer;
import org.distill4j.loss.Divergence;
import org.distill4j.loss.DistillationLoss;
import org.distill4j.train.KdObjective;
import org.distill4j.train.SftObjective;
import org.distill4j.train.TrainConfig;
import org.distill4j.train.ObjectiveStep;
import org.distill4j.train.Trainer;
import org.distill4j.util.Json;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.distill4j.util.UserError;

/**
 * The teacher-hacking lab (docs/teacher-hacking-lab.md): stage 0 trains the oracle on the embedded
 * task's grammar; stage 1 has the oracle answer prompts and trains the teacher (larger) and the
 * student's initial checkpoint (smaller) on that oracle dataset; stage 2 distils the student from the
 * teacher with every data source and dataset variant, for every seed, evaluating proxy
 * (teacher↔student) and golden (oracle↔student) metrics as it goes. Every stage writes into the run
 * directory and is skipped when its output exists, so a killed run resumes.
 *
 * <p>With {@link LabInputs} the same stages run on the user's checkpoints and prompts: stage 0 is
 * skipped (the oracle is given), stage 1 too when the teacher and student are given.
 *
 * <p>Run directory: oracle/, teacher/, student-init/ (the models the lab trains), tokenizer.json,
 * data/ (oracle dataset, teacher draws, validation samples, and the user's prompt splits),
 * seed-N/VARIANT/ (distillation runs), logs/ (worker logs), config.yaml, inputs.json (user inputs only).
 */
public final class TeacherHackingLab {
    private static final Logger LOG = LoggerFactory.getLogger(TeacherHackingLab.class);

    static final String ORACLE = "oracle";
    static final String TEACHER = "teacher";
    static final String STUDENT_INIT = "student-init";

    private final Path dir;
    private final LabConfig cfg;
    private final LabInputs inputs;
    private final EmbeddedTask task = new EmbeddedTask();
    private final LabJob.Runner runner;

    /** The lab on the embedded task. @param runner runs stage 1 and 2 jobs (in this process, or in worker processes) */
    public TeacherHackingLab(Path dir, LabConfig cfg, LabJob.Runner runner) {
        this(dir, cfg, null, runner);
    }

    /**
     * @param inputs the user's models and prompts (null: the embedded task); prepare the run directory
     *               with {@link LabInputsSetup#prepareInputs} first
     */
    public TeacherHackingLab(Path dir, LabConfig cfg, LabInputs inputs, LabJob.Runner runner) {
        this.dir = dir;
        this.cfg = cfg;
        this.inputs = inputs;
        this.runner = runner;
    }

    /** The lab of an existing run directory (its config.yaml, and inputs.json when it has one): a worker's view. */
    public static TeacherHackingLab open(Path dir, LabJob.Runner runner) {
        return new TeacherHackingLab(dir, LabConfig.read(dir.resolve("config.yaml")), LabInputs.read(dir).orElse(null), runner);
    }

    public Path tokenizerFile() {
        return dir.resolve("tokenizer.json");
    }

    private Path data(String name) {
        return dir.resolve("data").resolve(name);
    }

    /** The checkpoint directory of a model role: the user's when given, else the one the lab trains in the run directory. */
    Path modelDir(String role) {
        if (inputs != null) {
            switch (role) {
                case ORACLE -> {
                    return inputs.oracle();
                }
                case TEACHER -> {
                    if (inputs.teacher() != null) {
                        return inputs.teacher();
                    }
                }
                case STUDENT_INIT -> {
                    if (inputs.student() != null) {
                        return inputs.student();
                    }
                }
                default -> throw new IllegalArgumentException(role);
            }
        }
        return dir.resolve(role);
    }

    public void run() {
        if (inputs == null) {
            if (!Files.exists(tokenizerFile())) {
                WordLevelTokenizer.write(tokenizerFile(), task.vocabulary());
            }
            stage0Oracle();
        } else if (!Files.exists(data(LabInputsSetup.PROMPTS))) {
            throw new IllegalStateException(dir + ": call LabInputsSetup.prepareInputs first");
        }
        List<LabJob> sft = new ArrayList<>();
        if (inputs == null || !inputs.modelsGiven()) {
            oracleDataset();
            for (String model : List.of(TEACHER, STUDENT_INIT)) {
                if (!done(dir.resolve(model))) {
                    sft.add(new LabJob(LabJob.Kind.SFT, model, 0));
                }
            }
        }
        runner.run(dir, sft, this::runJob);
        if (cfg.seeds().isEmpty()) {
            return;
        }
        prepareValidation();
        List<LabJob> distill = new ArrayList<>();
        for (long seed : cfg.seeds()) {
            for (LabVariant v : LabVariant.all(cfg)) {
                if (!done(dir.resolve("seed-" + seed).resolve(v.name()))) {
                    prepareSeed(seed);
                    distill.add(new LabJob(LabJob.Kind.DISTILL, v.name(), seed));
                }
            }
        }
        // longest first: the workers take jobs in this order, so the short offline runs fill the end
        distill.sort(Comparator.comparingInt((LabJob j) -> -cost(j)));
        runner.run(dir, distill, this::runJob);
    }

    /** Relative cost of a distillation job: the online sources sample at every step (the student slowest). */
    private static int cost(LabJob j) {
        return switch (j.name()) {
            case "online-student" -> 3;
            case "online-teacher" -> 2;
            default -> 1;
        };
    }

    /** Runs one job in this process (the worker side of {@link LabJob.Runner}). */
    public void runJob(LabJob job) {
        long t0 = System.nanoTime();
        switch (job.kind()) {
            case SFT -> {
                LOG.info("stage 1: SFT of the " + job.name() + " on the oracle dataset");
                sftJob(job.name());
            }
            case DISTILL -> {
                LabVariant v = LabVariant.all(cfg).stream().filter(x -> x.name().equals(job.name())).findFirst()
                        .orElseThrow(() -> new IllegalArgumentException("unknown variant " + job.name()));
                LOG.info(String.format("stage 2: seed %d, %s", job.seed(), v.name()));
                distillVariant(v, job.seed());
            }
        }
        LOG.info(String.format("timing: job '%s' took %.1f s (process CPU time so far %.1f s)", job.label(), (System.nanoTime() - t0) / 1e9,
                cpuSeconds()));
    }

    /** CPU time of this process: on a loaded machine a better measure of a single-threaded job's cost than its wall time. */
    static double cpuSeconds() {
        if (java.lang.management.ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.OperatingSystemMXBean os) {
            return os.getProcessCpuTime() / 1e9;
        }
        return Double.NaN;
    }

    private ModelConfig modelConfig(LabConfig.ModelSize s) {
        int vocab = task.vocabulary().size() + 4;
        return ModelConfig.llama(vocab, s.hidden(), s.intermediate(), s.layers(), s.heads(), s.kvHeads(), 128, true,
                WordLevelTokenizer.BOS_ID, WordLevelTokenizer.EOS_ID, WordLevelTokenizer.PAD_ID);
    }

    private static boolean done(Path modelDir) {
        return Files.exists(modelDir.resolve(Checkpoint.WEIGHTS));
    }

    /** End-of-sequence ids of generation: the embedded task's, or those of the user's configs (they share one tokenizer). */
    private Set<Integer> eosIds() {
        if (inputs == null) {
            return Set.of(WordLevelTokenizer.EOS_ID);
        }
        if (eos == null) {
            Set<Integer> ids = new LinkedHashSet<>(Checkpoint.readConfig(inputs.oracle()).eosTokenIds());
            List<Path> configs = inputs.modelsGiven()
                    ? List.of(inputs.teacher().resolve(Checkpoint.CONFIG), inputs.student().resolve(Checkpoint.CONFIG))
                    : List.of(LabInputs.initConfigFile(inputs.teacherInit()), LabInputs.initConfigFile(inputs.studentInit()));
            for (Path c : configs) {
                ids.addAll(ModelConfig.read(c).eosTokenIds());
            }
            eos = Set.copyOf(ids);
        }
        return eos;
    }

    private Set<Integer> eos;

    private SamplingParams params(int n, long seed) {
        return new SamplingParams(1.0, 0, 1.0, cfg.maxNewTokens(), n, seed, eosIds(), List.of());
    }

    /** The teacher's generations of stage 2 (offline datasets, online-teacher batches), at the configured temperature. */
    private SamplingParams teacherParams(int n, long seed) {
        return new SamplingParams(cfg.generationTemperature(), 0, 1.0, cfg.maxNewTokens(), n, seed, eosIds(), List.of());
    }

    // ---------------------------------------------------------------- stage 0 and 1

    private void stage0Oracle() {
        Path out = dir.resolve(ORACLE);
        if (done(out)) {
            return;
        }
        long t0 = System.nanoTime();
        LOG.info("stage 0: training the oracle on " + cfg.oracleExamples() + " grammar samples");
        SplittableRandom rng = new SplittableRandom(cfg.taskSeed() ^ 0x0AC1EL);
        List<String[]> pairs = new ArrayList<>();
        for (int i = 0; i < cfg.oracleExamples(); i++) {
            var items = task.prompt(cfg.taskSeed(), EmbeddedTask.Split.ORACLE, i);
            pairs.add(new String[] {task.render(items), task.sample(items, rng)});
        }
        LabFiles.writePairs(data("grammar.jsonl"), pairs);
        try (NDManager m = NDManager.newBaseManager();
             Transformer model = Transformer.random(modelConfig(cfg.oracle()), m, LabSeeds.ORACLE)) {
            sft(out, model, pairs, cfg.oracleSteps(), LabSeeds.ORACLE);
        }
        LOG.info(String.format("timing: stage 0 (oracle) took %.1f s (process CPU time so far %.1f s)", (System.nanoTime() - t0) / 1e9,
                cpuSeconds()));
    }

    /** The prompts the oracle answers for stage 1: the task's oracle split, or the user's SFT prompts. */
    private List<String> oraclePromptTexts() {
        List<String> prompts = new ArrayList<>();
        if (inputs == null) {
            for (int i = 0; i < cfg.oraclePrompts(); i++) {
                prompts.add(task.render(task.prompt(cfg.taskSeed(), EmbeddedTask.Split.ORACLE, cfg.oracleExamples() + i)));
            }
        } else {
            List<String> all = LabInputsSetup.readPrompts(data(LabInputsSetup.SFT_PROMPTS));
            prompts.addAll(all.subList(0, Math.min(all.size(), cfg.oraclePrompts())));
        }
        return prompts;
    }

    private void oracleDataset() {
        Path file = data("oracle.jsonl");
        if (Files.exists(file)) {
            return;
        }
        long t0 = System.nanoTime();
        List<String> prompts = oraclePromptTexts();
        LOG.info("stage 1: the oracle answers " + prompts.size() + " prompts");
        try (NDManager m = NDManager.newBaseManager();
             Transformer oracle = Checkpoint.loadTransformer(modelDir(ORACLE), m);
             Tokenizer tok = Tokenizer.load(tokenizerFile())) {
            List<long[]> ids = new ArrayList<>();
            for (String p : prompts) {
                ids.add(tok.encode(p, true));
            }
            List<Sample> samples = new Sampler(oracle, tok, 256).generate(ids, params(1, LabSeeds.ORACLE_ANSWERS));
            List<String[]> pairs = new ArrayList<>();
            for (Sample s : samples) {
                pairs.add(new String[] {prompts.get(s.promptIndex()), s.text()});
            }
            LabFiles.writePairs(file, pairs);
        }
        LOG.info(String.format("timing: stage 1 (oracle answers) took %.1f s", (System.nanoTime() - t0) / 1e9));
    }

    private void sftJob(String role) {
        long seed = role.equals(TEACHER) ? LabSeeds.TEACHER : LabSeeds.STUDENT;
        List<String[]> pairs = LabFiles.readPairs(data("oracle.jsonl"));
        try (NDManager m = NDManager.newBaseManager()) {
            Transformer model;
            if (inputs == null) {
                model = Transformer.random(modelConfig(role.equals(TEACHER) ? cfg.teacher() : cfg.student()), m, seed);
            } else {
                Path init = role.equals(TEACHER) ? inputs.teacherInit() : inputs.studentInit();
                model = LabInputs.initHasWeights(init) ? Checkpoint.loadTransformer(init, m)
                        : Transformer.random(ModelConfig.read(LabInputs.initConfigFile(init)), m, seed);
            }
            try (model) {
                sft(dir.resolve(role), model, pairs, cfg.sftSteps(), seed);
            }
        }
    }

    /**
     * Random batches, not length-grouped ones: grouping saved a third of the padding but left the oracle
     * clearly worse (val loss 1.80 vs 1.66 nats per token after 1,200 steps) and the teacher and student
     * closer to each other (proxy 3.8 instead of 7.6 nats at the start of distillation), which hid the hacking.
     */
    private void sft(Path out, Transformer model, List<String[]> pairs, int steps, long seed) {
        try (Tokenizer tok = Tokenizer.load(tokenizerFile())) {
            int eos = model.config().eosTokenId();
            if (eos < 0) {
                throw new UserError("the model config has no eos_token_id; the SFT template needs one");
            }
            PromptTemplate template = new PromptTemplate(tok, eos);
            int maxLen = model.config().maxPositionEmbeddings();
            List<Example> examples = new ArrayList<>();
            for (String[] p : pairs) {
                Example e = template.example(p[0], p[1]);
                if (e.length() > maxLen) { // keep the prompt, cut the response (at least one token)
                    int keep = Math.max(1, maxLen - e.prompt().length);
                    e = new Example(e.prompt(), java.util.Arrays.copyOf(e.response(), Math.min(keep, e.response().length)));
                }
                examples.add(e);
            }
            List<Example> val = examples.subList(0, Math.min(200, examples.size() / 10));
            List<Example> train = examples.subList(val.size(), examples.size());
            SftObjective objective = new SftObjective(model, train, val, cfg.sftBatch(), 1, seed);
            TrainConfig tc = TrainConfig.steps(steps).lr(cfg.sftLr()).finalLr(cfg.sftLr() / 10).warmupSteps(Math.min(50, steps / 10))
                    .evalEvery(Math.max(1, steps / 4)).saveEvery(Math.max(1, steps / 4)).logEvery(Math.max(1, steps / 20)).seed(seed).build();
            new Trainer(out, tc.loop()).run(new ObjectiveStep(model, tc, objective, Map.of(Checkpoint.TOKENIZER, tokenizerFile())), true);
        }
    }

    // ---------------------------------------------------------------- stage 2

    /** The distillation prompts of a seed: the task's distill split, or a seeded choice of the user's prompts. */
    private List<long[]> distillPrompts(Tokenizer tok, long seed) {
        List<long[]> prompts = new ArrayList<>();
        if (inputs == null) {
            for (int i = 0; i < cfg.distillPrompts(); i++) {
                prompts.add(tok.encode(task.render(task.prompt(cfg.taskSeed() + seed, EmbeddedTask.Split.DISTILL, i)), true));
            }
        } else {
            List<String> all = LabInputsSetup.readPrompts(data(LabInputsSetup.PROMPTS));
            java.util.Collections.shuffle(all, new java.util.Random(LabSeeds.promptChoice(seed)));
            for (String p : all.subList(0, Math.min(all.size(), cfg.distillPrompts()))) {
                prompts.add(tok.encode(p, true));
            }
        }
        return prompts;
    }

    private List<long[]> validationPrompts(Tokenizer tok) {
        List<long[]> val = new ArrayList<>();
        if (inputs == null) {
            for (int i = 0; i < cfg.valPrompts(); i++) {
                val.add(tok.encode(task.render(task.prompt(cfg.taskSeed(), EmbeddedTask.Split.VALIDATION, i)), true));
            }
        } else {
            List<String> all = LabInputsSetup.readPrompts(data(LabInputsSetup.VAL_PROMPTS));
            for (String p : all.subList(0, Math.min(all.size(), cfg.valPrompts()))) {
                val.add(tok.encode(p, true));
            }
        }
        return val;
    }

    private Path drawsFile(long seed) {
        return data("teacher-draws-seed-" + seed + ".jsonl");
    }

    /**
     * One teacher draw of G_max generations for each of the seed's prompts, saved once: every offline
     * dataset of the seed is a prefix of it (nested budgets, and the same data whichever worker runs).
     * A file from a run with fewer prompts or generations is drawn again.
     */
    private void prepareSeed(long seed) {
        int gMax = LabVariant.maxGenerations(LabVariant.all(cfg));
        Path file = drawsFile(seed);
        if (Files.exists(file) && LabFiles.readDraws(file, cfg.distillPrompts(), gMax, cfg.generationTemperature()) != null) {
            return;
        }
        LOG.info("stage 2: the teacher samples the offline data of seed " + seed);
        long t0 = System.nanoTime();
        try (NDManager m = NDManager.newBaseManager();
             Transformer teacher = Checkpoint.loadTransformer(modelDir(TEACHER), m);
             Tokenizer tok = Tokenizer.load(tokenizerFile())) {
            List<long[]> prompts = distillPrompts(tok, seed);
            List<Sample> draws = new Sampler(teacher, tok, 256).generate(prompts, teacherParams(gMax, LabSeeds.teacherDraws(seed)));
            LabFiles.writeDraws(file, draws, cfg.generationTemperature());
        }
        LOG.info(String.format("timing: teacher draws of seed %d took %.1f s", seed, (System.nanoTime() - t0) / 1e9));
    }

    private Path validationFile() {
        return data("validation-samples.jsonl");
    }

    /**
     * The evaluation's fixed oracle and teacher samples on the validation prompts, drawn once for every
     * run of the lab (they depend on neither the seed nor the variant).
     */
    private void prepareValidation() {
        Path file = validationFile();
        if (Files.exists(file) && Files.exists(step0File())) {
            return;
        }
        long t0 = System.nanoTime();
        try (NDManager m = NDManager.newBaseManager();
             Transformer oracle = Checkpoint.loadTransformer(modelDir(ORACLE), m);
             Transformer teacher = Checkpoint.loadTransformer(modelDir(TEACHER), m);
             Transformer student = Checkpoint.loadTransformer(modelDir(STUDENT_INIT), m);
             Tokenizer tok = Tokenizer.load(tokenizerFile())) {
            if (!Files.exists(file)) {
                LabFiles.writeValidation(file, ProxyGoldenEvaluator.Samples.draw(oracle, teacher, validationPrompts(tok),
                        params(1, LabSeeds.VALIDATION_SAMPLES), 1));
            }
            // every run starts from the same student: its step-0 evaluation is the same for all of them
            try (ProxyGoldenEvaluator evaluator = evaluator(oracle, teacher)) {
                LabFiles.writeMetrics(step0File(), evaluator.evaluate(student));
            }
        }
        LOG.info(String.format("timing: validation samples and the step-0 evaluation took %.1f s", (System.nanoTime() - t0) / 1e9));
    }

    private Path step0File() {
        return data("validation-step0.json");
    }

    private ProxyGoldenEvaluator evaluator(Transformer oracle, Transformer teacher) {
        return new ProxyGoldenEvaluator(oracle, teacher, readValidation(), params(1, LabSeeds.EVALUATION), 64, ProxyGoldenEvaluator.DEFAULT_CACHE_FLOATS);
    }

    /** The shared step-0 evaluation (null when the file is missing). */
    private Map<String, Double> readStep0() {
        return LabFiles.readMetrics(step0File());
    }

    private ProxyGoldenEvaluator.Samples readValidation() {
        return LabFiles.readValidation(validationFile());
    }

    private void distillVariant(LabVariant v, long seed) {
        int gMax = LabVariant.maxGenerations(LabVariant.all(cfg));
        Path out = dir.resolve("seed-" + seed).resolve(v.name());
        try (NDManager m = NDManager.newBaseManager();
             Transformer oracle = Checkpoint.loadTransformer(modelDir(ORACLE), m);
             Transformer teacher = Checkpoint.loadTransformer(modelDir(TEACHER), m);
             Transformer student = Checkpoint.loadTransformer(modelDir(STUDENT_INIT), m);
             Tokenizer tok = Tokenizer.load(tokenizerFile());
             ProxyGoldenEvaluator evaluator = evaluator(oracle, teacher)) {
            List<long[]> prompts = distillPrompts(tok, seed);
            int batch = cfg.distillBatch();
            SamplingParams sampling = params(1, LabSeeds.onlineSampling(seed));
            // the frozen teacher's batches are sampled ~256 rows at a time (same samples, far fewer calls)
            SourceKind.Online online = new SourceKind.Online(prompts, new BatchOrder(prompts.size(), batch, 1, seed),
                    new Sampler(teacher, null, 256), teacherParams(1, LabSeeds.onlineSampling(seed)),
                    new DataSource.Lookahead(Math.max(1, 256 / batch), 1), new Sampler(student, null, 256), sampling);
            DataSource source = v.source().build(online, () -> {
                long[][][] draws = LabFiles.readDraws(drawsFile(seed), cfg.distillPrompts(), gMax, cfg.generationTemperature());
                if (draws == null) {
                    throw new IllegalStateException(drawsFile(seed) + " lacks draws of this configuration");
                }
                List<Example> data = new ArrayList<>();
                for (int p = 0; p < v.prompts(); p++) {
                    for (int g = 0; g < v.generations(); g++) {
                        data.add(new Example(prompts.get(p), draws[p][g]));
                    }
                }
                return new DataSource.Offline(data, new BatchOrder(data.size(), batch, 1, seed));
            }, 0, seed);
            long t0 = System.nanoTime();
            double cpu0 = cpuSeconds();
            long[] evalNanos = {0, 0};
            // a fresh run's first evaluation is at step 0, on the student every run starts from: shared
            Map<String, Double> step0 = Files.isDirectory(Trainer.checkpointDir(out)) ? null : readStep0();
            DistillationLoss loss = new DistillationLoss(Divergence.parse(cfg.loss(), 0.5, 0.1), cfg.temperature());
            KdObjective objective = new KdObjective(student, teacher, source, loss, 0, 1, eosIds(), () -> {
                if (step0 != null && evalNanos[1] == 0) {
                    evalNanos[1]++;
                    return step0;
                }
                long e0 = System.nanoTime();
                Map<String, Double> r = evaluator.evaluate(student);
                evalNanos[0] += System.nanoTime() - e0;
                evalNanos[1]++;
                return r;
            });
            objective.diagnosticsEvery(5); // logged as means over 25 steps: 5 samples are enough, and they cost ~15 % of a step
            if (source instanceof DataSource.Offline off && precomputable(off.examples(), teacher.config().vocabSize())) {
                objective.precomputeTeacher(off.examples(), 64); // the frozen teacher runs once per example, not once per step
            }
            TrainConfig tc = TrainConfig.steps(cfg.distillSteps()).constantLr(cfg.distillLr()).warmupSteps(10).weightDecay(0)
                    .evalEvery(cfg.evalEvery()).saveEvery(cfg.evalEvery() * 4L).logEvery(cfg.evalEvery()).seed(seed).build();
            LiveDetector live = new LiveDetector(HackingDetector.defaults(), false);
            try (objective) {
                new Trainer(out, tc.loop()).onEvaluation(live).evaluateAlsoAt(earlyEvaluations(cfg.evalEvery()))
                        .run(new ObjectiveStep(student, tc, objective, Map.of(Checkpoint.TOKENIZER, tokenizerFile())), true);
            }
            double total = (System.nanoTime() - t0) / 1e9;
            double eval = evalNanos[0] / 1e9;
            double cpu = cpuSeconds() - cpu0;
            LOG.info(String.format("timing: seed %d %s: %.1f s (CPU %.1f s), of which %d evaluations %.1f s (this process; a resumed run "
                    + "counts its last part only)", seed, v.name(), total, cpu, evalNanos[1], eval));
            ObjectNode meta = Json.object();
            meta.put("variant", v.name());
            meta.put("source", v.source().id());
            meta.put("prompts", v.prompts());
            meta.put("generations", v.generations());
            meta.put("seed", seed);
            meta.put("validation_samples", evaluator.samples());
            meta.put("seconds", Math.round(total * 10) / 10.0);
            meta.put("evaluation_seconds", Math.round(eval * 10) / 10.0);
            meta.put("evaluations", evalNanos[1]);
            meta.put("cpu_seconds", Math.round(cpu * 10) / 10.0);
            Json.write(out.resolve("variant.json"), meta);
        }
    }

    /** Whether the teacher's log-probabilities over an offline dataset fit in 256 MB (small vocabularies, e.g. the embedded task's). */
    private static boolean precomputable(List<Example> examples, int vocab) {
        long tokens = 0;
        for (Example e : examples) {
            tokens += e.response().length;
        }
        return tokens * vocab <= (1L << 26);
    }

    /** Evaluations at a quarter and a half of the interval as well: the power-law fit needs the first decades of steps. */
    static Set<Long> earlyEvaluations(int evalEvery) {
        return Set.of((long) Math.max(1, evalEvery / 4), (long) Math.max(1, evalEvery / 2));
    }
}
