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
 *
 * <p>The oracle and the teacher are frozen and their samples fixed, so their distributions along those
 * samples are computed once ({@link SequenceDivergence.Reference}): an evaluation runs the student on
 * the oracle's, the teacher's and its own samples, and the oracle and teacher only on the student's.
 */
public final class ProxyGoldenEvaluator implements AutoCloseable {
    /** Reference distributions up to 2^26 floats (256 MB) per model are kept in memory. */
    public static final long DEFAULT_CACHE_FLOATS = 1L << 26;

    /**
     * The evaluation's fixed samples: every prompt repeated samplesPerPrompt times, with one oracle
     * sample (empty list without an oracle) and one teacher sample per row.
     */
    public record Samples(List<long[]> prompts, List<long[]> oracle, List<long[]> teacher) {
        public Samples {
            if (teacher.size() != prompts.size() || !(oracle.isEmpty() || oracle.size() == prompts.size())) {
                throw new IllegalArgumentException("evaluation samples: " + prompts.size() + " rows, " + oracle.size()
                        + " oracle and " + teacher.size() + " teacher samples");
            }
            prompts = List.copyOf(prompts);
            oracle = List.copyOf(oracle);
            teacher = List.copyOf(teacher);
        }

        /** Draws the oracle's (seed + 1) and the teacher's (seed + 2) samples; {@code oracle} may be null. */
        public static Samples draw(Transformer oracle, Transformer teacher, List<long[]> prompts, SamplingParams params,
                                   int samplesPerPrompt) {
            List<long[]> repeated = new ArrayList<>();
            for (long[] p : prompts) {
                for (int i = 0; i < samplesPerPrompt; i++) {
                    repeated.add(p);
                }
            }
            List<long[]> o = oracle == null ? List.of()
                    : tokens(new Sampler(oracle, null, 256).generate(repeated, params.withSeed(params.seed() + 1)));
            List<long[]> t = tokens(new Sampler(teacher, null, 256).generate(repeated, params.withSeed(params.seed() + 2)));
            return new Samples(repeated, o, t);
        }
    }

    private final Transformer oracle;
    private final Transformer teacher;
    private final List<long[]> prompts;
    private final SequenceDivergence.Reference oracleRef;
    private final SequenceDivergence.Reference teacherRef;
    private final SamplingParams studentParams;
    private final int batch;

    /** @param oracle may be null: only the proxy metrics are computed then */
    public ProxyGoldenEvaluator(Transformer oracle, Transformer teacher, List<long[]> prompts, SamplingParams params, int samplesPerPrompt, int batch) {
        this(oracle, teacher, Samples.draw(oracle, teacher, prompts, params, samplesPerPrompt), params.withSeed(params.seed() + 3), batch,
                DEFAULT_CACHE_FLOATS);
    }

    /**
     * @param samples       fixed oracle and teacher samples (e.g. drawn once and shared by every run of a lab)
     * @param studentParams sampling of the student's own responses at every evaluation (the same seed each time)
     * @param maxCachedFloats memory cap of each cached reference distribution (0: never cache)
     */
    public ProxyGoldenEvaluator(Transformer oracle, Transformer teacher, Samples samples, SamplingParams studentParams, int batch,
                        long maxCachedFloats) {
        if (oracle == null != samples.oracle().isEmpty()) {
            throw new IllegalArgumentException("oracle samples need an oracle and vice versa");
        }
        this.oracle = oracle;
        this.teacher = teacher;
        this.batch = batch;
        this.prompts = samples.prompts();
        this.oracleRef = oracle == null ? null : new SequenceDivergence.Reference(oracle, prompts, samples.oracle(), batch, maxCachedFloats);
        this.teacherRef = new SequenceDivergence.Reference(teacher, prompts, samples.teacher(), batch, maxCachedFloats);
        this.studentParams = studentParams;
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
        if (oracleRef != null) {
            put(out, "golden_fkl", oracleRef.sumKlTo(student), oracleRef.responses());
        }
        put(out, "proxy_fkl", teacherRef.sumKlTo(student), teacherRef.responses());
        List<long[]> own = tokens(new Sampler(student, null, 256).generate(prompts, studentParams));
        List<double[]> rkl = SequenceDivergence.sumKl(student, oracle == null ? List.of(teacher) : List.of(oracle, teacher),
                prompts, own, batch);
        if (oracle != null) {
            put(out, "golden_rkl", rkl.get(0), own);
        }
        put(out, "proxy_rkl", rkl.get(rkl.size() - 1), own);
        double len = 0;
        for (long[] y : own) {
            len += y.length;
        }
        out.put("student_len", len / own.size());
        return out;
    }

    /**
     * Only the forward metrics (golden_fkl, proxy_fkl and their per-token forms), each key prefixed: the student
     * along the fixed oracle and teacher samples, without sampling the student. The lab uses it on training prompts,
     * beside the full evaluation on held-out ones.
     */
    public Map<String, Double> evaluateForward(Transformer student, String prefix) {
        Map<String, Double> out = new LinkedHashMap<>();
        Map<String, Double> plain = new LinkedHashMap<>();
        if (oracleRef != null) {
            put(plain, "golden_fkl", oracleRef.sumKlTo(student), oracleRef.responses());
        }
        put(plain, "proxy_fkl", teacherRef.sumKlTo(student), teacherRef.responses());
        plain.forEach((k, v) -> out.put(prefix + k, v));
        return out;
    }

    private static void put(Map<String, Double> out, String key, double[] perSequence, List<long[]> responses) {
        SequenceDivergence.Estimate e = SequenceDivergence.Estimate.of(perSequence, SequenceDivergence.lengths(responses));
        out.put(key, e.mean());
        out.put(key + "_se", e.stderr());
        out.put(key + "_tok", e.perToken());
        out.put(key + "_tok_se", e.perTokenStderr());
    }

    @Override
    public void close() {
        if (oracleRef != null) {
            oracleRef.close();
        }
        teacherRef.close();
    }
}
