package org.distill4j.serve;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.distill4j.lm.Checkpoint;
import org.distill4j.lm.Fixtures;
import org.distill4j.lm.WordLevelTokenizer;

/**
 * The tiny llama_gqa_tied fixture (vocab 64, context 64) made servable: a word-level tokenizer whose 60
 * words fill the vocabulary, so every id the model can sample decodes to text.
 */
public final class TinyModel {
    private TinyModel() {}

    public static List<String> words() {
        List<String> w = new ArrayList<>();
        for (char c = 'a'; c <= 'z'; c++) {
            w.add(String.valueOf(c));
        }
        for (int i = 0; w.size() < 60; i++) {
            w.add("w" + i);
        }
        return w;
    }

    /** Writes the checkpoint into {@code dir} (created) and returns it. */
    public static Path write(Path dir) throws IOException {
        Files.createDirectories(dir);
        Path src = Fixtures.path("lm/llama_gqa_tied");
        for (String f : List.of(Checkpoint.CONFIG, Checkpoint.WEIGHTS, Checkpoint.GENERATION_CONFIG)) {
            Files.copy(src.resolve(f), dir.resolve(f));
        }
        WordLevelTokenizer.write(dir.resolve(Checkpoint.TOKENIZER), words());
        return dir;
    }
}
