package org.distill4j.eval;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The rules of {@link JudgeReply#parse}, in order:
 * <ol>
 * <li>The first non-blank line, when it holds exactly two numbers ("/10" or "out of 10" after a number
 * is part of it) and, besides "Assistant 1" / "Assistant 2", only words of a score line
 * ({@link #SCORE_WORDS}: "Scores: 8 and 7", "Assistant 1 receives a score of 8, while Assistant 2
 * receives 6").</li>
 * <li>Else the first "Assistant 1" and the first "Assistant 2" anywhere in the reply that are directly
 * followed (after ":", "=", "-", "is", "score", "**"...) by a number.</li>
 * </ol>
 * The word check keeps an explanation that came first ("Assistant 1 lists 3 steps, Assistant 2 only
 * 2") from being read as scores: such a reply is asked again rather than misread.
 */
final class JudgeReplyParser {
    private JudgeReplyParser() {}

    private static final String OUT_OF_TEN = "(?:\\s*(?:/|out\\s+of)\\s*10(?:\\.0+)?(?![\\d.]))?";
    private static final Pattern NUMBER = Pattern.compile("(?<![\\d.])(\\d+(?:\\.\\d+)?)" + OUT_OF_TEN);
    private static final Pattern LABEL = Pattern.compile("(?i)\\bassistants?\\s*(?:1|one)\\b"
            + "(?:\\s*(?:and|&|,)\\s*(?:assistant\\s*)?(?:2|two)\\b)?|\\bassistant\\s*(?:2|two)\\b");
    private static final Pattern LABELLED = Pattern.compile("(?i)\\bassistant\\s*([12])\\b(?:'s)?"
            + "(?:\\s*(?:score|rating))?\\s*(?:[:=\\-\u2013\u2014]|\\bis\\b|\\bgets\\b|\\breceives\\b|\\bscores?\\b)?"
            + "[\\s*_]*(\\d+(?:\\.\\d+)?)" + OUT_OF_TEN);
    private static final Pattern WORD = Pattern.compile("\\p{L}+");

    /** Words that may stand beside the two numbers on a score line. */
    static final Set<String> SCORE_WORDS = Set.of("score", "scores", "scored", "rating", "ratings", "rated", "and",
            "vs", "versus", "respectively", "out", "of", "for", "a", "the", "is", "are", "gets", "get", "receives",
            "receive", "overall", "while", "final", "points", "point", "pts", "assistant", "assistants", "answer",
            "answers", "to");

    static JudgeReply parse(String reply) {
        if (reply == null || reply.isBlank()) {
            return new JudgeReply.Unusable("empty reply");
        }
        String first = reply.strip().lines().findFirst().orElse("");
        String unlabelled = LABEL.matcher(first).replaceAll(" ");
        List<Double> numbers = new ArrayList<>();
        Matcher m = NUMBER.matcher(unlabelled);
        while (m.find()) {
            numbers.add(Double.parseDouble(m.group(1)));
        }
        if (numbers.size() == 2 && onlyScoreWords(unlabelled)) {
            return checked(numbers.get(0), numbers.get(1));
        }
        Double one = null;
        Double two = null;
        Matcher l = LABELLED.matcher(reply);
        while ((one == null || two == null) && l.find()) {
            double v = Double.parseDouble(l.group(2));
            if (l.group(1).equals("1") && one == null) {
                one = v;
            } else if (l.group(1).equals("2") && two == null) {
                two = v;
            }
        }
        if (one != null && two != null) {
            return checked(one, two);
        }
        return new JudgeReply.Unusable("no two scores on the first line: " + abbreviate(first));
    }

    private static boolean onlyScoreWords(String line) {
        Matcher w = WORD.matcher(line.toLowerCase(Locale.ROOT));
        while (w.find()) {
            if (!SCORE_WORDS.contains(w.group())) {
                return false;
            }
        }
        return true;
    }

    private static JudgeReply checked(double first, double second) {
        for (double v : new double[] {first, second}) {
            if (!(v >= JudgeReply.MIN && v <= JudgeReply.MAX)) {
                return new JudgeReply.Unusable(String.format(Locale.ROOT, "score %s outside %.0f..%.0f",
                        v, JudgeReply.MIN, JudgeReply.MAX));
            }
        }
        return new JudgeReply.Scores(first, second);
    }

    private static String abbreviate(String s) {
        return s.length() <= 80 ? "'" + s + "'" : "'" + s.substring(0, 77) + "...'";
    }
}
