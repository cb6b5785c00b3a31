package org.distill4j.cli;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.distill4j.experiment.toy.MixtureTeacher;
import org.distill4j.experiment.toy.ToyConfig;
import org.distill4j.experiment.toy.ToyExperiment;
import org.distill4j.experiment.toy.ToyPlot;
import org.distill4j.experiment.toy.ToyReport;
import org.distill4j.experiment.toy.ToyResult;
import org.distill4j.util.Json;
import org.distill4j.util.UserError;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code distill toy}: the Gaussian-mixture toy of GAD. Trains a single discretised Gaussian on a
 * discretised Gaussian-mixture teacher with SeqKD (maximum likelihood on teacher samples) and with GAD
 * (Bradley–Terry discriminator + group-normalised REINFORCE) for several seeds, then writes
 * {@code toy.png} and {@code metrics.json} and prints the metrics table.
 */
@Command(name = "toy", mixinStandardHelpOptions = true,
        description = {
            "Gaussian-mixture toy: SeqKD (MLE on teacher samples) covers the modes, GAD (discriminator + REINFORCE) seeks one.",
            "Writes DIR/toy.png and DIR/metrics.json and prints forward/reverse KL, entropy and mode masses (mean ± std over seeds)."
        })
public final class ToyCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Option(names = "--seeds", defaultValue = "5", description = "Number of seeds (default: ${DEFAULT-VALUE}).")
    int seeds;

    @Option(names = "--first-seed", defaultValue = "1", description = "Seeds run are FIRST, FIRST+1, … (default: ${DEFAULT-VALUE}).")
    long firstSeed;

    @Option(names = "--out", defaultValue = "runs/toy", description = "Output directory (default: ${DEFAULT-VALUE}).")
    Path out;

    @Option(names = "--max-steps", defaultValue = "1000", description = "Optimiser steps per method (default: ${DEFAULT-VALUE}).")
    int steps;

    @Option(names = "--samples", defaultValue = "32",
            description = "Teacher samples per SeqKD step; student (and teacher) samples per GAD step (default: ${DEFAULT-VALUE}).")
    int samples;

    @Option(names = "--classes", defaultValue = "10", description = "Number of classes 0..K-1 (default: ${DEFAULT-VALUE}).")
    int classes;

    @Option(names = "--teacher", defaultValue = "0.5:1:0.5,0.5:6:0.5", paramLabel = "W:MEAN:SIGMA[,…]",
            description = "Teacher mixture components, weight:mean:sigma comma-separated (default: ${DEFAULT-VALUE}).")
    String teacher;

    @Option(names = "--init-mu", defaultValue = "4.5", description = "Student's initial mean (default: ${DEFAULT-VALUE}).")
    double initMu;

    @Option(names = "--init-sigma", defaultValue = "3.0", description = "Student's initial standard deviation (default: ${DEFAULT-VALUE}).")
    double initSigma;

    @Option(names = "--seqkd-lr", defaultValue = "0.05", description = "SeqKD Adam learning rate (default: ${DEFAULT-VALUE}).")
    double seqKdLr;

    @Option(names = "--gad-lr", defaultValue = "0.01", description = "GAD student Adam learning rate (default: ${DEFAULT-VALUE}).")
    double gadLr;

    @Option(names = "--disc-lr", defaultValue = "0.2", description = "Discriminator Adam learning rate (default: ${DEFAULT-VALUE}).")
    double discLr;

    @Option(names = "--disc-decay", defaultValue = "0.0", description = "Discriminator L2 penalty (default: ${DEFAULT-VALUE}).")
    double discDecay;

    @Override
    public Integer call() {
        ToyConfig config = new ToyConfig(classes, parseTeacher(teacher), initMu, initSigma, steps, samples, seqKdLr,
                gadLr, discLr, discDecay, seeds, firstSeed);
        PrintWriter err = spec.commandLine().getErr();
        PrintWriter stdout = spec.commandLine().getOut();

        long start = System.nanoTime();
        ToyResult result = ToyExperiment.run(config, line -> {
            err.println(line);
            err.flush();
        });
        Path png = out.resolve("toy.png");
        Path metrics = out.resolve("metrics.json");
        Json.write(metrics, ToyReport.json(result));
        ToyPlot.writePng(result, png);
        double seconds = (System.nanoTime() - start) / 1e9;

        stdout.print(ToyReport.table(result));
        stdout.printf(Locale.ROOT, "wrote %s and %s in %.1f s%n", png, metrics, seconds);
        stdout.flush();
        return 0;
    }

    /** Parses "w:mean:sigma,w:mean:sigma" into mixture components, naming the bad piece in the error. */
    static List<MixtureTeacher.Mode> parseTeacher(String spec) {
        List<MixtureTeacher.Mode> modes = new ArrayList<>();
        for (String part : spec.split(",")) {
            String[] fields = part.trim().split(":");
            if (fields.length != 3) {
                throw new UserError("--teacher: '" + part + "' is not weight:mean:sigma");
            }
            try {
                modes.add(new MixtureTeacher.Mode(Double.parseDouble(fields[0]), Double.parseDouble(fields[1]),
                        Double.parseDouble(fields[2])));
            } catch (NumberFormatException e) {
                throw new UserError("--teacher: '" + part + "' has a value that is not a number");
            } catch (IllegalArgumentException e) {
                throw new UserError("--teacher: '" + part + "': " + e.getMessage());
            }
        }
        return modes;
    }
}
