package org.distill4j.cli;

import org.distill4j.train.TrainConfig;
import picocli.CommandLine.Option;

/** The training flags every training verb shares (a picocli mixin). */
public final class TrainOptions {
    @Option(names = "--epochs", defaultValue = "1", description = "Passes over the training data (ignored with --max-steps). Default: ${DEFAULT-VALUE}.")
    double epochs;

    @Option(names = "--max-steps", defaultValue = "0", description = "Optimizer steps; 0 = from --epochs. Default: ${DEFAULT-VALUE}.")
    long maxSteps;

    @Option(names = "--batch-size", defaultValue = "16", description = "Examples per micro-batch. Default: ${DEFAULT-VALUE}.")
    int batchSize;

    @Option(names = "--grad-accum", defaultValue = "1", description = "Micro-batches per optimizer step. Default: ${DEFAULT-VALUE}.")
    int gradAccum;

    @Option(names = "--lr", defaultValue = "3e-4", description = "Peak learning rate. Default: ${DEFAULT-VALUE}.")
    double lr;

    @Option(names = "--final-lr", defaultValue = "3e-5", description = "Learning rate at the end of the cosine decay. Default: ${DEFAULT-VALUE}.")
    double finalLr;

    @Option(names = "--lr-warmup-steps", defaultValue = "20", description = "Linear learning-rate warmup steps. Default: ${DEFAULT-VALUE}.")
    long warmupSteps;

    @Option(names = "--weight-decay", defaultValue = "0.01", description = "AdamW decoupled weight decay (norms, biases, embeddings exempt). Default: ${DEFAULT-VALUE}.")
    double weightDecay;

    @Option(names = "--max-grad-norm", defaultValue = "1.0", description = "Global-norm clipping; 0 = off. Default: ${DEFAULT-VALUE}.")
    double maxGradNorm;

    @Option(names = "--eval-every", defaultValue = "100", description = "Validation every k steps (and at the end). Default: ${DEFAULT-VALUE}.")
    long evalEvery;

    @Option(names = "--save-every", defaultValue = "100", description = "Resumable checkpoint every k steps (and at the end). Default: ${DEFAULT-VALUE}.")
    long saveEvery;

    @Option(names = "--log-every", defaultValue = "10", description = "A metrics row every k steps. Default: ${DEFAULT-VALUE}.")
    long logEvery;

    @Option(names = "--seed", defaultValue = "0", description = "Seeds initialisation, data order and sampling. Default: ${DEFAULT-VALUE}.")
    long seed;

    @Option(names = "--resume", description = "Continue the run saved in --out.")
    boolean resume;

    @Option(names = "--config", description = "YAML file whose keys mirror these flags (flags given here win).")
    java.nio.file.Path config;

    @picocli.CommandLine.Mixin
    LoraOptions lora;

    TrainConfig toConfig(double stepsPerEpoch) {
        long steps = maxSteps > 0 ? maxSteps : (long) Math.ceil(epochs * stepsPerEpoch);
        if (batchSize < 1) {
            throw new org.distill4j.util.UserError("--batch-size must be >= 1");
        }
        if (!(lr > 0)) {
            throw new org.distill4j.util.UserError("--lr must be > 0");
        }
        return new TrainConfig(Math.max(1, steps), gradAccum, lr, Math.min(finalLr, lr), warmupSteps, weightDecay, maxGradNorm,
                evalEvery, saveEvery, logEvery, seed, 5);
    }
}
