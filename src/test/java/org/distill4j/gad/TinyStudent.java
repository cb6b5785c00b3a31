package org.distill4j.gad;

import ai.djl.ndarray.NDManager;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.distill4j.data.Example;
import org.distill4j.lm.Checkpoint;
import org.distill4j.lm.ModelConfig;
import org.distill4j.lm.Safetensors;
import org.distill4j.lm.Transformer;
import org.distill4j.lm.WordLevelTokenizer;

/** A tiny random student checkpoint with a word-level tokenizer (w0 … w19), and prompt/teacher data. */
public final class TinyStudent {
    public static final int WORDS = 20;

    private TinyStudent() {}

    public static List<String> words() {
        List<String> w = new ArrayList<>();
        for (int i = 0; i < WORDS; i++) {
            w.add("w" + i);
        }
        return w;
    }

    /** Token id of word wI. */
    public static long id(int word) {
        return 4 + word;
    }

    public static Path write(Path dir, long seed) throws Exception {
        java.nio.file.Files.createDirectories(dir);
        Path tok = dir.resolve("tokenizer.json");
        WordLevelTokenizer.write(tok, words());
        ModelConfig c = ModelConfig.llama(WORDS + 4, 32, 64, 2, 4, 2, 64, true, WordLevelTokenizer.BOS_ID,
                WordLevelTokenizer.EOS_ID, WordLevelTokenizer.PAD_ID);
        try (NDManager m = NDManager.newBaseManager(); Transformer t = Transformer.random(c, m, seed)) {
            Checkpoint.save(dir, t, Safetensors.DType.F32, Map.of(Checkpoint.TOKENIZER, tok));
        }
        return dir;
    }

    /** Prompt texts of 2–4 random words. */
    public static List<String> promptTexts(int n, long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        List<String> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            StringBuilder b = new StringBuilder();
            int len = 2 + rng.nextInt(3);
            for (int j = 0; j < len; j++) {
                b.append(j == 0 ? "" : " ").append("w").append(rng.nextInt(WORDS));
            }
            out.add(b.toString());
        }
        return out;
    }

    /** The teacher's signature: it always answers "w5 w5 w5 w5 w5", which a random student almost never says. */
    public static final String TEACHER_ANSWER = "w5 w5 w5 w5 w5";

    /** Token examples: BOS + prompt words, the teacher answer + EOS. */
    public static List<Example> examples(List<String> prompts) {
        List<Example> out = new ArrayList<>();
        for (String p : prompts) {
            String[] ws = p.split(" ");
            long[] prompt = new long[ws.length + 1];
            prompt[0] = WordLevelTokenizer.BOS_ID;
            for (int i = 0; i < ws.length; i++) {
                prompt[i + 1] = id(Integer.parseInt(ws[i].substring(1)));
            }
            out.add(new Example(prompt, new long[] {id(5), id(5), id(5), id(5), id(5), WordLevelTokenizer.EOS_ID}));
        }
        return out;
    }
}
