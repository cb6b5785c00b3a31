package org.distill4j.cli;

import ai.djl.ndarray.NDManager;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.distill4j.data.Example;
import org.distill4j.data.PromptTemplate;
import org.distill4j.data.SftData;
import org.distill4j.lm.Checkpoint;
import org.distill4j.lm.ModelConfig;
import org.distill4j.lm.Tokenizer;
import org.distill4j.lm.Transformer;
import org.distill4j.train.RunSettings;
import org.distill4j.train.SftObjective;
import org.distill4j.train.TrainConfig;
import org.distill4j.train.ObjectiveStep;
import org.distill4j.train.Trainer;
import org.distill4j.util.UserError;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code distill sft}: supervised fine-tuning (or training from scratch) on prompt/response JSONL. */
@Command(name = "sft", mixinStandardHelpOptions = true,
        description = "Supervised training on {\"prompt\", \"response\"} JSONL, loss on response tokens only "
                + "(template: BOS + prompt tokens, then response tokens + EOS; see docs/formats.md).")
public final class SftCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @ArgGroup(exclusive = true, multiplicity = "1")
    Start start;

    static final class Start {
        @Option(names = "--model", description = "Start from this checkpoint directory.")
        Path model;

        @ArgGroup(exclusive = false)
        Init init;
    }

    static final class Init {
        @Option(names = "--init", required = true, description = "Train a new model with this config.json.")
        Path config;

        @Option(names = "--tokenizer", required = true, description = "tokenizer.json for the new model.")
        Path tokenizer;
    }

    @Option(names = "--data", required = true, description = "Training JSONL.")
    Path data;

    @Option(names = "--out", required = true, description = "Output directory: final model, metrics.jsonl, config.yaml, checkpoint/.")
    Path out;

    @Option(names = "--val", description = "Validation JSONL.")
    Path val;

    @Option(names = "--val-fraction", description = "Hold out this fraction of --data for validation instead.")
    Double valFraction;

    @Option(names = "--max-length", defaultValue = "512", description = "Longer examples are truncated (counted in the log). Default: ${DEFAULT-VALUE}.")
    int maxLength;

    @Mixin
    TrainOptions train;

    @Override
    public Integer call() {
        prepareOut(out);
        RunSettings settings = ConfigFile.startRun(spec, out, train.resume);
        try (NDManager base = NDManager.newBaseManager()) {
            Transformer model;
            Path tokenizerFile;
            if (start.model != null) {
                model = Checkpoint.loadTransformer(start.model, base);
                tokenizerFile = start.model.resolve(Checkpoint.TOKENIZER);
                train.lora.attach(model, start.model, train.seed);
            } else {
                if (train.lora.config() != null) {
                    throw new UserError("--lora-r adapts a trained base: give it with --model, not --init");
                }
                ModelConfig c = ModelConfig.read(start.init.config);
                model = Transformer.random(c, base, train.seed);
                tokenizerFile = start.init.tokenizer;
            }
            try (Tokenizer tok = Checkpoint.loadTokenizer(tokenizerFile.getParent() == null ? Path.of(".") : tokenizerFile.getParent(),
                    tokenizerFile, model.config())) {
                long eos = model.config().eosTokenId();
                if (eos < 0) {
                    throw new UserError("the model config has no eos_token_id; the SFT template needs one");
                }
                // conversations ("messages") use the chat template beside the tokenizer, when there is one
                PromptTemplate template = PromptTemplate.forCheckpoint(tokenizerFile.toAbsolutePath().getParent(), tok, eos);
                int maxLen = Math.min(maxLength, model.config().maxPositionEmbeddings());
                SftData.Loaded loaded = SftData.load(data, template, model.config().vocabSize(), maxLen);
                List<Example> trainSet = loaded.examples();
                List<Example> valSet = List.of();
                int truncated = loaded.truncated();
                if (val != null) {
                    SftData.Loaded v = SftData.load(val, template, model.config().vocabSize(), maxLen);
                    valSet = v.examples();
                    truncated += v.truncated();
                } else if (valFraction != null) {
                    List<List<Example>> parts = SftData.split(trainSet, valFraction, train.seed);
                    trainSet = parts.get(0);
                    valSet = parts.get(1);
                }
                System.err.printf("sft: %d training and %d validation examples, %d truncated to %d tokens%n",
                        trainSet.size(), valSet.size(), truncated, maxLen);
                SftObjective objective = new SftObjective(model, trainSet, valSet, train.batchSize, train.gradAccum, train.seed);
                TrainConfig config = train.toConfig(objective.stepsPerEpoch());
                Trainer.Result r = new Trainer(out, config.loop()).settings(settings)
                        .run(new ObjectiveStep(model, config, objective, Map.of(Checkpoint.TOKENIZER, tokenizerFile)), train.resume);
                System.err.println("sft: " + r.steps() + " steps; model saved to " + out
                        + (r.lastRow() != null && r.lastRow().has("val_loss") ? String.format("; val_loss %.4f", r.lastRow().get("val_loss").asDouble()) : ""));
            } finally {
                model.close();
            }
        }
        return 0;
    }

    /** Creates the output directory or fails clearly before any work is done. */
    static void prepareOut(Path out) {
        try {
            Files.createDirectories(out);
        } catch (IOException e) {
            throw new UserError(out + ": cannot create the output directory (" + e.getClass().getSimpleName() + ")");
        }
        if (!Files.isWritable(out)) {
            throw new UserError(out + ": output directory is not writable");
        }
    }
}
