package org.distill4j.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import org.distill4j.experiment.LabConfig;
import org.distill4j.experiment.LabInputs;
import org.distill4j.experiment.LabInputsSetup;
import org.distill4j.experiment.LabJob;
import org.distill4j.experiment.LabVariant;
import org.distill4j.experiment.TeacherHackingLab;
import org.distill4j.loss.Divergence;
import org.distill4j.report.LabReport;
import org.distill4j.util.UserError;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code distill experiment teacher-hacking}: the teacher-hacking lab (docs/teacher-hacking-lab.md) on the
 * user's oracle, teacher and student checkpoints and prompts, with the same report as {@code distill demo}.
 */
@Command(name = "teacher-hacking", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"The teacher-hacking lab on your checkpoints: distils the student from the teacher with offline, "
                + "online-teacher and online-student data, a low-diversity dataset and a generation-budget sweep, for every seed; "
                + "proxy (teacher↔student) and golden (oracle↔student) metrics on the validation prompts; hacking detection; "
                + "report.html, plots and summary.json in --out.",
            "Stage 0 is skipped (the oracle is given); stage 1 too when --teacher and --student are given, otherwise they are "
                + "trained by SFT on the oracle's answers from --teacher-init/--student-init. All checkpoints must share one "
                + "vocabulary (tokenizer.json). Resumes where a killed run stopped."})
public final class TeacherHackingCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--oracle", required = true, description = "Oracle checkpoint directory (stands for the truth).")
    Path oracle;

    @Option(names = "--teacher", description = "Teacher checkpoint directory.")
    Path teacher;

    @Option(names = "--student", description = "The student's initial checkpoint directory.")
    Path student;

    @Option(names = "--teacher-init", description = "Without --teacher/--student: the teacher's config.json (random init) or "
            + "checkpoint directory (start from its weights), trained by SFT on the oracle's answers.")
    Path teacherInit;

    @Option(names = "--student-init", description = "Without --teacher/--student: the student's config.json or checkpoint directory.")
    Path studentInit;

    @Option(names = "--prompts", required = true, description = "Distillation prompts JSONL ({\"prompt\": …}).")
    Path prompts;

    @Option(names = "--val-prompts", description = "Validation prompts JSONL (the proxy and golden metrics are measured on them).")
    Path valPrompts;

    @Option(names = "--val-fraction", description = "Without --val-prompts: the fraction of --prompts held out for validation, "
            + "chosen by a hash of the text. Default: 0.1.")
    Double valFraction;

    @Option(names = "--sft-prompts", description = "Stage 1: the prompts the oracle answers for the SFT of teacher and student "
            + "(default: the distillation prompts).")
    Path sftPrompts;

    @Option(names = "--seeds", split = ",", defaultValue = "1,2,3", description = "Distillation seeds. Default: ${DEFAULT-VALUE}.")
    List<Long> seeds;

    @Option(names = "--distill-prompts", description = "P: prompts per seed (a seeded choice among --prompts; default all of them).")
    Integer distillPrompts;

    @Option(names = "--generations", defaultValue = "2", description = "G: teacher generations per prompt of the offline dataset. "
            + "Default: ${DEFAULT-VALUE}.")
    int generations;

    @Option(names = "--diversity-factor", defaultValue = "2.5", description = "f: the low-diversity dataset has P/f prompts × G·f "
            + "generations. Default: ${DEFAULT-VALUE}.")
    double diversityFactor;

    @Option(names = "--budgets", split = ",", defaultValue = "1,2,4,8", description = "Generations per prompt of the budget sweep. "
            + "Default: ${DEFAULT-VALUE}.")
    List<Integer> budgets;

    @Option(names = "--max-steps", defaultValue = "200", description = "Optimizer steps of every distillation run (the demo's). Default: ${DEFAULT-VALUE}.")
    int steps;

    @Option(names = "--batch-size", defaultValue = "16", description = "Sequences per step. Default: ${DEFAULT-VALUE}.")
    int batchSize;

    @Option(names = "--lr", defaultValue = "1e-3", description = "Distillation learning rate: the peak after 10 warmup steps. "
            + "Default: ${DEFAULT-VALUE}.")
    double lr;

    @Option(names = "--final-lr", description = "Learning rate at the end of the cosine decay from --lr, at the last step "
            + "(default: --lr, a constant rate).")
    Double finalLr;

    @Option(names = "--loss", defaultValue = "fkl", description = "fkl, rkl, jsd, skl, srkl or tvd (docs/losses.md). Default: ${DEFAULT-VALUE}.")
    String loss;

    @Option(names = "--loss-temperature", defaultValue = "1.0", description = "Softmax temperature of both models in the loss. Default: ${DEFAULT-VALUE}.")
    double temperature;

    @Option(names = "--eval-every", defaultValue = "25", description = "Proxy/golden evaluation every k steps (plus k/4 and k/2). "
            + "Default: ${DEFAULT-VALUE}.")
    int evalEvery;

    @Option(names = "--val-size", defaultValue = "48", description = "Validation prompts used (one oracle, teacher and student "
            + "sample each per evaluation). Default: ${DEFAULT-VALUE}.")
    int valSize;

    @Option(names = "--max-new-tokens", defaultValue = "64", description = "Generation cap. Default: ${DEFAULT-VALUE}.")
    int maxNewTokens;

    @Option(names = "--sft-steps", defaultValue = "800", description = "Stage 1 SFT steps. Default: ${DEFAULT-VALUE}.")
    int sftSteps;

    @Option(names = "--sft-batch-size", defaultValue = "32", description = "Stage 1 SFT batch. Default: ${DEFAULT-VALUE}.")
    int sftBatch;

    @Option(names = "--sft-lr", defaultValue = "3e-3", description = "Stage 1 SFT learning rate. Default: ${DEFAULT-VALUE}.")
    double sftLr;

    @Option(names = "--variants", split = ",", description = "Only these distillation runs, e.g. offline,online-teacher "
            + "(default: all: offline, online-teacher, online-student, low-diversity, budget-N).")
    List<String> variants;

    @Option(names = "--out", defaultValue = "runs/teacher-hacking", description = "Run directory. Default: ${DEFAULT-VALUE}.")
    Path out;

    @Option(names = "--workers", description = "Parallel worker processes, one PyTorch thread each (default: the number of cores).")
    Integer workers;

    @Override
    public Integer call() {
        long t0 = System.nanoTime();
        LabConfig cfg = config();
        LabInputs inputs = new LabInputs(oracle, teacher, student, teacherInit, studentInit, prompts, valPrompts,
                valPrompts == null ? (valFraction == null ? 0.1 : valFraction) : (valFraction == null ? 0 : valFraction), sftPrompts);
        SftCommand.prepareOut(out);
        cfg = LabInputsSetup.prepareInputs(out, cfg, inputs);
        Path configFile = out.resolve("config.yaml");
        if (Files.exists(configFile)) {
            requireSameSettings(configFile, cfg);
        }
        cfg.write(configFile);
        int w = workers != null ? workers : Runtime.getRuntime().availableProcessors();
        if (w < 1) {
            throw new UserError("--workers must be >= 1");
        }
        new TeacherHackingLab(out, cfg, inputs, LabJob.Runner.workers(w)).run();
        LabReport lab = new LabReport(out);
        Path report = lab.write();
        lab.summary().verdictLines().forEach(spec.commandLine().getOut()::println);
        spec.commandLine().getOut().printf("teacher-hacking experiment finished in %.1f min; report: %s%n",
                (System.nanoTime() - t0) / 6e10, report.toAbsolutePath());
        spec.commandLine().getOut().flush();
        return 0;
    }

    private LabConfig config() {
        if (seeds.isEmpty()) {
            throw new UserError("--seeds needs at least one seed");
        }
        if (generations < 1) {
            throw new UserError("--generations must be >= 1");
        }
        if (!(diversityFactor > 1)) {
            throw new UserError("--diversity-factor must be > 1");
        }
        for (int b : budgets) {
            if (b < 1) {
                throw new UserError("--budgets must be >= 1 each");
            }
        }
        for (int[] v : new int[][] {{steps, 0}, {batchSize, 1}, {evalEvery, 2}, {valSize, 3}, {maxNewTokens, 4}, {sftSteps, 5},
            {sftBatch, 6}}) {
            if (v[0] < 1) {
                String[] names = {"--max-steps", "--batch-size", "--eval-every", "--val-size", "--max-new-tokens", "--sft-steps",
                    "--sft-batch-size"};
                throw new UserError(names[v[1]] + " must be >= 1");
            }
        }
        if (distillPrompts != null && distillPrompts < 1) {
            throw new UserError("--distill-prompts must be >= 1");
        }
        if (!(lr > 0) || !(sftLr > 0) || !(temperature > 0)) {
            throw new UserError("--lr, --sft-lr and --loss-temperature must be > 0");
        }
        if (finalLr != null && !(finalLr >= 0)) {
            throw new UserError("--final-lr must be >= 0");
        }
        Divergence.parse(loss, 0.5, 0.1); // an unknown loss fails here, before any work
        // stages 0 and 1 of the embedded task do not run on the user's inputs: their sizes are 0; the prompt counts are
        // capped by the user's files (LabInputsSetup.prepareInputs)
        LabConfig cfg = LabConfig.builder().seeds(List.copyOf(seeds)).oracleExamples(0).oracleSteps(0).oraclePrompts(Integer.MAX_VALUE)
                .sftSteps(sftSteps).sftBatch(sftBatch).sftLr(sftLr)
                .distillPrompts(distillPrompts == null ? Integer.MAX_VALUE : distillPrompts).generations(generations)
                .diversityFactor(diversityFactor).budgets(List.copyOf(budgets)).distillSteps(steps).distillBatch(batchSize)
                .distillLr(lr).distillFinalLr(finalLr).loss(loss).temperature(temperature).evalEvery(evalEvery).valPrompts(valSize).maxNewTokens(maxNewTokens)
                .variants(variants == null ? List.of() : List.copyOf(variants)).build();
        LabVariant.selected(cfg); // an unknown variant fails here, before any work
        return cfg;
    }

    /** A run directory is resumed only with the settings it was made with (more or other seeds and variants are fine). */
    private static void requireSameSettings(Path file, LabConfig cfg) {
        LabConfig old = LabConfig.read(file);
        if (!old.withSeeds(cfg.seeds()).toBuilder().variants(cfg.variants()).build().equals(cfg)) {
            throw new UserError(file + ": this run directory was made with other settings (" + old + "); choose another --out "
                    + "(or delete it)");
        }
    }
}
