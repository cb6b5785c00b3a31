package org.distill4j.eval;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.assertj.core.data.Offset;
import org.junit.jupiter.api.Test;

/** n-gram F1 and ROUGE-L against values computed by hand (closed form: rouge_score is not installable here). */
class TextOverlapTest {
    private static final Offset<Double> EXACT = within(1e-12);

    private static List<String> words(String s) {
        return EvalTokenizer.tokenize(s);
    }

    @Test
    void tokenizerMatchesRougeScoreOnAsciiAndKeepsOtherScripts() {
        // rouge_score: lower(), [^a-z0-9]+ -> " ", split: "It's 3.14!" -> it s 3 14
        assertThat(words("Hello, World! It's 3.14 -- the_end")).containsExactly("hello", "world", "it", "s", "3", "14", "the", "end");
        assertThat(words("  \n\t ...  ")).isEmpty();
        // beyond ASCII: accented words stay whole, Han and kana are one token per character
        assertThat(words("Café NAÏVE Straße")).containsExactly("café", "naïve", "straße");
        assertThat(words("東京です。OK")).containsExactly("東", "京", "で", "す", "ok");
        assertThat(words("e\u0301t\u00e9")).containsExactly("e\u0301t\u00e9"); // a combining accent belongs to its letter
        assertThat(words("Привет, мир")).containsExactly("привет", "мир");
    }

    @Test
    void clippedCountsForRepeatedNgrams() {
        // student "the" x4, reference "the cat the": matched 1-grams = min(4, 2) = 2; P = 2/4, R = 2/3, F1 = 4/7
        List<String> student = words("the the the the");
        List<String> reference = words("the cat the");
        assertThat(TextOverlap.ngramF1(student, reference, 1)).isCloseTo(4.0 / 7, EXACT);
        // "the the" x3 against {"the cat", "cat the"}: nothing matches
        assertThat(TextOverlap.ngramF1(student, reference, 2)).isZero();
        // 4-grams: the student has one, the reference none
        assertThat(TextOverlap.ngramF1(student, reference, 4)).isZero();
        // a repeated matching phrase: "a b a b" vs "a b c": bigrams {ab:2, ba:1} vs {ab:1, bc:1} -> 1 matched of 3 / 2
        assertThat(TextOverlap.ngramF1(words("a b a b"), words("a b c"), 2)).isCloseTo(2 * (1 / 3.0) * 0.5 / (1 / 3.0 + 0.5), EXACT);
    }

    @Test
    void handComputedSentencePair() {
        TextOverlap.Scores s = TextOverlap.score("The cat sat on the mat.", "The cat is on the mat.");
        // unigrams: {the:2, cat, sat, on, mat} vs {the:2, cat, is, on, mat}: 5 of 6 each side
        assertThat(s.f1(1)).isCloseTo(5.0 / 6, EXACT);
        // bigrams: the cat, on the, the mat match: 3 of 5
        assertThat(s.f1(2)).isCloseTo(3.0 / 5, EXACT);
        // trigrams: only "on the mat": 1 of 4
        assertThat(s.f1(3)).isCloseTo(1.0 / 4, EXACT);
        assertThat(s.f1(4)).isZero();
        assertThat(s.f1(5)).isZero();
        assertThat(s.f1(6)).isZero();
        // LCS "the cat on the mat" = 5 of 6 each side
        assertThat(s.rougeL()).isCloseTo(5.0 / 6, EXACT);
        assertThat(s.length()).isEqualTo(6);
        assertThat(s.referenceLength()).isEqualTo(6);
    }

    @Test
    void precisionAndRecallDifferWhenLengthsDo() {
        // student "a b c d", reference "a c": 1-grams P = 2/4, R = 2/2, F1 = 2/3; LCS "a c" gives the same
        TextOverlap.Scores s = TextOverlap.score("a b c d", "a c");
        assertThat(s.f1(1)).isCloseTo(2.0 / 3, EXACT);
        assertThat(s.f1(2)).isZero();
        assertThat(s.rougeL()).isCloseTo(2.0 / 3, EXACT);
        // ROUGE-L is order-sensitive where unigram F1 is not: "c b a" vs "a b c" share all words but an LCS of 1
        TextOverlap.Scores reversed = TextOverlap.score("c b a", "a b c");
        assertThat(reversed.f1(1)).isCloseTo(1.0, EXACT);
        assertThat(reversed.rougeL()).isCloseTo(1.0 / 3, EXACT);
    }

    @Test
    void rougeScoreReadmeExample() {
        // target "The quick brown fox jumps over the lazy dog" (9), prediction "The quick brown dog jumps on the
        // log." (8): LCS "the quick brown jumps the" = 5, P = 5/8, R = 5/9, F = 2PR/(P+R) = 10/17
        TextOverlap.Scores s = TextOverlap.score("The quick brown dog jumps on the log.", "The quick brown fox jumps over the lazy dog");
        assertThat(s.rougeL()).isCloseTo(10.0 / 17, EXACT);
        // unigrams: the:2 (min 2,2), quick, brown, dog, jumps = 6 matched; P = 6/8, R = 6/9, F1 = 12/17
        assertThat(s.f1(1)).isCloseTo(12.0 / 17, EXACT);
    }

    @Test
    void nLargerThanTheSentenceScoresZero() {
        TextOverlap.Scores s = TextOverlap.score("a b", "a b");
        assertThat(s.f1(1)).isEqualTo(1.0);
        assertThat(s.f1(2)).isEqualTo(1.0);
        for (int n = 3; n <= 6; n++) {
            assertThat(s.f1(n)).as("n = %d", n).isZero();
        }
        assertThat(s.rougeL()).isEqualTo(1.0);
        // the reference is long enough but the student is not
        assertThat(TextOverlap.ngramF1(words("a b"), words("a b c d e f"), 3)).isZero();
    }

    @Test
    void emptyResponsesScoreZero() {
        for (String[] pair : new String[][] {{"", "a b c"}, {"a b c", ""}, {"", ""}, {"?!", "..."}}) {
            TextOverlap.Scores s = TextOverlap.score(pair[0], pair[1]);
            assertThat(s.f1()).as("%s / %s", pair[0], pair[1]).containsOnly(0.0);
            assertThat(s.rougeL()).isZero();
        }
        TextOverlap.Scores s = TextOverlap.score("", "a b c");
        assertThat(s.length()).isZero();
        assertThat(s.referenceLength()).isEqualTo(3);
        assertThat(TextOverlap.score("x y", "a b").f1(1)).isZero(); // nothing matches
    }

    @Test
    void corpusMeansArePerExampleMeans() {
        TextOverlap.Scores a = TextOverlap.score("a b", "a b"); // F1_1 = 1, rouge 1, lengths 2 / 2
        TextOverlap.Scores b = TextOverlap.score("a b c d", "a c"); // F1_1 = 2/3, rouge 2/3, lengths 4 / 2
        TextOverlap.Scores c = TextOverlap.score("", "z"); // zeros, lengths 0 / 1
        TextOverlap.Report r = TextOverlap.aggregate(List.of(a, b, c));
        assertThat(r.count()).isEqualTo(3);
        assertThat(r.f1(1)).isCloseTo((1 + 2.0 / 3) / 3, EXACT);
        assertThat(r.f1(2)).isCloseTo(1.0 / 3, EXACT);
        assertThat(r.rougeL()).isCloseTo((1 + 2.0 / 3) / 3, EXACT);
        assertThat(r.meanLength()).isCloseTo(2.0, EXACT);
        assertThat(r.referenceMeanLength()).isCloseTo(5.0 / 3, EXACT);
        assertThat(r.f1()).hasSize(TextOverlap.MAX_N);
        TextOverlap.Report empty = TextOverlap.aggregate(List.of());
        assertThat(empty.count()).isZero();
        assertThat(empty.f1()).containsOnly(0.0);
    }

    @Test
    void lcsAgreesWithExhaustiveRecursionOnRandomSequences() {
        SplittableRandom rng = new SplittableRandom(7);
        for (int trial = 0; trial < 300; trial++) {
            List<String> a = random(rng, rng.nextInt(9));
            List<String> b = random(rng, rng.nextInt(9));
            assertThat(TextOverlap.lcsLength(a, b)).as("%s / %s", a, b).isEqualTo(naiveLcs(a, 0, b, 0));
        }
    }

    private static List<String> random(SplittableRandom rng, int length) {
        List<String> out = new ArrayList<>();
        for (int i = 0; i < length; i++) {
            out.add(String.valueOf((char) ('a' + rng.nextInt(3))));
        }
        return out;
    }

    private static int naiveLcs(List<String> a, int i, List<String> b, int j) {
        if (i == a.size() || j == b.size()) {
            return 0;
        }
        if (a.get(i).equals(b.get(j))) {
            return 1 + naiveLcs(a, i + 1, b, j + 1);
        }
        return Math.max(naiveLcs(a, i + 1, b, j), naiveLcs(a, i, b, j + 1));
    }
}
