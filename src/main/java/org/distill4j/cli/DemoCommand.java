package org.distill4j.cli;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import org.distill4j.experiment.LabConfig;
import org.distill4j.experiment.LabJob;
import org.distill4j.experiment.LabVariant;
import org.distill4j.experiment.TeacherHackingLab;
import org.distill4j.report.LabReport;
import org.distill4j.util.AtomicFiles;
import org.distill4j.util.UserError;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code distill demo}: the teacher-hacking lab on the embedded task, the GAD toy, and the report. */
@Command(name = "demo", mixinStandardHelpOptions = true,
        description = "Runs the teacher-hacking lab on the embedded task (oracle → teacher → student; offline, "
                + "online-teacher and online-student data; prompt diversity; generation budget; ≥ 3 seeds), the GAD "
                + "Gaussian-mixture toy, and writes report.html. Resumes where a killed run stopped.")
public final class DemoCommand implements Callable<Integer> {
    @Option(names = "--out", defaultValue = "runs/demo", description = "Run directory. Default: ${DEFAULT-VALUE}.")
    Path out;

    @Option(names = "--quick", description = "A reduced version (one seed, smaller models and runs) for smoke tests.")
    boolean quick;

    @Option(names = "--paper", description = "The preset that shows the paper's Fig. 4 signature on the embedded task: "
            + "384 offline prompts × 2 generations, 800 distillation steps at learning rate 5e-4 decayed by a cosine to 2e-4, "
            + "evaluation every 40 (the "
            + "golden metric turns up while the held-out proxy still falls; docs/teacher-hacking-lab.md). Its distillation "
            + "runs are 4 times as long.")
    boolean paper;

    @Option(names = "--seeds", description = "Number of distillation seeds (default 3; 1 with --quick).")
    Integer seeds;

    @Option(names = "--workers", description = "Parallel worker processes for the lab's runs, one PyTorch thread each "
            + "(default: the number of cores).")
    Integer workers;

    @Option(names = "--task", defaultValue = "embedded", description = "What the oracle is trained on and the prompts come "
            + "from: embedded (the grammar, docs/embedded-task.md) or shakespeare (the shipped corpus, natural language). "
            + "Default: ${DEFAULT-VALUE}.")
    String task;

    @Option(names = "--max-steps", description = "Optimizer steps of every distillation run (default 200; 100 with --quick, 800 "
            + "with --paper).")
    Integer maxSteps;

    @Option(names = "--eval-every", description = "Proxy/golden evaluation every k steps, plus k/4 and k/2 (default 25; 20 with "
            + "--quick, 40 with --paper).")
    Integer evalEvery;

    @Option(names = "--lr", description = "Distillation learning rate: the peak after 10 warmup steps (default 1e-3, 5e-4 with "
            + "--paper).")
    Double lr;

    @Option(names = "--final-lr", description = "Learning rate at the end of the cosine decay from --lr, at the last step "
            + "(default: --lr, a constant rate; 2e-4 with --paper).")
    Double finalLr;

    @Option(names = "--val-size", description = "Validation prompts used (one oracle, teacher and student sample each per "
            + "evaluation; default 48, 24 with --quick or --task shakespeare).")
    Integer valSize;

    @Option(names = "--variants", split = ",", description = "Only these distillation runs, e.g. offline,online-teacher "
            + "(default: all: offline, online-teacher, online-student, low-diversity, budget-N).")
    List<String> variants;

    @Override
    public Integer call() {
        long t0 = System.nanoTime();
        LabConfig cfg = config();
        if (workers != null && workers < 1) {
            throw new UserError("--workers must be >= 1");
        }
        SftCommand.prepareOut(out);
        cfg.write(out.resolve("config.yaml"));
        int w = workers != null ? workers : Runtime.getRuntime().availableProcessors();
        new TeacherHackingLab(out, cfg, LabJob.Runner.workers(w)).run();
        runToy(out.resolve("toy"), quick);
        LabReport lab = new LabReport(out);
        Path report = lab.write();
        lab.summary().verdictLines().forEach(System.out::println);
        System.out.printf("demo finished in %.1f min; report: %s%n", (System.nanoTime() - t0) / 6e10, report.toAbsolutePath());
        return 0;
    }

    /** The lab's configuration from the flags: the preset (standard, --quick, --paper, --task) and the flags that change it. */
    LabConfig config() {
        if (paper && (quick || !task.equals("embedded"))) {
            throw new UserError("--paper is a preset of the embedded task's full demo: not with --quick or --task " + task);
        }
        LabConfig cfg = switch (task) {
            case "embedded" -> quick ? LabConfig.quick() : paper ? LabConfig.paper() : LabConfig.standard();
            case "shakespeare" -> quick ? LabConfig.shakespeareQuick() : LabConfig.shakespeare();
            default -> throw new UserError("--task must be embedded or shakespeare, not '" + task + "'");
        };
        if (maxSteps != null || evalEvery != null) {
            if ((maxSteps != null && maxSteps < 1) || (evalEvery != null && evalEvery < 1)) {
                throw new UserError("--max-steps and --eval-every must be >= 1");
            }
            cfg = cfg.toBuilder().distillSteps(maxSteps != null ? maxSteps : cfg.distillSteps())
                    .evalEvery(evalEvery != null ? evalEvery : cfg.evalEvery()).build();
        }
        if (lr != null) {
            if (!(lr > 0)) {
                throw new UserError("--lr must be > 0");
            }
            cfg = cfg.toBuilder().distillLr(lr).build();
        }
        if (finalLr != null) {
            if (!(finalLr >= 0)) {
                throw new UserError("--final-lr must be >= 0");
            }
            cfg = cfg.toBuilder().distillFinalLr(finalLr).build();
        }
        if (valSize != null) {
            if (valSize < 1) {
                throw new UserError("--val-size must be >= 1");
            }
            cfg = cfg.toBuilder().valPrompts(valSize).build();
        }
        if (seeds != null) {
            cfg = cfg.withSeeds(seedList(seeds));
        }
        if (variants != null) {
            cfg = cfg.toBuilder().variants(variants).build();
            LabVariant.selected(cfg); // an unknown name fails here, before any work
        }
        return cfg;
    }

    /** Seeds 1..n of a {@code --seeds n} flag. */
    static List<Long> seedList(int n) {
        if (n < 1) {
            throw new UserError("--seeds must be >= 1");
        }
        List<Long> s = new ArrayList<>();
        for (long i = 1; i <= n; i++) {
            s.add(i);
        }
        return s;
    }

    static void runToy(Path dir, boolean quick) {
        StringWriter table = new StringWriter();
        int code = Main.run(new PrintWriter(table, true), new PrintWriter(System.err, true),
                "toy", "--out", dir.toString(), "--seeds", quick ? "3" : "5");
        if (code != 0) {
            throw new IllegalStateException("the toy failed with exit code " + code);
        }
        AtomicFiles.writeString(dir.resolve("table.txt"), table.toString());
    }
}
