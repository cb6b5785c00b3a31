package org.distill4j.cli;

import java.nio.file.Path;
import java.util.List;
import org.distill4j.lm.Lora;
import org.distill4j.lm.LoraConfig;
import org.distill4j.lm.Transformer;
import org.distill4j.util.UserError;
import picocli.CommandLine.Option;

/**
 * The LoRA flags of every training verb (sft, kd, seqkd, gad), one mixin so they read the same everywhere: with
 * {@code --lora-r} > 0 the student's base weights are frozen and only PEFT-format adapters are trained and saved.
 */
public final class LoraOptions {
    @Option(names = "--lora-r", defaultValue = "0", description = "LoRA: train rank-r adapters (PEFT format) on the student's "
            + "linear modules, its base weights frozen; 0 = full fine-tuning. Default: ${DEFAULT-VALUE}.")
    int r;

    @Option(names = "--lora-alpha", defaultValue = "16", description = "LoRA: the adapters' output is scaled by alpha/r "
            + "(alpha/sqrt(r) with --lora-rslora). Default: ${DEFAULT-VALUE}.")
    double alpha;

    @Option(names = "--lora-dropout", defaultValue = "0", description = "LoRA: dropout probability of the adapters' inputs "
            + "while training (seeded). Default: ${DEFAULT-VALUE}.")
    double dropout;

    @Option(names = "--lora-target", defaultValue = LoraConfig.ALL_LINEAR, split = ",", description = "LoRA: the adapted modules "
            + "by PEFT's names (q_proj,k_proj,v_proj,o_proj,gate_proj,up_proj,down_proj; qkv_proj, gate_up_proj for phi3; "
            + "c_attn, c_proj, c_fc for gpt2), or all-linear: every linear module but the LM head. Default: ${DEFAULT-VALUE}.")
    List<String> targets;

    @Option(names = "--lora-rslora", description = "LoRA: rank-stabilised scaling alpha/sqrt(r) instead of alpha/r.")
    boolean rslora;

    /** The flags' adapter config, or null without --lora-r. */
    LoraConfig config() {
        if (r == 0) {
            return null;
        }
        try {
            return new LoraConfig(r, alpha, dropout, targets, rslora);
        } catch (IllegalArgumentException e) {
            throw new UserError("--lora-*: " + e.getMessage());
        }
    }

    /**
     * Attaches fresh adapters (seeded) to a student loaded from {@code baseDir} when --lora-r is set; the adapter
     * names that directory as its base.
     */
    void attach(Transformer student, Path baseDir, long seed) {
        LoraConfig c = config();
        if (c != null) {
            student.attach(Lora.init(student.config(), c, baseDir.toAbsolutePath().normalize().toString(), student.manager(), seed));
            long trainable = student.trainableParameters().values().stream().mapToLong(a -> a.getShape().size()).sum();
            long base = student.parameters().values().stream().mapToLong(a -> a.getShape().size()).sum();
            System.err.printf("LoRA r=%d on %d modules: %,d trainable parameters (%.2f%% of the base's %,d, frozen)%n", c.r(),
                    student.lora().modules().size(), trainable, 100.0 * trainable / base, base);
        }
    }
}
