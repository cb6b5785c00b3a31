package org.distill4j.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.distill4j.experiment.LabJob;
import org.distill4j.experiment.LensConfig;
import org.distill4j.experiment.OracleLens;
import org.distill4j.report.LensReport;
import org.distill4j.util.UserError;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code distill experiment oracle-lens}: SeqKD, GAD and frozen-D on the embedded task, judged by the oracle. */
@Command(name = "oracle-lens", mixinStandardHelpOptions = true,
        description = "Compares black-box distillation methods (SeqKD, GAD, the frozen-discriminator baseline, GAD's warmup "
                + "ablations) on the embedded task with a lab model as a black-box teacher (the oracle by default), judged by the "
                + "oracle (golden metrics, oracle log-likelihood of greedy and sampled responses) and by n-gram overlap and lengths, "
                + "on in- and out-of-distribution topics, over seeds; writes report.html and summary.json. "
                + "See docs/oracle-lens.md. Resumes where a killed run stopped.")
public final class OracleLensCommand implements Callable<Integer> {
    @Option(names = "--out", defaultValue = "runs/oracle-lens", description = "Run directory. Default: ${DEFAULT-VALUE}.")
    Path out;

    @Option(names = "--lab", description = "An existing lab run (e.g. runs/demo) whose oracle, teacher and student-init to use; "
            + "default: train them in OUT/lab.")
    Path lab;

    @Option(names = "--quick", description = "One seed, shorter runs (and quick lab sizes if the lab must be trained).")
    boolean quick;

    @Option(names = "--seeds", description = "Number of seeds (default 3; 1 with --quick).")
    Integer seeds;

    @Option(names = "--lr", description = "The student's learning rate in every method and phase; the discriminator's follows it (default 1e-4).")
    Double lr;

    @Option(names = "--d-lr", description = "The discriminator's learning rate (default: the student's).")
    Double dLr;

    @Option(names = "--gad-warmup-epochs", description = "GAD's warmup (frozen-d's SeqKD phase) in epochs (default 1).")
    Double warmupEpochs;

    @Option(names = "--gad-epochs", description = "GRPO epochs after the warmup (SeqKD continues for as many; default 2).")
    Double gameEpochs;

    @Option(names = "--lens-teacher", description = "The lab model that answers as the black-box teacher: oracle or teacher (default oracle).")
    String lensTeacher;

    @Option(names = "--methods", split = ",", description = "The methods to run (default: seqkd,gad,frozen-d,gad-no-g-warmup,gad-no-d-warmup).")
    java.util.List<String> methods;

    @Option(names = "--workers", description = "Parallel worker processes, one PyTorch thread each (default: the number of cores).")
    Integer workers;

    @Override
    public Integer call() {
        long t0 = System.nanoTime();
        SftCommand.prepareOut(out);
        Path file = out.resolve(LensConfig.FILE);
        LensConfig cfg;
        if (Files.exists(file)) {
            cfg = LensConfig.read(file);
            if (lab != null && !Path.of(cfg.lab()).toAbsolutePath().normalize().equals(lab.toAbsolutePath().normalize())
                    && !out.resolve(cfg.lab()).toAbsolutePath().normalize().equals(lab.toAbsolutePath().normalize())) {
                throw new UserError(file + ": this run uses the lab " + cfg.lab() + ", not " + lab + " (choose another --out)");
            }
        } else {
            String labPath = lab == null ? "lab" : lab.toAbsolutePath().normalize().toString();
            cfg = quick ? LensConfig.quick(labPath) : LensConfig.standard(labPath);
            if (seeds != null) {
                cfg = cfg.withSeeds(DemoCommand.seedList(seeds));
            }
            if (lr != null) {
                if (!(lr > 0)) {
                    throw new UserError("--lr must be > 0");
                }
                cfg = cfg.withGeneratorLr(lr);
            }
            if (dLr != null || warmupEpochs != null) {
                if (dLr != null && !(dLr > 0) || warmupEpochs != null && !(warmupEpochs >= 0)) {
                    throw new UserError("--d-lr must be > 0 and --gad-warmup-epochs >= 0");
                }
                cfg = cfg.withDiscriminator(dLr != null ? dLr : cfg.discriminatorLr(), warmupEpochs != null ? warmupEpochs : cfg.warmupEpochs());
            }
            if (gameEpochs != null) {
                if (!(gameEpochs > 0)) {
                    throw new UserError("--gad-epochs must be > 0");
                }
                cfg = cfg.withGameEpochs(gameEpochs);
            }
            if (methods != null) {
                for (String m : methods) {
                    if (!LensConfig.METHODS.contains(m)) {
                        throw new UserError("--methods: unknown method '" + m + "' (" + String.join(", ", LensConfig.METHODS) + ")");
                    }
                }
                cfg = cfg.withMethods(methods);
            }
            if (lensTeacher != null) {
                if (!java.util.List.of("oracle", "teacher").contains(lensTeacher)) {
                    throw new UserError("--lens-teacher must be oracle or teacher, not '" + lensTeacher + "'");
                }
                cfg = cfg.withTeacher(lensTeacher);
            }
            cfg.write(file);
        }
        int w = workers != null ? workers : Runtime.getRuntime().availableProcessors();
        new OracleLens(out, cfg, LabJob.Runner.workers(w)).run();
        Path report = new LensReport(out).write();
        System.out.printf("oracle lens finished in %.1f min; report: %s%n", (System.nanoTime() - t0) / 6e10, report.toAbsolutePath());
        return 0;
    }
}
