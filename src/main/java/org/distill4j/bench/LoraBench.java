package org.distill4j.bench;

import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.distill4j.lm.Checkpoint;
import org.distill4j.lm.Lora;
import org.distill4j.lm.LoraConfig;
import org.distill4j.lm.Transformer;
import org.distill4j.train.AdamW;
import org.distill4j.train.AdamWConfig;
import org.distill4j.util.UserError;

/**
 * {@code bench lora}: full fine-tuning against LoRA on a model at its real size (bench real's random BF16 checkpoint):
 * peak RSS, step time and trainable parameters of the same training step (cross-entropy, backward, AdamW). Each mode
 * runs in a child JVM of its own, so neither inherits the other's freed-but-kept memory and each peak is its own.
 */
public final class LoraBench {
    private LoraBench() {}

    /**
     * One mode's figures.
     *
     * @param mode            "full" or "lora r=…"
     * @param peakRssMb       the process's peak RSS over the training steps (weights, gradients, optimizer state and
     *                        activations are all resident then)
     * @param stepSeconds     the last step's time
     * @param rssAfterLoadMb  RSS with the model loaded, before any step
     */
    public record Row(String model, String mode, long trainableParams, long totalParams, double stepSeconds, double tokensPerSecond,
                      double rssAfterLoadMb, double peakRssMb, String note) {
        public Row {
            stepSeconds = Math.round(stepSeconds * 1000) / 1000.0;
            tokensPerSecond = Math.round(tokensPerSecond * 10) / 10.0;
            rssAfterLoadMb = Math.round(rssAfterLoadMb * 10) / 10.0;
            peakRssMb = Math.round(peakRssMb * 10) / 10.0;
        }
    }

    /** Trains {@code c.trainSteps()} steps on random tokens in this process: all parameters, or adapters of {@code lora}. */
    public static Row train(RealBench.Config c, LoraConfig lora) {
        try (NDManager base = NDManager.newBaseManager(); Transformer model = Checkpoint.loadTransformer(c.checkpoint(), base)) {
            if (lora != null) {
                model.attach(Lora.init(model.config(), lora, c.checkpoint().toString(), model.manager(), c.seed()));
            }
            long total = count(model.parameters().values());
            long trainable = count(model.trainableParameters().values());
            int b = c.trainBatch();
            int t = c.trainSeq();
            long[] tokens = new SplittableRandom(c.seed() + 2).longs((long) b * (t + 1), 0, model.config().vocabSize()).toArray();
            System.gc();
            PeakRss.reset();
            double loaded = PeakRss.megabytes();
            double last = 0;
            List<String> steps = new ArrayList<>();
            try (AdamW opt = new AdamW(model.trainableParameters(), AdamWConfig.DEFAULT)) {
                model.setTrainable(true);
                for (int s = 0; s < c.trainSteps(); s++) {
                    long t0 = System.nanoTime();
                    TrainBench.step(model, opt, tokens, b, t);
                    last = (System.nanoTime() - t0) / 1e9;
                    steps.add(String.format("%.1f", last));
                }
                model.setTrainable(false);
            }
            String mode = lora == null ? "full" : "lora r=" + lora.r();
            return new Row(c.name(), mode, trainable, total, last, b * t / last, loaded, PeakRss.peakMegabytes(),
                    "batch " + b + " x " + t + ", cross-entropy, backward, AdamW (F32); " + (lora == null ? "every parameter"
                    : lora.r() + "-rank adapters on " + String.join(",", lora.targets()) + ", base frozen") + "; the last of "
                    + c.trainSteps() + " steps (s: " + String.join(", ", steps) + ")");
        }
    }

    private static long count(java.util.Collection<ai.djl.ndarray.NDArray> arrays) {
        return arrays.stream().mapToLong(a -> a.getShape().size()).sum();
    }

    /**
     * Runs {@code command} (a child JVM running one mode) and reads the row it prints as a JSON line; the child is killed
     * if its RSS exceeds {@code maxRssMb} (0: no limit), so a mode that does not fit cannot take the machine down.
     */
    public static Row child(String mode, List<String> command, double maxRssMb) {
        try {
            Process p = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.INHERIT).start();
            java.util.concurrent.atomic.AtomicBoolean killed = new java.util.concurrent.atomic.AtomicBoolean();
            Thread guard = Thread.ofVirtual().start(() -> {
                java.nio.file.Path status = java.nio.file.Path.of("/proc", Long.toString(p.pid()), "status");
                while (maxRssMb > 0 && p.isAlive()) {
                    double rss = PeakRss.field(status, "VmRSS:");
                    if (rss > maxRssMb) {
                        killed.set(true);
                        p.destroyForcibly();
                        return;
                    }
                    try {
                        Thread.sleep(100);
                    } catch (InterruptedException e) {
                        return;
                    }
                }
            });
            Row row = null;
            try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
                for (String line = r.readLine(); line != null; line = r.readLine()) {
                    if (line.startsWith("{")) {
                        JsonNode n = RealBench.JSON.readTree(line);
                        row = RealBench.JSON.treeToValue(n, Row.class);
                    }
                }
            }
            int code = p.waitFor();
            guard.interrupt();
            if (killed.get()) {
                throw new UserError("bench lora: the " + mode + " run passed --max-rss-gb (" + Math.round(maxRssMb / 1024) + " GiB) and was "
                        + "killed; try a smaller --train-batch / --train-seq, or --skip-full");
            }
            if (code != 0 || row == null) {
                throw new UserError("bench lora: the " + mode + " run exited with " + code + (row == null ? " and no result" : ""));
            }
            return row;
        } catch (IOException e) {
            throw new UserError("bench lora: cannot start the " + mode + " run: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }
}
