package org.distill4j.bench;

import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import org.distill4j.generate.Sampler;
import org.distill4j.generate.SamplingParams;
import org.distill4j.lm.Checkpoint;
import org.distill4j.lm.InitialValues;
import org.distill4j.lm.ModelConfig;
import org.distill4j.lm.Safetensors;
import org.distill4j.lm.Transformer;
import org.distill4j.train.AdamW;
import org.distill4j.train.AdamWConfig;
import org.distill4j.util.UserError;

/**
 * {@code bench real}: a published model's architecture at its real size, with random weights written in BF16,
 * timed at what a distillation run does with it (load, generate, train) beside transformers on the same files
 * in the same run (tools/real_peer.py).
 */
public final class RealBench {
    /** snake_case JSON for the measurements, shared with tools/real_peer.py. */
    public static final ObjectMapper JSON = new ObjectMapper().setPropertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE);

    private RealBench() {}

    /**
     * What to bench: {@code bench real}'s flags (configs/bench-real/*.yaml sets them).
     *
     * @param checkpoint where the random BF16 checkpoint is written on first use
     * @param config     the model's config.json as published
     */
    public record Config(String name, Path checkpoint, JsonNode config, int prompts, int promptTokens, int newTokens,
                         int trainBatch, int trainSeq, int trainSteps, long seed) {
        public Config {
            for (int v : new int[] {prompts, promptTokens, newTokens, trainBatch, trainSeq, trainSteps}) {
                if (v < 1) {
                    throw new UserError("bench real: --prompts, --prompt-tokens, --new-tokens, --train-batch, --train-seq and "
                            + "--train-steps must be >= 1");
                }
            }
            ModelConfig.fromJson(config, name + " (--model-config)");
        }

        public ModelConfig modelConfig() {
            return ModelConfig.fromJson(config, name);
        }
    }

    /**
     * One phase's figures.
     *
     * @param impl            distill4j or transformers
     * @param tokensPerSecond generated or trained tokens per second (0 for load)
     * @param rssBeforeMb     RSS when the phase began
     * @param peakRssMb       the process's peak RSS during the phase
     */
    public record Measurement(String model, String impl, String phase, double seconds, double tokensPerSecond,
                              double rssBeforeMb, double peakRssMb, String note) {
        public Measurement {
            seconds = Math.round(seconds * 1000) / 1000.0;
            tokensPerSecond = Math.round(tokensPerSecond * 10) / 10.0;
            rssBeforeMb = Math.round(rssBeforeMb * 10) / 10.0;
            peakRssMb = Math.round(peakRssMb * 10) / 10.0;
        }
    }

    /** Writes config.json and random N(0, 0.02²) weights in BF16, one tensor at a time, unless the checkpoint exists. */
    public static boolean ensureCheckpoint(Config c) {
        Path weights = c.checkpoint().resolve(Checkpoint.WEIGHTS);
        if (Files.isRegularFile(weights)) {
            return false;
        }
        ModelConfig mc = c.modelConfig();
        try {
            Files.createDirectories(c.checkpoint());
        } catch (IOException e) {
            throw new UserError(c.checkpoint() + ": cannot create: " + e.getMessage(), e);
        }
        ObjectNode json = c.config().deepCopy();
        json.put("torch_dtype", "bfloat16");
        org.distill4j.util.Json.write(c.checkpoint().resolve(Checkpoint.CONFIG), json);
        SplittableRandom rng = new SplittableRandom(c.seed());
        Map<String, long[]> shapes = Transformer.parameterShapes(mc);
        Safetensors.writeStreaming(weights, shapes, Safetensors.DType.BF16,
                (name, offset, block) -> InitialValues.fill(mc, name, block, rng));
        return true;
    }

    /** Runs the phases on distill4j; {@code train} false skips the training steps. */
    public static List<Measurement> run(Config c, boolean train) {
        List<Measurement> out = new ArrayList<>();
        ModelConfig mc = c.modelConfig();
        try (NDManager base = NDManager.newBaseManager()) {
            double before = phaseStart();
            long t0 = System.nanoTime();
            try (Transformer model = Checkpoint.loadTransformer(c.checkpoint(), base)) {
                double f32Mb = mc.parameterCount() * 4 / 1048576.0;
                out.add(new Measurement(c.name(), "distill4j", "load", seconds(t0), 0, before, PeakRss.peakMegabytes(),
                        String.format("f32 weights %.0f MiB", f32Mb)));
                out.add(generate(c, model));
                if (train) {
                    out.add(trainSteps(c, model));
                }
            }
        }
        return out;
    }

    private static double phaseStart() {
        System.gc();
        PeakRss.reset();
        return PeakRss.megabytes();
    }

    private static double seconds(long t0) {
        return (System.nanoTime() - t0) / 1e9;
    }

    private static Measurement generate(Config c, Transformer model) {
        SplittableRandom rng = new SplittableRandom(c.seed() + 1);
        List<long[]> prompts = new ArrayList<>();
        for (int i = 0; i < c.prompts(); i++) {
            prompts.add(rng.longs(c.promptTokens(), 1, model.config().vocabSize()).toArray()); // 0 is the peer's padding
        }
        Sampler sampler = new Sampler(model, null, c.prompts());
        sampler.generate(prompts, SamplingParams.of(1.0, 2, c.seed(), Set.of())); // warm-up
        double before = phaseStart();
        long t0 = System.nanoTime();
        // no EOS: every row generates new_tokens, as the peer's min_new_tokens forces
        sampler.generate(prompts, SamplingParams.of(1.0, c.newTokens(), c.seed(), Set.of()));
        double s = seconds(t0);
        return new Measurement(c.name(), "distill4j", "generate", s, (double) c.prompts() * c.newTokens() / s, before,
                PeakRss.peakMegabytes(), c.prompts() + " prompts x " + c.promptTokens() + " tokens, " + c.newTokens()
                        + " new tokens each, temperature 1, KV cache");
    }

    private static Measurement trainSteps(Config c, Transformer model) {
        int b = c.trainBatch();
        int t = c.trainSeq();
        SplittableRandom rng = new SplittableRandom(c.seed() + 2);
        long[] tokens = rng.longs((long) b * (t + 1), 0, model.config().vocabSize()).toArray();
        double before = phaseStart();
        double last = 0;
        List<String> steps = new ArrayList<>();
        try (AdamW opt = new AdamW(model.parameters(), AdamWConfig.DEFAULT)) {
            model.setTrainable(true);
            for (int s = 0; s < c.trainSteps(); s++) {
                long t0 = System.nanoTime();
                TrainBench.step(model, opt, tokens, b, t);
                last = seconds(t0);
                steps.add(String.format("%.1f", last));
            }
            model.setTrainable(false);
        }
        return new Measurement(c.name(), "distill4j", "train_step", last, b * t / last, before, PeakRss.peakMegabytes(),
                "batch " + b + " x " + t + ", cross-entropy, backward, AdamW; the last of " + c.trainSteps() + " steps (s: "
                        + String.join(", ", steps) + ")");
    }

    /**
     * Bytes a full fine-tune holds at the least: F32 weights, gradients and AdamW's two moments (activations and
     * the engine's workspace come on top).
     */
    public static long trainingStateBytes(ModelConfig c) {
        return c.parameterCount() * 16;
    }

    /** Runs tools/real_peer.py on the same checkpoint (with the user's malloc settings) and returns its measurements. */
    public static List<Measurement> peer(Path python, Path script, Config c, boolean train) {
        List<String> cmd = new ArrayList<>(List.of(python.toString(), script.toString(), "--dir", c.checkpoint().toString(),
                "--name", c.name(), "--prompts", "" + c.prompts(), "--prompt-tokens", "" + c.promptTokens(), "--new-tokens",
                "" + c.newTokens(), "--train-batch", "" + c.trainBatch(), "--train-seq", "" + c.trainSeq(), "--train-steps",
                "" + c.trainSteps(), "--seed", "" + c.seed()));
        if (!train) {
            cmd.add("--skip-train");
        }
        List<Measurement> out = new ArrayList<>();
        for (JsonNode n : PytorchPeer.jsonLines(python, script, cmd, false)) {
            try {
                out.add(JSON.treeToValue(n, Measurement.class));
            } catch (IOException e) {
                throw new UserError(script + ": unexpected output line " + n + ": " + e.getMessage(), e);
            }
        }
        return out;
    }

    /**
     * Whether a full fine-tune's state ({@link #trainingStateBytes}) stays within 80 % of {@code availableBytes}
     * (unknown, -1: assumed to fit): bench real and bench lora skip their full training phase otherwise.
     */
    public static boolean fullTrainingFits(ModelConfig c, long availableBytes) {
        return availableBytes <= 0 || trainingStateBytes(c) <= 0.8 * availableBytes;
    }

    /** Where bench real and bench lora keep a model's random checkpoint unless told: runs/bench-real/&lt;name&gt;. */
    public static Path defaultCheckpoint(String name) {
        return Path.of("runs", "bench-real", name.toLowerCase(java.util.Locale.ROOT));
    }

    /** MemAvailable in bytes, or -1. */
    public static long availableBytes() {
        double mb = PeakRss.availableMegabytes();
        return mb < 0 ? -1 : (long) (mb * 1048576);
    }
}
