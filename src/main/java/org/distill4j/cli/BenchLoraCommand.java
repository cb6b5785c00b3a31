package org.distill4j.cli;

import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import org.distill4j.bench.LoraBench;
import org.distill4j.bench.RealBench;
import org.distill4j.lm.LoraConfig;
import org.distill4j.lm.ModelConfig;
import org.distill4j.util.Json;
import org.distill4j.util.UserError;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code distill bench lora}: full fine-tuning vs LoRA at a model's real size: peak RSS, step time, trainable parameters. */
@Command(name = "lora", mixinStandardHelpOptions = true,
        description = "Training steps (batch × seq, cross-entropy, AdamW) of a model at its real size with random BF16 weights "
                + "(bench real's checkpoint, written on first use), once training every parameter and once LoRA adapters "
                + "(--lora-*), each in a child JVM: one JSON line per mode (peak RSS, step time, trainable parameters), then a "
                + "Markdown table. Takes bench real's --config files.")
final class BenchLoraCommand implements Callable<Integer> {
    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Option(names = "--name", required = true, description = "The model's name in the output.")
    String name;

    @Option(names = "--model-config", required = true, description = "The model's config.json as published.")
    Path modelConfig;

    @Option(names = "--checkpoint", description = "Where the random BF16 checkpoint is written on first use (and read "
            + "afterwards). Default: runs/bench-real/<name>.")
    Path checkpoint;

    @Option(names = "--train-batch", defaultValue = "1", description = "Default: ${DEFAULT-VALUE}.")
    int trainBatch;

    @Option(names = "--train-seq", defaultValue = "256", description = "Default: ${DEFAULT-VALUE}.")
    int trainSeq;

    @Option(names = "--train-steps", defaultValue = "3", description = "Steps timed (the last is reported). Default: ${DEFAULT-VALUE}.")
    int trainSteps;

    @Option(names = {"--prompts", "--prompt-tokens", "--new-tokens"}, hidden = true, description = "bench real's generation "
            + "settings, accepted so its --config files serve here too; unused.")
    int unusedGenerationSettings;

    @Option(names = "--seed", defaultValue = "0", description = "Default: ${DEFAULT-VALUE}.")
    long seed;

    @Option(names = "--config", description = "YAML of these flags (configs/bench-real/*.yaml).")
    Path config;

    @Option(names = "--only", hidden = true, description = "Run one mode (full or lora) in this process: the child runs.")
    String only;

    @Option(names = "--skip-full", description = "LoRA only (when a full fine-tune does not fit in memory).")
    boolean skipFull;

    @Option(names = "--max-rss-gb", defaultValue = "14", description = "A mode's run is killed when its RSS passes this "
            + "(0 = no limit). Default: ${DEFAULT-VALUE}.")
    double maxRssGb;

    @Mixin
    LoraOptions lora;

    @Override
    public Integer call() {
        ModelConfig.read(modelConfig);
        RealBench.Config c = new RealBench.Config(name,
                checkpoint != null ? checkpoint : RealBench.defaultCheckpoint(name),
                Json.read(modelConfig), 1, 1, 1, trainBatch, trainSeq, trainSteps, seed);
        LoraConfig adapters = lora.config();
        if (adapters == null) {
            throw new UserError("bench lora: give the adapters to compare with --lora-r (e.g. --lora-r 16)");
        }
        java.io.PrintWriter out = spec.commandLine().getOut();
        if (only != null) {
            out.println(json(LoraBench.train(c, only.equals("full") ? null : adapters)));
            out.flush();
            return 0;
        }
        if (RealBench.ensureCheckpoint(c)) {
            System.err.println("bench lora: wrote random BF16 weights to " + c.checkpoint());
        }
        long state = RealBench.trainingStateBytes(c.modelConfig());
        long available = RealBench.availableBytes();
        boolean full = !skipFull;
        if (full && !RealBench.fullTrainingFits(c.modelConfig(), available)) {
            full = false;
            System.err.printf("bench lora: full fine-tuning skipped: its F32 weights, gradients and AdamW moments (%.1f GiB before "
                    + "activations) exceed 80 %% of MemAvailable (%.1f GiB)%n", state / 1073741824.0, available / 1073741824.0);
        }
        List<LoraBench.Row> rows = new ArrayList<>();
        for (String mode : full ? List.of("full", "lora") : List.of("lora")) {
            System.err.println("bench lora: " + mode + " (" + trainSteps + " steps, batch " + trainBatch + " x " + trainSeq + ") ...");
            LoraBench.Row row = LoraBench.child(mode, childCommand(mode), maxRssGb * 1024);
            out.println(json(row));
            rows.add(row);
        }
        out.println();
        out.println("| " + name + ", batch " + trainBatch + " × " + trainSeq + " | trainable parameters | peak RSS | step time |");
        out.println("|---|---|---|---|");
        for (LoraBench.Row r : rows) {
            out.printf("| %s | %,d (%.2f %%) | %.2f GiB | %.1f s |%n", r.mode(), r.trainableParams(),
                    100.0 * r.trainableParams() / r.totalParams(), r.peakRssMb() / 1024, r.stepSeconds());
        }
        out.flush();
        return 0;
    }

    private static String json(LoraBench.Row row) {
        try {
            return RealBench.JSON.writeValueAsString(row);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    /** This verb again, in a child JVM with this one's settings, for one mode. */
    private List<String> childCommand(String mode) {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.addAll(ManagementFactory.getRuntimeMXBean().getInputArguments());
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), Main.class.getName(), "bench", "lora", "--name", name,
                "--model-config", modelConfig.toString(), "--train-batch", "" + trainBatch, "--train-seq", "" + trainSeq,
                "--train-steps", "" + trainSteps, "--seed", "" + seed, "--only", mode, "--lora-r", "" + lora.r, "--lora-alpha",
                "" + lora.alpha, "--lora-target", String.join(",", lora.targets)));
        if (checkpoint != null) {
            cmd.addAll(List.of("--checkpoint", checkpoint.toString()));
        }
        if (lora.rslora) {
            cmd.add("--lora-rslora");
        }
        return cmd;
    }
}
