package org.distill4j.train;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.distill4j.cli.Main;
import org.distill4j.experiment.EmbeddedTask;

/** A tiny embedded-task SFT setup shared by the training and CLI tests. */
public final class SftResumeTestSupport {
    private SftResumeTestSupport() {}

    public static void writeTinySetup(Path dir) throws Exception {
        assertThat(Main.run("task", "--n", "96", "--seed", "3", "--out", dir.resolve("train.jsonl").toString(),
                "--tokenizer-out", dir.resolve("tokenizer.json").toString())).isZero();
        assertThat(Main.run("task", "--n", "16", "--split", "validation", "--out", dir.resolve("val.jsonl").toString())).isZero();
        int vocab = new EmbeddedTask().vocabulary().size() + 4; // the word-level tokenizer's specials
        Files.writeString(dir.resolve("config.json"), """
                {"model_type": "llama", "vocab_size": %d, "hidden_size": 32, "intermediate_size": 64, "num_hidden_layers": 2,
                 "num_attention_heads": 4, "num_key_value_heads": 2, "max_position_embeddings": 128, "rms_norm_eps": 1e-5,
                 "rope_theta": 10000.0, "tie_word_embeddings": true, "bos_token_id": 1, "eos_token_id": 2, "pad_token_id": 0}
                """.formatted(vocab));
    }

    public static List<String> sftArgs(Path dir, Path out) {
        return new ArrayList<>(List.of("sft", "--init", dir.resolve("config.json").toString(),
                "--tokenizer", dir.resolve("tokenizer.json").toString(), "--data", dir.resolve("train.jsonl").toString(),
                "--val", dir.resolve("val.jsonl").toString(), "--out", out.toString(), "--max-steps", "12",
                "--batch-size", "8", "--lr", "3e-3", "--lr-warmup-steps", "3", "--save-every", "6", "--eval-every", "4",
                "--log-every", "2", "--seed", "5"));
    }

}
