package org.distill4j.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import org.distill4j.lm.Checkpoint;
import org.distill4j.lm.LanguageModel;
import org.distill4j.lm.Lora;
import org.distill4j.util.Json;
import org.distill4j.util.UserError;
import picocli.CommandLine.Option;

/** {@code --adapter DIR}: a PEFT LoRA adapter applied on the --model checkpoint (generate, score, serve). */
public final class AdapterOption {
    @Option(names = "--adapter", paramLabel = "DIR", description = "A PEFT LoRA adapter directory (adapter_config.json + "
            + "adapter_model.safetensors, e.g. a LoRA run's output) applied on --model. A --model that is itself such a "
            + "directory is applied on the base its adapter_config.json names.")
    Path dir;

    /** The model of --model with the adapter applied (an adapter directory as --model brings its base). */
    LanguageModel load(Path model) {
        if (dir == null && Lora.isAdapter(model) && !Files.isRegularFile(model.resolve(Checkpoint.CONFIG))) {
            String base = Json.read(model.resolve(Lora.CONFIG)).path("base_model_name_or_path").asText("");
            if (base.isEmpty() || !Files.isDirectory(Path.of(base))) {
                throw new UserError(model.resolve(Lora.CONFIG) + ": base_model_name_or_path '" + base
                        + "' is not a checkpoint directory here; give the base with --model and this directory with --adapter");
            }
            return LanguageModel.load(Path.of(base), model);
        }
        return LanguageModel.load(model, dir);
    }
}
