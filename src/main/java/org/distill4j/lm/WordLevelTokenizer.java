package org.distill4j.lm;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Path;
import java.util.LinkedHashSet;
import java.util.List;
import org.distill4j.util.Json;

/**
 * Writes a word-level {@code tokenizer.json} (whitespace split, one id per word) for the project's
 * synthetic languages. The Rust tokenizers library cannot be trained from Java, and a word-level
 * vocabulary is exactly what a procedural language needs; the file is a valid Hugging Face tokenizer
 * that {@link Tokenizer} and transformers' PreTrainedTokenizerFast both load.
 */
public final class WordLevelTokenizer {
    public static final String PAD = "<pad>";
    public static final String BOS = "<s>";
    public static final String EOS = "</s>";
    public static final String UNK = "<unk>";
    /** Ids of the special tokens, fixed so configs can name them. */
    public static final int PAD_ID = 0;
    public static final int BOS_ID = 1;
    public static final int EOS_ID = 2;
    public static final int UNK_ID = 3;

    private WordLevelTokenizer() {}

    /** The tokenizer.json for {@code words} (duplicates dropped, order kept) after the four specials. */
    public static ObjectNode json(List<String> words) {
        // a tree mirroring HF's tokenizer.json (tagged unions such as {"SpecialToken": {...}}): plainer than a dozen one-use records
        ObjectNode root = Json.object();
        root.put("version", "1.0");
        root.putNull("truncation");
        root.putNull("padding");
        ArrayNode added = root.putArray("added_tokens");
        String[] specials = {PAD, BOS, EOS, UNK};
        for (int i = 0; i < specials.length; i++) {
            ObjectNode t = added.addObject();
            t.put("id", i);
            t.put("content", specials[i]);
            t.put("single_word", false);
            t.put("lstrip", false);
            t.put("rstrip", false);
            t.put("normalized", false);
            t.put("special", true);
        }
        root.putNull("normalizer");
        root.putObject("pre_tokenizer").put("type", "WhitespaceSplit");
        ObjectNode post = root.putObject("post_processor");
        post.put("type", "TemplateProcessing");
        ArrayNode single = post.putArray("single");
        single.addObject().putObject("SpecialToken").put("id", BOS).put("type_id", 0);
        single.addObject().putObject("Sequence").put("id", "A").put("type_id", 0);
        ArrayNode pair = post.putArray("pair");
        pair.addObject().putObject("SpecialToken").put("id", BOS).put("type_id", 0);
        pair.addObject().putObject("Sequence").put("id", "A").put("type_id", 0);
        pair.addObject().putObject("Sequence").put("id", "B").put("type_id", 1);
        ObjectNode st = post.putObject("special_tokens").putObject(BOS);
        st.put("id", BOS);
        st.putArray("ids").add(BOS_ID);
        st.putArray("tokens").add(BOS);
        ObjectNode dec = root.putObject("decoder");
        dec.put("type", "WordPiece"); // joins tokens with spaces (no "##" pieces exist in a word-level vocab)
        dec.put("prefix", "##");
        dec.put("cleanup", false);
        ObjectNode model = root.putObject("model");
        model.put("type", "WordLevel");
        ObjectNode vocab = model.putObject("vocab");
        for (int i = 0; i < specials.length; i++) {
            vocab.put(specials[i], i);
        }
        int id = specials.length;
        for (String w : new LinkedHashSet<>(words)) {
            if (w.isBlank() || w.chars().anyMatch(Character::isWhitespace)) {
                throw new IllegalArgumentException("word-level tokens cannot be blank or contain spaces: '" + w + "'");
            }
            if (!vocab.has(w)) {
                vocab.put(w, id++);
            }
        }
        model.put("unk_token", UNK);
        return root;
    }

    public static void write(Path file, List<String> words) {
        Json.write(file, json(words));
    }
}
