package org.distill4j.experiment;

import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.distill4j.eval.ProxyGoldenEvaluator;
import org.distill4j.gad.GadConfig;
import org.distill4j.gad.GadMethod;
import org.distill4j.gad.GadRun;
import org.distill4j.gad.GameMonitor;
import org.distill4j.gad.PolicyLoss;
import org.distill4j.gad.TeacherResponses;
import org.distill4j.generate.SamplingParams;
import org.distill4j.lm.Checkpoint;
import org.distill4j.lm.LanguageModel;
import org.distill4j.lm.Tokenizer;
import org.distill4j.lm.Transformer;
import org.distill4j.lm.WordLevelTokenizer;
import org.distill4j.report.LensReport;
import org.distill4j.teacher.LocalTeacher;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.distill4j.util.Json;

/**
 * The oracle lens (docs/oracle-lens.md): black-box distillation seen through the truth. On the
 * embedded task, a lab model (the oracle itself by default: a teacher with headroom) is used as a black box (text only)
 * to distil the lab's student with SeqKD, GAD, the frozen-discriminator baseline and GAD's warmup ablations, and every method is judged by what the lab knows
 * and no anchor has: the golden metric (distance to the oracle) and the oracle's likelihood of the
 * student's responses, beside the usual n-gram overlap with the teacher and response lengths.
 *
 * <p>Layout: {@code lens.yaml}; the lab's models (stages 0–1, run here unless an existing lab is given);
 * {@code data/} with the teacher's responses (asked once); {@code seed-N/METHOD/} one run each (a
 * student checkpoint, its discriminator, metrics.jsonl); the report. Every part resumes.
 */
public final class OracleLens {
    private static final Logger LOG = LoggerFactory.getLogger(OracleLens.class);

    private final Path dir;
    private final LensConfig cfg;
    private final LabJob.Runner runner;
    private final EmbeddedTask task = new EmbeddedTask();

    public OracleLens(Path dir, LensConfig cfg, LabJob.Runner runner) {
        this.dir = dir;
        this.cfg = cfg;
        this.runner = runner;
    }

    public Path labDir() {
        Path l = Path.of(cfg.lab());
        return l.isAbsolute() ? l : dir.resolve(l);
    }

    public void run() {
        Path lab = labDir();
        if (!Files.exists(lab.resolve("student-init").resolve(Checkpoint.WEIGHTS))
                || !Files.exists(lab.resolve("teacher").resolve(Checkpoint.WEIGHTS))) {
            LOG.info("oracle lens: training the lab's oracle, teacher and student in " + lab);
            LabConfig labCfg = ("quick".equals(cfg.labSize()) ? LabConfig.quick() : LabConfig.standard()).withSeeds(List.of());
            try {
                Files.createDirectories(lab);
            } catch (java.io.IOException e) {
                throw new org.distill4j.util.UserError(lab + ": cannot create: " + e.getMessage(), e);
            }
            if (!Files.exists(lab.resolve("config.yaml"))) {
                labCfg.write(lab.resolve("config.yaml"));
            }
            new TeacherHackingLab(lab, labCfg, runner).run();
        }
        teacherData();
        teacherMetrics();
        List<LabJob> jobs = new ArrayList<>();
        for (long seed : cfg.seeds()) {
            for (String m : cfg.methods()) {
                if (!Files.exists(runDir(m, seed).resolve("variant.json"))) {
                    jobs.add(new LabJob(LabJob.Kind.DISTILL, m, seed));
                }
            }
        }
        runner.run(dir, jobs, this::runJob);
    }

    private Path runDir(String method, long seed) {
        return dir.resolve("seed-" + seed).resolve(method);
    }

    /** The held-out topics: the task's last {@code oodTopics}. */
    private boolean heldOut(List<EmbeddedTask.Item> items) {
        return items.get(0).topic() >= EmbeddedTask.topics() - cfg.oodTopics();
    }

    /** The first {@code n} prompts of a split's stream whose topic is (ood) or is not (in-distribution) held out. */
    private List<String> prompts(long seed, EmbeddedTask.Split split, int n, boolean ood) {
        List<String> p = new ArrayList<>();
        for (long i = 0; p.size() < n; i++) {
            List<EmbeddedTask.Item> items = task.prompt(seed, split, i);
            if (heldOut(items) == ood) {
                p.add(task.render(items));
            }
        }
        return p;
    }

    private List<String> trainPrompts() {
        // a prompt stream of its own (the lab's distillation prompts use taskSeed + 1, 2, 3 …), held-out topics excluded
        return prompts(cfg.taskSeed() + 0x1E45L, EmbeddedTask.Split.DISTILL, cfg.trainPrompts(), false);
    }

    /** Evaluation prompts by split name: "id" (the training topics) and, with held-out topics, "ood". */
    private Map<String, List<String>> valPrompts() {
        Map<String, List<String>> m = new LinkedHashMap<>();
        m.put("id", prompts(cfg.taskSeed(), EmbeddedTask.Split.VALIDATION, cfg.valPrompts(), false));
        if (cfg.oodTopics() > 0) {
            m.put("ood", prompts(cfg.taskSeed(), EmbeddedTask.Split.VALIDATION, cfg.valPrompts(), true));
        }
        return m;
    }

    private Path trainFile() {
        return dir.resolve("data").resolve("teacher-train.jsonl");
    }

    private Path valFile() {
        return dir.resolve("data").resolve("teacher-val.jsonl");
    }

    private Path teacherDir() {
        return labDir().resolve(cfg.teacher());
    }

    /** The black-box teacher answers the training and evaluation prompts once, as text. */
    private void teacherData() {
        if (Files.exists(trainFile()) && Files.exists(valFile())) {
            return;
        }
        List<String> val = new ArrayList<>();
        valPrompts().values().forEach(val::addAll);
        LOG.info("oracle lens: the " + cfg.teacher() + " answers " + cfg.trainPrompts() + " training and " + val.size()
                + " evaluation prompts (text only)");
        try (LanguageModel teacher = LanguageModel.load(teacherDir())) {
            SamplingParams p = new SamplingParams(1.0, 0, 1.0, cfg.maxNewTokens(), 1, 0x1E45L + cfg.taskSeed(),
                    Set.of(WordLevelTokenizer.EOS_ID), List.of());
            LocalTeacher black = new LocalTeacher(teacher, p);
            TeacherResponses.collect(black, val, 1).write(valFile());
            TeacherResponses.collect(black, trainPrompts(), cfg.teacherSamples()).write(trainFile());
        }
    }

    /**
     * The teacher's side of the headroom (data/teacher-metrics.json): per split, the oracle judge of the teacher's own
     * responses and the teacher's golden metric (0 when the teacher is the oracle). The student's side is every run's
     * step-0 evaluation; the report states the gap.
     */
    private void teacherMetrics() {
        Path file = dir.resolve("data").resolve(LensReport.TEACHER_METRICS_FILE);
        if (Files.exists(file)) {
            return;
        }
        TeacherResponses val = TeacherResponses.read(valFile());
        ObjectNode root = Json.object();
        root.put("teacher", cfg.teacher());
        try (NDManager m = NDManager.newBaseManager();
             Transformer oracle = Checkpoint.loadTransformer(labDir().resolve("oracle"), m);
             Tokenizer tok = Tokenizer.load(labDir().resolve("tokenizer.json"))) {
            SamplingParams goldenParams = new SamplingParams(1.0, 0, 1.0, cfg.maxNewTokens(), 1, 2000,
                    Set.of(WordLevelTokenizer.EOS_ID), List.of());
            for (Map.Entry<String, List<String>> e : valPrompts().entrySet()) {
                List<long[]> ids = new ArrayList<>();
                List<long[]> responses = new ArrayList<>();
                for (String p : e.getValue()) {
                    ids.add(tok.encode(p, true));
                    long[] r = tok.encode(val.get(p).get(0), false);
                    long[] withEos = java.util.Arrays.copyOf(r, r.length + 1);
                    withEos[r.length] = WordLevelTokenizer.EOS_ID;
                    responses.add(withEos);
                }
                double sum = 0;
                long n = 0;
                for (float[] lp : LanguageModel.scoreResponses(oracle, ids, responses, 64)) {
                    for (float x : lp) {
                        sum += x;
                        n++;
                    }
                }
                ObjectNode split = root.putObject(e.getKey());
                // the teacher answered once, sampled at temperature 1: its judge is that of its sampled text
                split.put("sampled_oracle_ll_tok", sum / n);
                if (cfg.teacher().equals("oracle")) {
                    split.put("golden_fkl", 0.0);
                } else {
                    try (Transformer teacher = Checkpoint.loadTransformer(teacherDir(), m);
                         ProxyGoldenEvaluator golden = new ProxyGoldenEvaluator(oracle, teacher, ids, goldenParams, 1, 64)) {
                        split.put("golden_fkl", golden.evaluate(teacher).get("golden_fkl"));
                    }
                }
            }
        }
        Json.write(file, root);
    }

    /** The run configuration of one method: the reference recipe at the lens's scale (docs/gad.md). */
    public GadConfig config(GadMethod method, long seed) {
        boolean seqkd = method == GadMethod.SEQKD;
        return GadConfig.of(method.phases(cfg.warmupSteps(), cfg.dAloneSteps(), cfg.gameSteps(), cfg.discriminatorSteps()))
                // SeqKD is plain SFT (cross-entropy at temperature 1), as the reference's baseline
                .promptsPerStep(cfg.promptsPerStep()).samples(seqkd ? 1 : cfg.samples()).temperature(seqkd ? 1.0 : cfg.temperature())
                .maxNewTokens(cfg.maxNewTokens()).generatorLr(cfg.generatorLr()).discriminatorLr(cfg.discriminatorLr())
                .generatorClip(cfg.generatorClip()).discriminatorClip(cfg.discriminatorClip()).weightDecay(cfg.weightDecay())
                .policy(new PolicyLoss(0.2, cfg.klCoef())).evalEvery(cfg.evalEvery()).saveEvery(cfg.evalEvery()).seed(seed).build();
    }

    /** One method at one seed, in this process (the worker side of the runner). */
    public void runJob(LabJob job) {
        GadMethod method = GadMethod.parse(job.name());
        Path out = runDir(job.name(), job.seed());
        LOG.info(String.format("oracle lens: seed %d, %s", job.seed(), method.id()));
        Path lab = labDir();
        TeacherResponses train = TeacherResponses.read(trainFile());
        TeacherResponses val = TeacherResponses.read(valFile());
        boolean teacherIsOracle = cfg.teacher().equals("oracle");
        try (NDManager m = NDManager.newBaseManager();
             Transformer oracle = Checkpoint.loadTransformer(lab.resolve("oracle"), m);
             Transformer teacher = teacherIsOracle ? null : Checkpoint.loadTransformer(teacherDir(), m);
             Tokenizer tok = Tokenizer.load(lab.resolve("tokenizer.json"))) {
            SamplingParams goldenParams = new SamplingParams(1.0, 0, 1.0, cfg.maxNewTokens(), 1, 2000,
                    Set.of(WordLevelTokenizer.EOS_ID), List.of());
            List<LensEvaluation.Split> splits = new ArrayList<>();
            for (Map.Entry<String, List<String>> e : valPrompts().entrySet()) {
                List<long[]> ids = new ArrayList<>();
                List<String> refs = new ArrayList<>();
                for (String p : e.getValue()) {
                    ids.add(tok.encode(p, true));
                    refs.add(val.get(p).get(0));
                }
                // golden (and, with the lab's teacher, proxy) metrics on fixed oracle samples; with the oracle as the
                // teacher its "proxy" is the golden metric, computed once
                ProxyGoldenEvaluator golden = teacherIsOracle
                        ? new ProxyGoldenEvaluator(null, oracle, ids, goldenParams, 1, 64)
                        : new ProxyGoldenEvaluator(oracle, teacher, ids, goldenParams, 1, 64);
                splits.add(new LensEvaluation.Split(e.getKey(), e.getValue(), refs, golden));
            }
            GadRun.run(lab.resolve("student-init"), config(method, job.seed()), train, trainPrompts(),
                    student -> new LensEvaluation(student, oracle, splits, cfg.temperature(), cfg.maxNewTokens(), teacherIsOracle),
                    out, true, null, new GameMonitor(GameMonitor.Thresholds.defaults(), false), org.distill4j.util.LogWriter.to(LOG));
            splits.forEach(s -> s.golden().close());
        }
        ObjectNode meta = Json.object();
        meta.put("variant", method.id());
        meta.put("method", method.id());
        meta.put("seed", job.seed());
        Json.write(out.resolve("variant.json"), meta);
    }
}
