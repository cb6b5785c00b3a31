package org.distill4j.experiment;

import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.distill4j.eval.ProxyGoldenEvaluator;
import org.distill4j.gad.GadConfig;
import org.distill4j.gad.GadEvaluation;
import org.distill4j.gad.GadMethod;
import org.distill4j.gad.GadRun;
import org.distill4j.gad.PolicyLoss;
import org.distill4j.gad.TeacherResponses;
import org.distill4j.generate.SamplingParams;
import org.distill4j.lm.Checkpoint;
import org.distill4j.lm.LanguageModel;
import org.distill4j.lm.Tokenizer;
import org.distill4j.lm.Transformer;
import org.distill4j.lm.WordLevelTokenizer;
import org.distill4j.teacher.LocalTeacher;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.distill4j.util.Json;

/**
 * The oracle lens (docs/oracle-lens.md): black-box distillation seen through the truth. On the
 * embedded task, the lab's teacher is used as a black box (text only) to distil the lab's student with
 * SeqKD, GAD and the frozen-discriminator baseline, and every method is judged by what the lab knows
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

    private List<String> trainPrompts() {
        List<String> p = new ArrayList<>();
        for (int i = 0; i < cfg.trainPrompts(); i++) {
            // a prompt stream of its own: the lab's distillation prompts use taskSeed + 1, 2, 3 …
            p.add(task.render(task.prompt(cfg.taskSeed() + 0x1E45L, EmbeddedTask.Split.DISTILL, i)));
        }
        return p;
    }

    private List<String> valPrompts() {
        List<String> p = new ArrayList<>();
        for (int i = 0; i < cfg.valPrompts(); i++) {
            p.add(task.render(task.prompt(cfg.taskSeed(), EmbeddedTask.Split.VALIDATION, i)));
        }
        return p;
    }

    private Path trainFile() {
        return dir.resolve("data").resolve("teacher-train.jsonl");
    }

    private Path valFile() {
        return dir.resolve("data").resolve("teacher-val.jsonl");
    }

    /** The black-box teacher answers the training and evaluation prompts once, as text. */
    private void teacherData() {
        if (Files.exists(trainFile()) && Files.exists(valFile())) {
            return;
        }
        LOG.info("oracle lens: the teacher answers " + cfg.trainPrompts() + " training and " + cfg.valPrompts()
                + " evaluation prompts (text only)");
        try (LanguageModel teacher = LanguageModel.load(labDir().resolve("teacher"))) {
            SamplingParams p = new SamplingParams(1.0, 0, 1.0, cfg.maxNewTokens(), 1, 0x1E45L + cfg.taskSeed(),
                    Set.of(WordLevelTokenizer.EOS_ID), List.of());
            LocalTeacher black = new LocalTeacher(teacher, p);
            TeacherResponses.collect(black, valPrompts(), 1).write(valFile());
            TeacherResponses.collect(black, trainPrompts(), cfg.teacherSamples()).write(trainFile());
        }
    }

    /** The run configuration of one method. */
    public GadConfig config(GadMethod method, long seed) {
        boolean seqkd = method == GadMethod.SEQKD;
        return GadConfig.of(method.phases(cfg.warmupSteps(), cfg.dAloneSteps(), cfg.mainSteps(), cfg.discriminatorSteps()))
                .promptsPerStep(cfg.promptsPerStep()).samples(seqkd ? 1 : cfg.samples()).temperature(cfg.temperature())
                .maxNewTokens(cfg.maxNewTokens()).generatorLr(cfg.generatorLr()).discriminatorLr(cfg.discriminatorLr())
                .discriminatorClip(cfg.discriminatorClip()).policy(new PolicyLoss(0.2, cfg.klCoef())).evalEvery(cfg.evalEvery())
                .saveEvery(cfg.evalEvery()).seed(seed).build();
    }

    /** One method at one seed, in this process (the worker side of the runner). */
    public void runJob(LabJob job) {
        GadMethod method = GadMethod.parse(job.name());
        Path out = runDir(job.name(), job.seed());
        LOG.info(String.format("oracle lens: seed %d, %s", job.seed(), method.id()));
        Path lab = labDir();
        TeacherResponses train = TeacherResponses.read(trainFile());
        TeacherResponses val = TeacherResponses.read(valFile());
        List<String> valPrompts = valPrompts();
        List<String> refs = new ArrayList<>();
        for (String p : valPrompts) {
            refs.add(val.get(p).get(0));
        }
        try (NDManager m = NDManager.newBaseManager();
             Transformer oracle = Checkpoint.loadTransformer(lab.resolve("oracle"), m);
             Transformer teacher = Checkpoint.loadTransformer(lab.resolve("teacher"), m);
             Tokenizer tok = Tokenizer.load(lab.resolve("tokenizer.json"))) {
            List<long[]> valIds = new ArrayList<>();
            for (String p : valPrompts) {
                valIds.add(tok.encode(p, true));
            }
            SamplingParams evalParams = new SamplingParams(1.0, 0, 1.0, cfg.maxNewTokens(), 1, 2000,
                    Set.of(WordLevelTokenizer.EOS_ID), List.of());
            // the lab's proxy/golden metrics on the same validation prompts and sampling seeds as the lab
            ProxyGoldenEvaluator golden = new ProxyGoldenEvaluator(oracle, teacher, valIds, evalParams, 1, 64);
            GadRun.run(lab.resolve("student-init"), config(method, job.seed()), train, trainPrompts(),
                    student -> new GadEvaluation(student, valPrompts, refs, evalParams.withSeed(4000), oracle, golden),
                    out, true, null, org.distill4j.util.LogWriter.to(LOG));
        }
        ObjectNode meta = Json.object();
        meta.put("variant", method.id());
        meta.put("method", method.id());
        meta.put("seed", job.seed());
        Json.write(out.resolve("variant.json"), meta);
    }
}
