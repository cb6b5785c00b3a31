package org.distill4j.eval;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The word tokenisation shared by every text metric of {@link TextOverlap} (n-gram F1, ROUGE-L and
 * response lengths), independent of any model's tokenizer so that students and teachers with different
 * vocabularies are measured alike.
 * <p>
 * Rules: the text is lower-cased ({@link Locale#ROOT}); a token is a maximal run of letters, combining
 * marks and digits; everything else (spaces, punctuation, symbols, emoji) separates tokens and is
 * dropped; every Han, Hiragana or Katakana character is a token of its own, since those scripts do not
 * separate words by spaces. On ASCII text this is exactly Google's rouge_score default tokenizer
 * ({@code lower()}, {@code [^a-z0-9]+} to a space, split; no stemming), so ROUGE-L here equals
 * {@code RougeScorer(["rougeL"])}. It departs from it only on non-ASCII text, which rouge_score deletes
 * (a Chinese reply has no tokens at all there and "café" becomes "caf"); chat prompt sets such as
 * LMSYS-Chat are partly non-English, and a metric blind to them would score those examples 0.
 */
public final class EvalTokenizer {
    private EvalTokenizer() {}

    public static List<String> tokenize(String text) {
        String lower = text.toLowerCase(Locale.ROOT);
        List<String> out = new ArrayList<>();
        int start = -1;
        for (int i = 0; i < lower.length(); ) {
            int cp = lower.codePointAt(i);
            int next = i + Character.charCount(cp);
            if (isIdeographic(cp)) {
                if (start >= 0) {
                    out.add(lower.substring(start, i));
                    start = -1;
                }
                out.add(lower.substring(i, next));
            } else if (isWordChar(cp)) {
                if (start < 0) {
                    start = i;
                }
            } else if (start >= 0) {
                out.add(lower.substring(start, i));
                start = -1;
            }
            i = next;
        }
        if (start >= 0) {
            out.add(lower.substring(start));
        }
        return out;
    }

    private static boolean isWordChar(int cp) {
        int type = Character.getType(cp);
        // marks belong to the letter before them (decomposed accents, Devanagari vowel signs)
        return Character.isLetterOrDigit(cp) || type == Character.NON_SPACING_MARK
                || type == Character.COMBINING_SPACING_MARK || type == Character.ENCLOSING_MARK;
    }

    private static boolean isIdeographic(int cp) {
        Character.UnicodeScript script = Character.UnicodeScript.of(cp);
        return (script == Character.UnicodeScript.HAN || script == Character.UnicodeScript.HIRAGANA
                || script == Character.UnicodeScript.KATAKANA) && Character.isLetter(cp);
    }
}
