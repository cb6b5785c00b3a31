package org.distill4j.lm;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import org.distill4j.util.Json;
import org.distill4j.util.UserError;

/**
 * A Hugging Face {@code tokenizer.json} loaded through DJL's binding of the Rust tokenizers library,
 * with padding and truncation off (language-model data must never be silently cut or padded here).
 * Special tokens (BOS) are added exactly as the file's post-processor says when asked for.
 * The project's own word-level tokenizers are written as tokenizer.json too ({@link WordLevelTokenizer}),
 * so this is the one loading path.
 */
public final class Tokenizer implements AutoCloseable {
    /** Tokens of context {@link #decodeAfter} decodes before a continuation (enough for any decoder's look-back). */
    static final int CONTEXT = 8;

    private final Path file;
    private final HuggingFaceTokenizer hf;
    private final Map<String, Integer> specialIds;
    private final int vocabSize;

    private Tokenizer(Path file, HuggingFaceTokenizer hf, Map<String, Integer> specialIds, int vocabSize) {
        this.file = file;
        this.hf = hf;
        this.specialIds = specialIds;
        this.vocabSize = vocabSize;
    }

    /** Loads {@code tokenizer.json} (a file, or a directory holding one). */
    public static Tokenizer load(Path path) {
        Path file = Files.isDirectory(path) ? path.resolve("tokenizer.json") : path;
        JsonNode root = Json.read(file);
        JsonNode model = root.path("model");
        if (!model.isObject()) {
            throw new UserError(file + ": not a tokenizer.json (no 'model' object)");
        }
        int size = 0;
        JsonNode vocab = model.path("vocab");
        if (vocab.isObject()) {
            for (JsonNode id : vocab) {
                size = Math.max(size, id.asInt() + 1);
            }
        } else if (vocab.isArray()) { // Unigram: [[piece, score], ...]
            size = vocab.size();
        }
        Map<String, Integer> special = new HashMap<>();
        for (JsonNode t : root.path("added_tokens")) {
            size = Math.max(size, t.path("id").asInt() + 1);
            special.put(t.path("content").asText(), t.path("id").asInt());
        }
        try {
            HuggingFaceTokenizer hf = HuggingFaceTokenizer.builder()
                    .optTokenizerPath(file)
                    .optPadding(false)
                    .optTruncation(false)
                    .optAddSpecialTokens(true)
                    .build();
            return new Tokenizer(file, hf, special, size);
        } catch (IOException | RuntimeException e) {
            throw new UserError(file + ": cannot load tokenizer: " + e.getMessage(), e);
        }
    }

    public Path file() {
        return file;
    }

    /** Ids are 0..vocabSize-1 (model vocab plus added tokens). */
    public int vocabSize() {
        return vocabSize;
    }

    /** Token ids of {@code text}; with {@code addSpecialTokens} the file's post-processor adds BOS etc. */
    public long[] encode(String text, boolean addSpecialTokens) {
        return hf.encode(text, addSpecialTokens, false).getIds();
    }

    /** Text of {@code ids}, special tokens skipped. */
    public String decode(long[] ids) {
        return hf.decode(ids, true);
    }

    /** Text of {@code ids}, with special tokens (e.g. {@code </s>}) written out unless skipped. */
    public String decode(long[] ids, boolean skipSpecialTokens) {
        return hf.decode(ids, skipSpecialTokens);
    }

    /**
     * The text that {@code ids} add when they follow {@code context}: decode(context + ids) minus decode(context),
     * over the last {@value #CONTEXT} tokens of the context. This is how transformers' streamers and vLLM turn
     * generated tokens into text. Decoding {@code ids} alone is wrong for a continuation: a SentencePiece
     * (metaspace) decoder strips the leading space of the first token of a text ("frog" + "who" instead of
     * "frog" + " who"), and a byte-level token may complete a character begun in the context.
     */
    public String decodeAfter(long[] context, long[] ids, boolean skipSpecialTokens) {
        long[] window = window(context);
        return after(window, hf.decode(window, skipSpecialTokens), ids, skipSpecialTokens);
    }

    /** The text of each of {@code alternatives} placed after {@code context} (top-k lists), the context decoded once. */
    public String[] decodeEachAfter(long[] context, long[] alternatives, boolean skipSpecialTokens) {
        long[] window = window(context);
        String before = hf.decode(window, skipSpecialTokens);
        String[] out = new String[alternatives.length];
        for (int i = 0; i < out.length; i++) {
            out[i] = after(window, before, new long[] {alternatives[i]}, skipSpecialTokens);
        }
        return out;
    }

    private static long[] window(long[] context) {
        return java.util.Arrays.copyOfRange(context, Math.max(0, context.length - CONTEXT), context.length);
    }

    private String after(long[] window, String before, long[] ids, boolean skipSpecialTokens) {
        if (window.length == 0) {
            return hf.decode(ids, skipSpecialTokens);
        }
        long[] all = java.util.Arrays.copyOf(window, window.length + ids.length);
        System.arraycopy(ids, 0, all, window.length, ids.length);
        String with = hf.decode(all, skipSpecialTokens);
        int common = 0; // the context's text, up to a character the continuation completes
        while (common < before.length() && common < with.length() && before.charAt(common) == with.charAt(common)) {
            common++;
        }
        return with.substring(common);
    }

    /** As {@link #decodeAfter(long[], long[], boolean)}, special tokens skipped (the text of a generation). */
    public String decodeAfter(long[] context, long[] ids) {
        return decodeAfter(context, ids, true);
    }

    /** Id of an added (special) token such as {@code </s>}. */
    public Optional<Integer> specialId(String token) {
        return Optional.ofNullable(specialIds.get(token));
    }

    /** Copies the tokenizer file into a checkpoint directory. */
    public void copyTo(Path dir) {
        try {
            byte[] bytes = Files.readAllBytes(file);
            org.distill4j.util.AtomicFiles.write(dir.resolve("tokenizer.json"), out -> out.write(bytes));
        } catch (IOException e) {
            throw new UserError(file + ": cannot read: " + e.getMessage(), e);
        }
    }

    @Override
    public void close() {
        hf.close();
    }
}
