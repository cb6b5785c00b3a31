package org.distill4j.eval;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.distill4j.generate.Sample;
import org.distill4j.generate.Sampler;
import org.distill4j.generate.SamplingParams;
import org.distill4j.lm.Transformer;

/**
 * The proxy and golden metrics of the teacher-hacking lab on a fixed set of validation prompts:
 * golden = distance(oracle, student), proxy = distance(teacher, student), each as
 * forward KL E_{y~P} Σ_t KL(P_t ‖ student_t) (P = oracle or teacher, samples drawn once) and
 * reverse KL E_{y~student} Σ_t KL(student_t ‖ P_t) (fresh student samples at every evaluation, from a
 * fixed seed), per sequence and per token, with standard errors over prompts.
 */
public final class LabEvaluator {
    private final Transformer oracle;
    private final Transformer teacher;
    private final List<long[]> prompts;
    private final List<long[]> oracleSamples;
    private final List<long[]> teacherSamples;
    private final SamplingParams studentParams;
    private final int batch;

    /** @param oracle may be null: only the proxy metrics are computed then */
    public LabEvaluator(Transformer oracle, Transformer teacher, List<long[]> prompts, SamplingParams params, int samplesPerPrompt, int batch) {
        this.oracle = oracle;
        this.teacher = teacher;
        this.batch = batch;
        List<long[]> repeated = new ArrayList<>();
        for (long[] p : prompts) {
            for (int i = 0; i < samplesPerPrompt; i++) {
                repeated.add(p);
            }
        }
        this.prompts = repeated;
        this.oracleSamples = oracle == null ? List.of()
                : tokens(new Sampler(oracle, null, 256).generate(repeated, params.withSeed(params.seed() + 1)));
        this.teacherSamples = tokens(new Sampler(teacher, null, 256).generate(repeated, params.withSeed(params.seed() + 2)));
        this.studentParams = params.withSeed(params.seed() + 3);
    }

    private static List<long[]> tokens(List<Sample> samples) {
        List<long[]> out = new ArrayList<>(samples.size());
        for (Sample s : samples) {
            out.add(s.tokens());
        }
        return out;
    }

    public int samples() {
        return prompts.size();
    }

    /** golden_* and proxy_* metrics of {@code student}: fkl and rkl, per sequence and per token, with _se. */
    public Map<String, Double> evaluate(Transformer student) {
        Map<String, Double> out = new LinkedHashMap<>();
        if (oracle != null) {
            put(out, "golden_fkl", estimate(oracle, student, oracleSamples));
        }
        put(out, "proxy_fkl", estimate(teacher, student, teacherSamples));
        List<long[]> own = tokens(new Sampler(student, null, 256).generate(prompts, studentParams));
        if (oracle != null) {
            put(out, "golden_rkl", estimate(student, oracle, own));
        }
        put(out, "proxy_rkl", estimate(student, teacher, own));
        double len = 0;
        for (long[] y : own) {
            len += y.length;
        }
        out.put("student_len", len / own.size());
        return out;
    }

    private SequenceDivergence.Estimate estimate(Transformer p, Transformer q, List<long[]> responses) {
        return SequenceDivergence.Estimate.of(SequenceDivergence.sumKl(p, q, prompts, responses, batch),
                SequenceDivergence.lengths(responses));
    }

    private static void put(Map<String, Double> out, String key, SequenceDivergence.Estimate e) {
        out.put(key, e.mean());
        out.put(key + "_se", e.stderr());
        out.put(key + "_tok", e.perToken());
        out.put(key + "_tok_se", e.perTokenStderr());
    }
}
