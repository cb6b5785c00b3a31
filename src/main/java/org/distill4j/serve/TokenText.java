package org.distill4j.serve;

import java.util.Arrays;
import org.distill4j.lm.Tokenizer;

/**
 * The text of single tokens, for log-prob reports. A token's text depends on the tokens before it (a decoder
 * may join words with spaces, a SentencePiece decoder drops the space of a text's first token, byte-level BPE
 * may need several tokens per character), so a token at position i is decoded after the tokens before it
 * ({@link Tokenizer#decodeAfter}); the pieces of a sequence then concatenate to its text. The alternatives in a
 * top-k list are decoded at the same position, so the chosen token's text is among its own top keys. Special
 * tokens are written out ("</s>"), so an end of sequence is visible.
 */
final class TokenText {
    private final Tokenizer tokenizer;

    TokenText(Tokenizer tokenizer) {
        this.tokenizer = tokenizer;
    }

    /**
     * The text of one token out of context. Only for a caller that has no position for it: a token decoded alone
     * loses a SentencePiece leading space, so top_logprobs keys come from {@link #at(long[], int, long[], int)}.
     */
    String of(long id) {
        return tokenizer.decode(new long[] {id}, false);
    }

    /** Pieces of {@code ids[from..]}, each decoded after the tokens before it. */
    String[] pieces(long[] ids, int from) {
        String[] out = new String[ids.length - from];
        for (int i = from; i < ids.length; i++) {
            out[i - from] = at(ids, i, ids[i]);
        }
        return out;
    }

    /** The text of token {@code id} at position {@code i} of {@code ids}, after {@code ids[0..i)}. */
    String at(long[] ids, int i, long id) {
        return tokenizer.decodeAfter(context(ids, i), new long[] {id}, false);
    }

    /** The texts of the first {@code k} of {@code alternatives}, each at position {@code i} of {@code ids}. */
    String[] at(long[] ids, int i, long[] alternatives, int k) {
        return tokenizer.decodeEachAfter(context(ids, i), Arrays.copyOf(alternatives, Math.min(k, alternatives.length)), false);
    }

    private static long[] context(long[] ids, int i) {
        return Arrays.copyOfRange(ids, Math.max(0, i - 16), i);
    }
}
