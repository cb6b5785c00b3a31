package org.distill4j.serve;

import java.util.Arrays;
import java.util.concurrent.ConcurrentHashMap;
import org.distill4j.lm.Tokenizer;

/**
 * The text of single tokens, for log-prob reports. A token's text depends on its neighbours (a
 * decoder may join words with spaces, byte-level BPE may need several tokens per character), so a
 * token in a sequence is the difference between decoding a short window ending with it and the same
 * window without it; that way the pieces of a sequence concatenate to its text. Special tokens are
 * written out ("</s>"), so an end of sequence is visible.
 */
final class TokenText {
    private static final int WINDOW = 4;

    private final Tokenizer tokenizer;
    private final ConcurrentHashMap<Long, String> single = new ConcurrentHashMap<>();

    TokenText(Tokenizer tokenizer) {
        this.tokenizer = tokenizer;
    }

    /** The text of one token out of context (for top-k alternatives). */
    String of(long id) {
        return single.computeIfAbsent(id, k -> tokenizer.decode(new long[] {k}, false));
    }

    /** Pieces of {@code ids[from..]}, each decoded in the context of up to four tokens before it. */
    String[] pieces(long[] ids, int from) {
        String[] out = new String[ids.length - from];
        for (int i = from; i < ids.length; i++) {
            int start = Math.max(0, i - WINDOW);
            if (start == i) {
                out[i - from] = of(ids[i]);
                continue;
            }
            String before = tokenizer.decode(Arrays.copyOfRange(ids, start, i), false);
            String with = tokenizer.decode(Arrays.copyOfRange(ids, start, i + 1), false);
            out[i - from] = with.startsWith(before) ? with.substring(before.length()) : of(ids[i]);
        }
        return out;
    }
}
