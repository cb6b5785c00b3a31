package org.distill4j.cli;

import java.util.concurrent.Callable;
import org.distill4j.gad.GadMethod;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code distill seqkd}: sequence-level KD, i.e. SFT of the student on a black-box teacher's responses. */
@Command(name = "seqkd", mixinStandardHelpOptions = true,
        description = "Sequence-level knowledge distillation: cross-entropy on the teacher's responses (the black-box "
                + "baseline of GAD), with the same teacher sources, evaluation and metrics as the gad verb.")
public final class SeqKdCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    GadOptions run;

    @Option(names = "--max-steps", defaultValue = "250", description = "Optimizer steps. Default: ${DEFAULT-VALUE}.")
    long maxSteps;

    @Override
    public Integer call() {
        var cfg = run.config(GadMethod.SEQKD, 0, 0, maxSteps, 0, new GadOptions.Game(1, 1.0, 0.0, 0, 0.2, 0));
        return run.run(cfg, null, spec, spec.commandLine().getErr(), spec.commandLine().getOut());
    }
}
