package org.distill4j.cli;

import java.util.concurrent.Callable;
import org.distill4j.gad.GadMethod;
import org.distill4j.gad.GameMonitor;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code distill gad}: black-box on-policy distillation (discriminator + GRPO), or the frozen-discriminator baseline. */
@Command(name = "gad", mixinStandardHelpOptions = true,
        description = "Generative adversarial distillation from a black-box teacher (text only): a discriminator initialised "
                + "from the student scores responses (Bradley–Terry); the student learns by GRPO on that reward. Warmup: "
                + "cross-entropy on teacher responses while the discriminator trains. --method frozen-d runs the "
                + "off-policy baseline (SeqKD, then a discriminator trained on the frozen student, then GRPO against it, "
                + "frozen). See docs/gad.md.")
public final class GadCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    GadOptions run;

    @Option(names = "--method", defaultValue = "gad", description = "gad, frozen-d, gad-no-g-warmup or gad-no-d-warmup (the paper's warmup ablations). Default: ${DEFAULT-VALUE}.")
    String method;

    @Option(names = "--max-steps", defaultValue = "250", description = "Optimizer steps in all, the warmup's included. Default: ${DEFAULT-VALUE}.")
    long maxSteps;

    @Option(names = "--gad-warmup-steps", defaultValue = "50",
            description = "Steps of GAD's warmup phase (generator SeqKD, discriminator Bradley-Terry; SeqKD steps of frozen-d). Default: ${DEFAULT-VALUE}.")
    long warmup;

    @Option(names = "--d-alone-steps", defaultValue = "1",
            description = "gad: first warmup steps that train the discriminator only (the reference: ~1 %% of the warmup). Default: ${DEFAULT-VALUE}.")
    long dAlone;

    @Option(names = "--discriminator-steps", defaultValue = "100",
            description = "frozen-d: discriminator steps on the frozen student's samples. Default: ${DEFAULT-VALUE}.")
    long dSteps;

    @Option(names = "--samples", defaultValue = "8", description = "Student samples per prompt (N). Default: ${DEFAULT-VALUE}.")
    int samples;

    @Option(names = "--temperature", defaultValue = "0.8", description = "Sampling temperature of the rollouts. Default: ${DEFAULT-VALUE}.")
    double temperature;

    @Option(names = "--d-lr", description = "Discriminator learning rate. Default: the student's (--lr), as in the reference scripts.")
    Double dLr;

    @Option(names = "--d-max-grad-norm", defaultValue = "0.2", description = "Discriminator gradient-norm clip. Default: ${DEFAULT-VALUE}.")
    double dMaxGradNorm;

    @Option(names = "--clip", defaultValue = "0.2", description = "PPO clip range. Default: ${DEFAULT-VALUE}.")
    double clip;

    @Option(names = "--kl-coef", defaultValue = "0.001", description = "k3 KL coefficient to the post-warmup student. Default: ${DEFAULT-VALUE}.")
    double klCoef;

    @Option(names = "--on-hacking", defaultValue = "warn",
            description = "warn or stop when the game monitor sees the game collapse (d_acc sustained near 0 or 1, rollout length or "
                    + "repetition drifting from the warmup's level; docs/gad.md). Default: ${DEFAULT-VALUE}.")
    String onHacking;

    @Override
    public Integer call() {
        if (!java.util.List.of("warn", "stop").contains(onHacking)) {
            throw new org.distill4j.util.UserError("--on-hacking must be warn or stop, not '" + onHacking + "'");
        }
        GadMethod m;
        try {
            m = GadMethod.parse(method);
        } catch (IllegalArgumentException e) {
            throw new org.distill4j.util.UserError("--method: " + e.getMessage());
        }
        if (m == GadMethod.SEQKD) {
            throw new org.distill4j.util.UserError("--method seqkd: use the seqkd verb");
        }
        if (maxSteps <= warmup) {
            throw new org.distill4j.util.UserError("--max-steps " + maxSteps + " leaves no step after --gad-warmup-steps " + warmup);
        }
        var cfg = run.config(m, warmup, dAlone, maxSteps - warmup, dSteps,
                new GadOptions.Game(samples, temperature, dLr, dMaxGradNorm, clip, klCoef));
        var monitor = new GameMonitor(GameMonitor.Thresholds.defaults(), onHacking.equals("stop"));
        return run.run(cfg, monitor, spec, spec.commandLine().getErr(), spec.commandLine().getOut());
    }
}
