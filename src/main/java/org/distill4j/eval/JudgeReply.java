package org.distill4j.eval;

/**
 * The two scores read out of a judge's reply, or why none could be. The prompt asks for "8 7" alone on
 * the first line, but judges also write "8, 7", "**8** **7**", "Scores: 8/10 and 6/10", "8.5 7", or one
 * line per assistant ("Assistant 1: 8" / "Assistant 2: 7"); all of these are understood
 * ({@link JudgeReplyParser} has the rules). A reply is unusable, and its request is asked again, when no
 * two scores can be told apart or either lies outside {@value #MIN}..{@value #MAX}.
 */
public sealed interface JudgeReply {
    double MIN = 1;
    double MAX = 10;

    /** The two scores, in the order of the answers in the prompt (Assistant 1, Assistant 2). */
    record Scores(double first, double second) implements JudgeReply {}

    /** No usable pair of scores; {@code why} says what was wrong, for the report. */
    record Unusable(String why) implements JudgeReply {}

    static JudgeReply parse(String reply) {
        return JudgeReplyParser.parse(reply);
    }
}
