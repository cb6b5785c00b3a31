package org.distill4j.gad;

import java.util.HashSet;
import java.util.Set;

/** Shape statistics of a generated response, the signature of reward hacking by length or repetition. */
public final class ResponseStats {
    private ResponseStats() {}

    /**
     * Fraction of the response's token bigrams that repeat an earlier bigram of the same response
     * (1 − distinct / total), end-of-sequence tokens excluded; 0 for fewer than two bigrams. A fluent
     * response of the embedded task sits near 0; a degenerate loop tends to 1.
     */
    public static double repetition(long[] tokens, Set<Integer> eosIds) {
        int n = tokens.length;
        while (n > 0 && eosIds.contains((int) tokens[n - 1])) {
            n--;
        }
        if (n < 3) {
            return 0;
        }
        Set<Long> seen = new HashSet<>();
        int repeated = 0;
        for (int i = 0; i + 1 < n; i++) {
            long key = (tokens[i] << 32) | (tokens[i + 1] & 0xFFFFFFFFL); // exact for ids < 2^31
            if (!seen.add(key)) {
                repeated++;
            }
        }
        return repeated / (double) (n - 1);
    }
}
