package org.distill4j.cli;

import java.io.PrintWriter;
import org.distill4j.util.UserError;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** Entry point of {@code ./distill}: one picocli subcommand per verb. */
@Command(name = "distill", mixinStandardHelpOptions = true, version = "distill4j 0.1.0",
        description = "Knowledge distillation of language models: teacher hacking, GAD, white-box KD.",
        subcommands = {
            DemoCommand.class,
            EvaluateCommand.class,
            GadCommand.class,
            GenerateCommand.class,
            KdCommand.class,
            MergeCommand.class,
            LabWorkerCommand.class,
            ScoreCommand.class,
            SeqKdCommand.class,
            ServeCommand.class,
            SftCommand.class,
            TaskCommand.class,
            TeachCommand.class,
            ToyCommand.class,
            ReportCommand.class,
            ExperimentCommand.class,
            BenchCommand.class,
        })
public final class Main implements Runnable {
    @Option(names = "--verbose", scope = CommandLine.ScopeType.INHERIT, description = "Print stack traces of errors.")
    boolean verbose;

    @Override
    public void run() {
        new CommandLine(this).usage(System.out);
    }

    public static void main(String[] args) {
        System.exit(run(args));
    }

    /** Runs the CLI and returns the exit code (0 ok, 2 bad input, 1 internal error). */
    public static int run(String... args) {
        return run(new PrintWriter(System.out, true), new PrintWriter(System.err, true), args);
    }

    public static int run(PrintWriter out, PrintWriter err, String... args) {
        CommandLine cli = new CommandLine(new Main());
        cli.setOut(out);
        cli.setErr(err);
        boolean verbose = java.util.Arrays.asList(args).contains("--verbose");
        cli.setExecutionExceptionHandler((ex, commandLine, parseResult) -> {
            PrintWriter errOut = commandLine.getErr();
            Throwable cause = ex;
            while (!(cause instanceof UserError) && cause.getCause() != null && cause != cause.getCause()) {
                cause = cause.getCause();
            }
            if (cause instanceof UserError) {
                errOut.println("error: " + cause.getMessage());
                if (verbose) {
                    ex.printStackTrace(errOut);
                }
                errOut.flush();
                return 2;
            }
            errOut.println("internal error: " + ex);
            if (verbose) {
                ex.printStackTrace(errOut);
            } else {
                errOut.println("(run with --verbose for the stack trace)");
            }
            errOut.flush();
            return 1;
        });
        cli.setExitCodeExceptionMapper(t -> 2);
        CommandLine.IParameterExceptionHandler parseErrors = cli.getParameterExceptionHandler();
        cli.setParameterExceptionHandler((ex, arguments) -> {
            if (ex instanceof CommandLine.UnmatchedArgumentException u) {
                String verb = u.getCommandLine().getCommandSpec().qualifiedName().replaceFirst("^distill ", "");
                for (String arg : u.getUnmatched()) {
                    String hint = RenamedFlags.hint(verb, arg);
                    if (hint != null) {
                        u.getCommandLine().getErr().println("error: " + hint);
                        u.getCommandLine().getErr().flush();
                        return 2;
                    }
                }
            }
            return parseErrors.handleParseException(ex, arguments);
        });
        ConfigFile config;
        try {
            config = ConfigFile.fromArgs(args);
        } catch (UserError e) {
            err.println("error: " + e.getMessage());
            err.flush();
            return 2;
        }
        if (config != null) {
            cli.setDefaultValueProvider(config);
            cli.setExecutionStrategy(parseResult -> {
                CommandLine.ParseResult leaf = parseResult;
                while (leaf.hasSubcommand()) {
                    leaf = leaf.subcommand();
                }
                try {
                    config.validate(leaf.commandSpec());
                } catch (UserError e) {
                    throw new CommandLine.ExecutionException(leaf.commandSpec().commandLine(), e.getMessage(), e);
                }
                return new CommandLine.RunLast().execute(parseResult);
            });
        }
        return cli.execute(args);
    }
}
