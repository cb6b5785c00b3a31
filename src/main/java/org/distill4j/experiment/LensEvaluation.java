package org.distill4j.experiment;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Supplier;
import org.distill4j.eval.ProxyGoldenEvaluator;
import org.distill4j.gad.GadEvaluation;
import org.distill4j.generate.SamplingParams;
import org.distill4j.lm.LanguageModel;
import org.distill4j.lm.Transformer;
import org.distill4j.lm.WordLevelTokenizer;

/**
 * The oracle lens's judge-style evaluation of one student (docs/oracle-lens.md), on each prompt split (in- and
 * out-of-distribution topics): the golden metrics (forward and reverse sequence KL to the oracle) and, for each
 * decoding (greedy, and sampled at the rollout temperature, both from fixed seeds), the oracle judge (the oracle's
 * log-likelihood per token of the decoded responses), n-gram F1 and ROUGE-L against the teacher's responses, length
 * and repetition. Keys are {@code SPLIT_golden_*} and {@code SPLIT_DECODING_*}, e.g. {@code ood_greedy_oracle_ll_tok}.
 */
final class LensEvaluation implements Supplier<Map<String, Double>> {
    /** The decodings every split is judged at: greedy, and sampled at the rollout temperature. */
    static final List<String> DECODINGS = List.of("greedy", "sampled");

    /** One split's prompts, the teacher's responses to them, and its golden metrics (fixed oracle samples). */
    record Split(String name, List<String> prompts, List<String> references, ProxyGoldenEvaluator golden) {}

    private final LanguageModel student;
    private final List<Split> splits;
    private final Map<String, GadEvaluation> decoded = new LinkedHashMap<>();
    private final boolean teacherIsOracle;

    /**
     * @param teacherIsOracle the golden evaluators were built with the oracle as their teacher (no separate oracle):
     *                        their proxy metrics are the golden ones
     */
    LensEvaluation(LanguageModel student, Transformer oracle, List<Split> splits, double temperature, int maxNewTokens,
                   boolean teacherIsOracle) {
        this.student = student;
        this.splits = List.copyOf(splits);
        this.teacherIsOracle = teacherIsOracle;
        for (Split s : splits) {
            for (String d : DECODINGS) {
                SamplingParams p = new SamplingParams(d.equals("greedy") ? 0 : temperature, 0, 1.0, maxNewTokens, 1, 4000,
                        Set.of(WordLevelTokenizer.EOS_ID), List.of());
                decoded.put(s.name() + "_" + d + "_", new GadEvaluation(student, s.prompts(), s.references(), p, oracle, null));
            }
        }
    }

    @Override
    public Map<String, Double> get() {
        Map<String, Double> out = new LinkedHashMap<>();
        for (Split s : splits) {
            s.golden().evaluate(student.transformer()).forEach((k, v) -> {
                if (teacherIsOracle && k.startsWith("proxy_")) {
                    out.put(s.name() + "_golden_" + k.substring("proxy_".length()), v);
                } else if (!k.startsWith("student_")) {
                    out.put(s.name() + "_" + k, v);
                }
            });
        }
        decoded.forEach((prefix, e) -> e.get().forEach((k, v) -> out.put(prefix + k, v)));
        return out;
    }
}
