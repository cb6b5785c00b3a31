package org.distill4j.experiment;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import org.distill4j.lm.WordLevelTokenizer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The teacher-hacking lab (docs/teacher-hacking-lab.md), in the order of its stages: stage 0 trains the oracle on
 * the embedded task's grammar ({@link OracleStage}); stage 1 has the oracle answer prompts and trains the teacher
 * (larger) and the student's initial checkpoint (smaller) on that oracle dataset ({@link SftStage}); stage 2 distils
 * the student from the teacher with every data source and dataset variant, for every seed ({@link DistillStage}),
 * evaluating proxy (teacher↔student) and golden (oracle↔student) metrics on shared validation samples
 * ({@link EvaluationStage}). Every stage writes into the run directory and is skipped when its output exists, so a
 * killed run resumes.
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

    private final LabRun run;
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
        this.run = new LabRun(dir, cfg, inputs);
        this.runner = runner;
    }

    /** The lab of an existing run directory (its config.yaml, and inputs.json when it has one): a worker's view. */
    public static TeacherHackingLab open(Path dir, LabJob.Runner runner) {
        return new TeacherHackingLab(dir, LabConfig.read(dir.resolve("config.yaml")), LabInputs.read(dir).orElse(null), runner);
    }

    public void run() {
        Path dir = run.dir;
        LabInputs inputs = run.inputs;
        OracleStage oracle = new OracleStage(run);
        if (inputs == null) {
            if (!Files.exists(run.tokenizerFile())) {
                WordLevelTokenizer.write(run.tokenizerFile(), run.task.vocabulary());
            }
            oracle.train();
        } else if (!Files.exists(run.data(LabInputsSetup.PROMPTS))) {
            throw new IllegalStateException(dir + ": call LabInputsSetup.prepareInputs first");
        }
        List<LabJob> sft = new ArrayList<>();
        if (inputs == null || !inputs.modelsGiven()) {
            oracle.answer();
            for (String model : List.of(LabRun.TEACHER, LabRun.STUDENT_INIT)) {
                if (!LabRun.done(dir.resolve(model))) {
                    sft.add(new LabJob(LabJob.Kind.SFT, model, 0));
                }
            }
        }
        runner.run(dir, sft, this::runJob);
        if (run.cfg.seeds().isEmpty()) {
            return;
        }
        new EvaluationStage(run).prepare();
        DistillStage distillation = new DistillStage(run);
        List<LabJob> distill = new ArrayList<>();
        for (long seed : run.cfg.seeds()) {
            for (LabVariant v : LabVariant.selected(run.cfg)) {
                if (!LabRun.done(run.variantDir(seed, v.name()))) {
                    distillation.drawTeacherData(seed);
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
                new SftStage(run).train(job.name());
            }
            case DISTILL -> {
                LabVariant v = LabVariant.all(run.cfg).stream().filter(x -> x.name().equals(job.name())).findFirst()
                        .orElseThrow(() -> new IllegalArgumentException("unknown variant " + job.name()));
                LOG.info(String.format("stage 2: seed %d, %s", job.seed(), v.name()));
                new DistillStage(run).distill(v, job.seed());
            }
        }
        LOG.info(String.format("timing: job '%s' took %.1f s (process CPU time so far %.1f s)", job.label(), (System.nanoTime() - t0) / 1e9,
                LabRun.cpuSeconds()));
    }
}
