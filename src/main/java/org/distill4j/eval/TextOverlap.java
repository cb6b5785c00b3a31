package org.distill4j.eval;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * How much of a reference (teacher) response a student response reproduces, on the words of
 * {@link EvalTokenizer}: n-gram overlap F1 for n = 1..{@value #MAX_N} (the GAD paper's diagnostic) and
 * ROUGE-L F (as Google's rouge_score {@code rougeL}), plus both lengths.
 * <p>
 * n-gram F1: matched = Σ over distinct n-grams g of min(count_student(g), count_reference(g)) (clipped
 * counts, so repeating a matching phrase earns nothing past the reference's own count); P = matched /
 * student n-grams, R = matched / reference n-grams, F1 = 2PR / (P + R), and 0 when either side has no
 * n-grams (fewer than n tokens) or nothing matches.
 * <p>
 * ROUGE-L: with L the length of a longest common subsequence, P = L / student tokens, R = L / reference
 * tokens, F = 2PR / (P + R) (β = 1), and 0 when either side is empty or L = 0.
 * <p>
 * A corpus is summarised by the mean of the per-example values ({@link #aggregate}).
 */
public final class TextOverlap {
    /** The largest n of the n-gram F1 scores. */
    public static final int MAX_N = 6;

    private TextOverlap() {}

    /**
     * The metrics of one example.
     *
     * @param f1              n-gram F1 for n = 1..{@value #MAX_N}, at index n - 1
     * @param rougeL          ROUGE-L F-measure
     * @param length          student response length in tokens
     * @param referenceLength reference response length in tokens
     */
    public record Scores(List<Double> f1, double rougeL, int length, int referenceLength) {
        public Scores {
            f1 = List.copyOf(f1);
        }

        /** F1 of the n-grams, n = 1..{@value #MAX_N}. */
        public double f1(int n) {
            return f1.get(n - 1);
        }
    }

    /**
     * Means over a corpus.
     *
     * @param f1                  mean n-gram F1 for n = 1..{@value #MAX_N}, at index n - 1
     * @param rougeL              mean ROUGE-L F-measure
     * @param meanLength          mean student response length in tokens
     * @param referenceMeanLength mean reference response length in tokens
     * @param count               examples averaged (0: every mean is 0)
     */
    public record Report(List<Double> f1, double rougeL, double meanLength, double referenceMeanLength, int count) {
        public Report {
            f1 = List.copyOf(f1);
        }

        public double f1(int n) {
            return f1.get(n - 1);
        }
    }

    /** Scores a student response against its reference. */
    public static Scores score(String response, String reference) {
        return score(EvalTokenizer.tokenize(response), EvalTokenizer.tokenize(reference));
    }

    /** Scores already tokenised texts. */
    public static Scores score(List<String> response, List<String> reference) {
        List<Double> f1 = new ArrayList<>(MAX_N);
        for (int n = 1; n <= MAX_N; n++) {
            f1.add(ngramF1(response, reference, n));
        }
        return new Scores(f1, rougeL(response, reference), response.size(), reference.size());
    }

    /** The clipped n-gram overlap F1 defined above. */
    public static double ngramF1(List<String> response, List<String> reference, int n) {
        if (n < 1) {
            throw new IllegalArgumentException("n must be >= 1, got " + n);
        }
        int studentGrams = Math.max(0, response.size() - n + 1);
        int referenceGrams = Math.max(0, reference.size() - n + 1);
        if (studentGrams == 0 || referenceGrams == 0) {
            return 0;
        }
        Map<List<String>, Integer> referenceCounts = counts(reference, n);
        long matched = 0;
        for (Map.Entry<List<String>, Integer> e : counts(response, n).entrySet()) {
            matched += Math.min(e.getValue(), referenceCounts.getOrDefault(e.getKey(), 0));
        }
        return f1((double) matched / studentGrams, (double) matched / referenceGrams);
    }

    /** ROUGE-L F-measure of a response (rouge_score's "prediction") against a reference ("target"). */
    public static double rougeL(List<String> response, List<String> reference) {
        if (response.isEmpty() || reference.isEmpty()) {
            return 0;
        }
        int lcs = lcsLength(response, reference);
        return f1((double) lcs / response.size(), (double) lcs / reference.size());
    }

    /** Length of a longest common subsequence, by the textbook dynamic programme in two rows. */
    static int lcsLength(List<String> a, List<String> b) {
        int[] prev = new int[b.size() + 1];
        int[] cur = new int[b.size() + 1];
        for (int i = 1; i <= a.size(); i++) {
            String x = a.get(i - 1);
            for (int j = 1; j <= b.size(); j++) {
                cur[j] = x.equals(b.get(j - 1)) ? prev[j - 1] + 1 : Math.max(prev[j], cur[j - 1]);
            }
            int[] t = prev;
            prev = cur;
            cur = t;
        }
        return prev[b.size()];
    }

    /** Means of the per-example scores; an empty list gives zeros with count 0. */
    public static Report aggregate(List<Scores> examples) {
        int count = examples.size();
        if (count == 0) {
            return new Report(Collections.nCopies(MAX_N, 0.0), 0, 0, 0, 0);
        }
        double[] f1 = new double[MAX_N];
        double rouge = 0;
        double length = 0;
        double referenceLength = 0;
        for (Scores s : examples) {
            for (int n = 0; n < MAX_N; n++) {
                f1[n] += s.f1().get(n);
            }
            rouge += s.rougeL();
            length += s.length();
            referenceLength += s.referenceLength();
        }
        List<Double> meanF1 = new ArrayList<>(MAX_N);
        for (double v : f1) {
            meanF1.add(v / count);
        }
        return new Report(meanF1, rouge / count, length / count, referenceLength / count, count);
    }

    private static double f1(double precision, double recall) {
        return precision + recall > 0 ? 2 * precision * recall / (precision + recall) : 0;
    }

    /** n-gram counts, keyed by the n tokens themselves (any joined string could be ambiguous). */
    private static Map<List<String>, Integer> counts(List<String> tokens, int n) {
        Map<List<String>, Integer> out = new HashMap<>();
        for (int i = 0; i + n <= tokens.size(); i++) {
            out.merge(List.copyOf(tokens.subList(i, i + n)), 1, Integer::sum);
        }
        return out;
    }
}
