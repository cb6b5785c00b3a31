package org.distill4j.experiment;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.distill4j.lm.Checkpoint;
import org.distill4j.lm.ModelConfig;
import org.distill4j.lm.Tokenizer;
import org.distill4j.util.Json;
import org.distill4j.util.Jsonl;
import org.distill4j.util.UserError;

/** A lab run on the user's checkpoints and prompts: their checks, and the prompt splits written into the run directory. */
public final class LabInputsSetup {
    private LabInputsSetup() {}

    static final String PROMPTS = "prompts.jsonl";
    static final String VAL_PROMPTS = "validation-prompts.jsonl";
    static final String SFT_PROMPTS = "sft-prompts.jsonl";

    /**
     * Prepares a run directory for user inputs: validates them ({@link LabInputs#validate}), writes
     * inputs.json, the shared tokenizer.json and the prompt splits (data/prompts.jsonl,
     * data/validation-prompts.jsonl, data/sft-prompts.jsonl), checks every prompt fits the models' context
     * with {@code maxNewTokens}, and returns {@code cfg} with the distillation prompts P and the validation
     * prompts capped at what the files hold (write that config to config.yaml before running). A run
     * directory prepared before must have the same inputs.
     */
    public static LabConfig prepareInputs(Path dir, LabConfig cfg, LabInputs inputs) {
        inputs.validate();
        try {
            Files.createDirectories(dir.resolve("data"));
        } catch (IOException e) {
            throw new UserError(dir + ": cannot create the run directory: " + e.getMessage(), e);
        }
        LabInputs.read(dir).ifPresent(old -> {
            if (!old.equals(inputs)) {
                throw new UserError(dir.resolve(LabInputs.FILE) + ": this run directory was prepared for other inputs (" + old
                        + "); choose another --out");
            }
        });
        List<String> train = new ArrayList<>();
        List<String> val = new ArrayList<>();
        List<String> all = readPrompts(inputs.prompts());
        if (inputs.valPrompts() != null) {
            train.addAll(all);
            val.addAll(readPrompts(inputs.valPrompts()));
        } else {
            for (String p : all) {
                (heldOut(p, inputs.valFraction()) ? val : train).add(p);
            }
            if (val.isEmpty() || train.isEmpty()) {
                throw new UserError(inputs.prompts() + ": --val-fraction " + inputs.valFraction() + " leaves " + train.size()
                        + " distillation and " + val.size() + " validation prompts of " + all.size()
                        + "; give --val-prompts FILE or another fraction");
            }
        }
        List<String> sftPrompts = inputs.sftPrompts() != null ? readPrompts(inputs.sftPrompts()) : train;
        int context = Integer.MAX_VALUE;
        List<Path> checkpoints = new ArrayList<>(List.of(inputs.oracle()));
        if (inputs.modelsGiven()) {
            checkpoints.add(inputs.teacher());
            checkpoints.add(inputs.student());
        }
        for (Path c : checkpoints) {
            context = Math.min(context, Checkpoint.readConfig(c).maxPositionEmbeddings());
        }
        if (!inputs.modelsGiven()) {
            context = Math.min(context, ModelConfig.read(LabInputs.initConfigFile(inputs.teacherInit())).maxPositionEmbeddings());
            context = Math.min(context, ModelConfig.read(LabInputs.initConfigFile(inputs.studentInit())).maxPositionEmbeddings());
        }
        try (Tokenizer tok = Tokenizer.load(inputs.tokenizer())) {
            checkLengths(tok, all, inputs.prompts(), context, cfg.maxNewTokens());
            if (inputs.valPrompts() != null) {
                checkLengths(tok, val, inputs.valPrompts(), context, cfg.maxNewTokens());
            }
            if (inputs.sftPrompts() != null) {
                checkLengths(tok, sftPrompts, inputs.sftPrompts(), context, cfg.maxNewTokens());
            }
        }
        try {
            Files.copy(inputs.tokenizer(), dir.resolve("tokenizer.json"), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            throw new UserError(dir + ": cannot copy the tokenizer: " + e.getMessage(), e);
        }
        writePrompts(dir.resolve("data").resolve(PROMPTS), train);
        writePrompts(dir.resolve("data").resolve(VAL_PROMPTS), val);
        writePrompts(dir.resolve("data").resolve(SFT_PROMPTS), sftPrompts);
        inputs.write(dir);
        int p = Math.min(cfg.distillPrompts(), train.size());
        if (Math.round(p / cfg.diversityFactor()) < 1) {
            throw new UserError("the low-diversity variant needs P/f >= 1 prompt: P = " + p + ", f = " + cfg.diversityFactor());
        }
        return cfg.toBuilder().distillPrompts(p).valPrompts(Math.min(cfg.valPrompts(), val.size()))
                .oraclePrompts(Math.min(cfg.oraclePrompts(), sftPrompts.size())).build();
    }

    /** Whether a prompt is held out for validation: a hash of its text, so the split does not depend on the file's order. */
    static boolean heldOut(String prompt, double fraction) {
        long h = 1125899906842597L;
        for (byte b : prompt.getBytes(StandardCharsets.UTF_8)) {
            h = 31 * h + b;
        }
        h ^= h >>> 33;
        h *= 0xff51afd7ed558ccdL;
        h ^= h >>> 33;
        return (h >>> 11) * 0x1.0p-53 < fraction;
    }

    /** The "prompt" of every line; a blank prompt or an empty file is an error naming the file (and line). */
    static List<String> readPrompts(Path file) {
        List<String> out = new ArrayList<>();
        for (Jsonl.Line l : Jsonl.read(file)) {
            String p = l.text(file, "prompt");
            if (p.isBlank()) {
                throw new UserError(file + ":" + l.number() + ": empty prompt");
            }
            out.add(p);
        }
        if (out.isEmpty()) {
            throw new UserError(file + ": no prompts");
        }
        return out;
    }

    private static void checkLengths(Tokenizer tok, List<String> prompts, Path file, int context, int maxNewTokens) {
        for (int i = 0; i < prompts.size(); i++) {
            int n = tok.encode(prompts.get(i), true).length;
            if (n + maxNewTokens > context) {
                throw new UserError(file + ": prompt " + (i + 1) + " has " + n + " tokens; with --max-new-tokens " + maxNewTokens
                        + " it exceeds the models' context of " + context + " positions");
            }
        }
    }

    private static void writePrompts(Path file, List<String> prompts) {
        List<ObjectNode> rows = new ArrayList<>();
        for (String p : prompts) {
            ObjectNode r = Json.object();
            r.put("prompt", p);
            rows.add(r);
        }
        Jsonl.write(file, rows);
    }
}
