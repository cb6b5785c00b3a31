package org.distill4j.cli;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import org.distill4j.bench.RealBench;
import org.distill4j.lm.ModelConfig;
import org.distill4j.util.Json;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code distill bench real}: a published architecture at its real size, beside transformers on the same files. */
@Command(name = "real", mixinStandardHelpOptions = true,
        description = "Load, generate (prompts × new tokens, temperature 1) and training steps (batch × seq, cross-entropy, AdamW) "
                + "of a model at its real size with random BF16 weights (written on first use); with --peer-python the same "
                + "with transformers (tools/real_peer.py) first. One JSON line per phase and implementation.")
final class BenchRealCommand implements Callable<Integer> {
    @Option(names = "--name", required = true, description = "The model's name in the output.")
    String name;

    @Option(names = "--model-config", required = true, description = "The model's config.json as published.")
    Path modelConfig;

    @Option(names = "--checkpoint", description = "Where the random BF16 checkpoint is written on first use (and read "
            + "afterwards). Default: runs/bench-real/<name>.")
    Path checkpoint;

    @Option(names = "--prompts", defaultValue = "8", description = "Default: ${DEFAULT-VALUE}.")
    int prompts;

    @Option(names = "--prompt-tokens", defaultValue = "32", description = "Random tokens per prompt. Default: ${DEFAULT-VALUE}.")
    int promptTokens;

    @Option(names = "--new-tokens", defaultValue = "128", description = "Default: ${DEFAULT-VALUE}.")
    int newTokens;

    @Option(names = "--train-batch", defaultValue = "4", description = "Default: ${DEFAULT-VALUE}.")
    int trainBatch;

    @Option(names = "--train-seq", defaultValue = "512", description = "Default: ${DEFAULT-VALUE}.")
    int trainSeq;

    @Option(names = "--train-steps", defaultValue = "2", description = "Steps timed (the last is reported). Default: ${DEFAULT-VALUE}.")
    int trainSteps;

    @Option(names = "--seed", defaultValue = "0", description = "Default: ${DEFAULT-VALUE}.")
    long seed;

    @Option(names = "--config", description = "YAML of these flags (configs/bench-real/*.yaml).")
    Path config;

    @Option(names = "--peer-python", description = "A python with torch + transformers: runs tools/real_peer.py first.")
    Path peerPython;

    @Option(names = "--peer-script", defaultValue = "tools/real_peer.py", description = "Default: ${DEFAULT-VALUE}.")
    Path peerScript;

    @Option(names = "--skip-train", description = "Load and generate only.")
    boolean skipTrain;

    @Option(names = "--force-train", description = "Train even when the weights, gradients and AdamW moments (16 bytes a "
            + "parameter) exceed 80 %% of MemAvailable (by default the training phase is then skipped, with a note).")
    boolean forceTrain;

    @Override
    public Integer call() {
        ModelConfig.read(modelConfig); // a bad config.json fails here, naming the file
        RealBench.Config c = new RealBench.Config(name,
                checkpoint != null ? checkpoint : RealBench.defaultCheckpoint(name),
                Json.read(modelConfig), prompts, promptTokens, newTokens, trainBatch, trainSeq, trainSteps, seed);
        ModelConfig mc = c.modelConfig();
        long state = RealBench.trainingStateBytes(mc);
        long available = RealBench.availableBytes();
        boolean train = !skipTrain;
        String note = String.format("%d parameters; a full fine-tune holds %.1f GiB of F32 weights, gradients and AdamW moments "
                + "before activations; MemAvailable %.1f GiB", mc.parameterCount(), state / 1073741824.0, available / 1073741824.0);
        if (train && !forceTrain && !RealBench.fullTrainingFits(mc, available)) {
            train = false;
            note += "; training skipped (--force-train to run it)";
        }
        println(new Note(c.name(), note));
        if (RealBench.ensureCheckpoint(c)) {
            System.err.println("bench real: wrote random BF16 weights to " + c.checkpoint());
        }
        List<RealBench.Measurement> all = new ArrayList<>();
        if (peerPython != null) {
            // the peer first: it exits and returns its memory, while this JVM keeps what it has touched
            all.addAll(print(RealBench.peer(peerPython, peerScript, c, train)));
        }
        all.addAll(print(RealBench.run(c, train)));
        if (peerPython != null) {
            for (RealBench.Measurement ours : all) {
                if (!ours.impl().equals("distill4j")) {
                    continue;
                }
                all.stream().filter(p -> !p.impl().equals("distill4j") && p.phase().equals(ours.phase())).findFirst()
                        .ifPresent(p -> println(new Ratio(c.name(), ours.phase(), round(ours.seconds() / p.seconds()),
                                round(ours.peakRssMb() / p.peakRssMb()))));
            }
        }
        return 0;
    }

    private static double round(double x) {
        return Math.round(x * 100) / 100.0;
    }

    /** The first line: what the machine can hold, and whether training runs. */
    private record Note(String model, String note) {}

    /** Ours over the peer's, per phase (RealBench.JSON writes the names in snake_case). */
    private record Ratio(String model, String phase, double timeRatio, double peakRssRatio) {}

    private static List<RealBench.Measurement> print(List<RealBench.Measurement> ms) {
        ms.forEach(BenchRealCommand::println);
        return ms;
    }

    /** One JSON line on stdout. */
    private static void println(Object line) {
        try {
            System.out.println(RealBench.JSON.writeValueAsString(line));
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }
}
