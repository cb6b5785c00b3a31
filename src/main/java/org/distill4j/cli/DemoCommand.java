package org.distill4j.cli;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import org.distill4j.experiment.LabConfig;
import org.distill4j.experiment.LabJob;
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

    @Option(names = "--seeds", description = "Number of distillation seeds (default 3; 1 with --quick).")
    Integer seeds;

    @Option(names = "--workers", description = "Parallel worker processes for the lab's runs, one PyTorch thread each "
            + "(default: the number of cores).")
    Integer workers;

    @Option(names = "--task", defaultValue = "embedded", description = "What the oracle is trained on and the prompts come "
            + "from: embedded (the grammar, docs/embedded-task.md) or shakespeare (the shipped corpus, natural language). "
            + "Default: ${DEFAULT-VALUE}.")
    String task;

    @Option(names = "--max-steps", description = "Optimizer steps of every distillation run (default 200; 100 with --quick).")
    Integer maxSteps;

    @Option(names = "--eval-every", description = "Proxy/golden evaluation every k steps, plus k/4 and k/2 (default 25; 20 with "
            + "--quick).")
    Integer evalEvery;

    @Override
    public Integer call() {
        long t0 = System.nanoTime();
        LabConfig cfg = switch (task) {
            case "embedded" -> quick ? LabConfig.quick() : LabConfig.standard();
            case "shakespeare" -> quick ? LabConfig.shakespeareQuick() : LabConfig.shakespeare();
            default -> throw new UserError("--task must be embedded or shakespeare, not '" + task + "'");
        };
        if (workers != null && workers < 1) {
            throw new UserError("--workers must be >= 1");
        }
        if (maxSteps != null || evalEvery != null) {
            if ((maxSteps != null && maxSteps < 1) || (evalEvery != null && evalEvery < 1)) {
                throw new UserError("--max-steps and --eval-every must be >= 1");
            }
            cfg = cfg.toBuilder().distillSteps(maxSteps != null ? maxSteps : cfg.distillSteps())
                    .evalEvery(evalEvery != null ? evalEvery : cfg.evalEvery()).build();
        }
        if (seeds != null) {
            cfg = cfg.withSeeds(seedList(seeds));
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
