package org.distill4j.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/**
 * {@code distill experiment EXPERIMENT …}: the project's experiments on the user's own models and data.
 * Each experiment is one subcommand class; adding one is one line in {@code subcommands}.
 */
@Command(name = "experiment", mixinStandardHelpOptions = true,
        description = "Runs one of the project's experiments on your checkpoints and prompts.",
        subcommands = {
            TeacherHackingCommand.class,
            OracleLensCommand.class,
        })
public final class ExperimentCommand implements Runnable {
    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "name an experiment: "
                + String.join(", ", spec.subcommands().keySet()));
    }
}
