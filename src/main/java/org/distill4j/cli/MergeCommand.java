package org.distill4j.cli;

import ai.djl.ndarray.NDManager;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import org.distill4j.lm.Checkpoint;
import org.distill4j.lm.LanguageModel;
import org.distill4j.lm.Safetensors;
import org.distill4j.lm.TokenizerConfig;
import org.distill4j.lm.Transformer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code distill merge}: a LoRA adapter merged into its base, written as an ordinary checkpoint. */
@Command(name = "merge", mixinStandardHelpOptions = true,
        description = "Merge a PEFT LoRA adapter into its base (W + scale·B·A per adapted module) and write a full Hugging Face "
                + "checkpoint that transformers and every verb load without the adapter (as PEFT's merge_and_unload).")
public final class MergeCommand implements Callable<Integer> {
    @Option(names = "--base", required = true, description = "The base checkpoint directory the adapter was trained on.")
    Path base;

    @Option(names = "--adapter", required = true, paramLabel = "DIR", description = "The PEFT LoRA adapter directory.")
    Path adapter;

    @Option(names = "--out", required = true, description = "Directory of the merged checkpoint (replaced atomically).")
    Path out;

    @Option(names = "--bf16", description = "Store the weights as BF16 (default F32).")
    boolean bf16;

    @Override
    public Integer call() {
        try (LanguageModel lm = LanguageModel.load(base, adapter); NDManager m = lm.manager().newSubManager()) {
            Transformer merged = lm.transformer().merged(m);
            Map<String, Path> files = new LinkedHashMap<>();
            // the base's tokenizer files travel with the weights, so the merged directory loads on its own
            for (String f : new String[] {Checkpoint.TOKENIZER, TokenizerConfig.FILE, TokenizerConfig.TEMPLATE_FILE,
                    Checkpoint.GENERATION_CONFIG, "special_tokens_map.json"}) {
                if (Files.isRegularFile(base.resolve(f))) {
                    files.put(f, base.resolve(f));
                }
            }
            Checkpoint.save(out, merged, bf16 ? Safetensors.DType.BF16 : Safetensors.DType.F32, files);
            System.err.printf("merge: %d adapted modules (r = %d) merged into %s; written to %s%n", lm.transformer().lora().modules().size(),
                    lm.transformer().lora().config().r(), base, out);
        }
        return 0;
    }
}
