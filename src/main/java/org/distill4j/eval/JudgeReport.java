package org.distill4j.eval;

import java.util.List;

/**
 * What {@link LlmJudge} made of a set of examples. Aggregates are over judged examples only:
 * {@link #score()} = Σ s_student / (Σ s_student + Σ s_reference) (MiniLLM's and GAD's GPT-4 score,
 * reported there ×100), {@link #meanRatio()} = mean of s_student / (s_student + s_reference).
 *
 * @param verdicts     one per example, in input order
 * @param httpAttempts HTTP attempts made, retries included
 * @param httpRetries  HTTP-level retries (429, 5xx, timeouts, dropped connections, unparseable JSON)
 * @param reasks       requests asked again because the reply held no usable pair of scores
 */
public record JudgeReport(List<Verdict> verdicts, long httpAttempts, long httpRetries, int reasks) {
    public JudgeReport {
        verdicts = List.copyOf(verdicts);
    }

    /**
     * One order's reading of the judge: the scores it gave the student and the reference, and its reply.
     */
    public record Reading(double student, double reference, String reply) {}

    /**
     * The judgement of one example.
     *
     * @param index     position of the example in the judged list
     * @param forward   reference shown as Assistant 1, student as Assistant 2; null when unjudged
     * @param reversed  student shown first (only when both orders are judged); null otherwise
     * @param asks      judge replies obtained for this example (both orders together)
     * @param unjudged  why the example could not be judged; null when it was
     */
    public record Verdict(int index, Reading forward, Reading reversed, int asks, String unjudged) {
        public boolean judged() {
            return unjudged == null;
        }

        /** The student's score, averaged over both orders when both were judged. */
        public double student() {
            return reversed == null ? forward.student() : (forward.student() + reversed.student()) / 2;
        }

        public double reference() {
            return reversed == null ? forward.reference() : (forward.reference() + reversed.reference()) / 2;
        }

        /** s_student / (s_student + s_reference); scores are >= 1, so the sum is never 0. */
        public double ratio() {
            return student() / (student() + reference());
        }
    }

    public int judged() {
        return (int) verdicts.stream().filter(Verdict::judged).count();
    }

    public int unjudged() {
        return verdicts.size() - judged();
    }

    /** Σ s_student / (Σ s_student + Σ s_reference) over judged examples; NaN when none was judged. */
    public double score() {
        double s = 0;
        double r = 0;
        for (Verdict v : verdicts) {
            if (v.judged()) {
                s += v.student();
                r += v.reference();
            }
        }
        return s / (s + r);
    }

    /** Mean per-example ratio over judged examples; NaN when none was judged. */
    public double meanRatio() {
        return verdicts.stream().filter(Verdict::judged).mapToDouble(Verdict::ratio).average().orElse(Double.NaN);
    }

    /** Mean student score over judged examples; NaN when none was judged. */
    public double meanStudent() {
        return verdicts.stream().filter(Verdict::judged).mapToDouble(Verdict::student).average().orElse(Double.NaN);
    }

    /** Mean reference score over judged examples; NaN when none was judged. */
    public double meanReference() {
        return verdicts.stream().filter(Verdict::judged).mapToDouble(Verdict::reference).average().orElse(Double.NaN);
    }
}
