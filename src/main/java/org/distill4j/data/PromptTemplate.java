package org.distill4j.data;

import java.util.Arrays;
import org.distill4j.lm.Tokenizer;

/**
 * How prompt and response texts become one token sequence, the same everywhere (SFT, KD, GAD,
 * scoring, generation): {@code encode(prompt, with the tokenizer's special tokens, e.g. BOS)} followed by
 * {@code encode(response, without special tokens)} followed by EOS. Nothing is inserted between them:
 * the response is encoded exactly as written (with a byte-level BPE, a leading space in the response
 * text is a token of its own, as in transformers).
 */
public record PromptTemplate(Tokenizer tokenizer, long eos) {
    public long[] prompt(String text) {
        return tokenizer.encode(text, true);
    }

    /** Response tokens followed by EOS. */
    public long[] response(String text) {
        long[] ids = tokenizer.encode(text, false);
        long[] out = Arrays.copyOf(ids, ids.length + 1);
        out[ids.length] = eos;
        return out;
    }

    public Example example(String prompt, String response) {
        return new Example(prompt(prompt), response(response));
    }
}
