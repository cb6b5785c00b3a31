package org.distill4j.gad;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import org.distill4j.data.PromptTemplate;
import org.distill4j.eval.ProxyGoldenEvaluator;
import org.distill4j.generate.Sampler;
import org.distill4j.eval.TextOverlap;
import org.distill4j.generate.Sample;
import org.distill4j.generate.SamplingParams;
import org.distill4j.lm.LanguageModel;
import org.distill4j.lm.Transformer;

/**
 * What a black-box distillation run is judged by, on fixed evaluation prompts: the student's responses
 * (sampled from a fixed seed, so evaluations differ only by the weights) against the teacher's reference
 * responses — n-gram overlap F1 for n = 1..6 and ROUGE-L (eval.TextOverlap), lengths, repetition — and,
 * in a controlled setting where the truth is a model, the oracle's per-token log-likelihood of those
 * responses (the "oracle judge") and the lab's golden and proxy metrics.
 */
public final class GadEvaluation implements Supplier<Map<String, Double>> {
    private final LanguageModel student;
    private final List<long[]> prompts;
    private final List<String> references;
    private final SamplingParams params;
    private final Transformer oracle;
    private final ProxyGoldenEvaluator lab;

    /**
     * @param references the teacher's response to each prompt (same order)
     * @param oracle     scores the student's responses (must share the student's tokenizer); may be null
     * @param lab        golden/proxy metrics of the teacher-hacking lab; may be null
     */
    public GadEvaluation(LanguageModel student, List<String> prompts, List<String> references, SamplingParams params,
                         Transformer oracle, ProxyGoldenEvaluator lab) {
        if (prompts.size() != references.size()) {
            throw new IllegalArgumentException(prompts.size() + " prompts but " + references.size() + " references");
        }
        this.student = student;
        this.prompts = new ArrayList<>();
        // conversation prompts are rendered by the student's own chat template (beside its tokenizer)
        PromptTemplate template = PromptTemplate.forCheckpoint(student.tokenizer().file().toAbsolutePath().getParent(),
                student.tokenizer(), student.config().eosTokenId());
        for (String p : prompts) {
            this.prompts.add(template.promptOfKey(p));
        }
        this.references = List.copyOf(references);
        this.params = params;
        this.oracle = oracle;
        this.lab = lab;
    }

    @Override
    public Map<String, Double> get() {
        Map<String, Double> out = new LinkedHashMap<>();
        List<Sample> samples = new Sampler(student.transformer(), student.tokenizer()).generate(prompts, params.withN(1));
        List<TextOverlap.Scores> scores = new ArrayList<>(samples.size());
        double tokens = 0;
        double repetition = 0;
        List<long[]> responses = new ArrayList<>(samples.size());
        for (Sample s : samples) {
            scores.add(TextOverlap.score(s.text(), references.get(s.promptIndex())));
            tokens += s.tokens().length;
            repetition += ResponseStats.repetition(s.tokens(), student.eosIds());
            responses.add(s.tokens());
        }
        TextOverlap.Report r = TextOverlap.aggregate(scores);
        for (int n = 1; n <= TextOverlap.MAX_N; n++) {
            out.put("f1_" + n, r.f1(n));
        }
        out.put("rouge_l", r.rougeL());
        out.put("eval_len", tokens / samples.size());
        out.put("eval_words", r.meanLength());
        out.put("reference_words", r.referenceMeanLength());
        out.put("eval_repetition", repetition / samples.size());
        if (oracle != null) {
            oracleJudge(responses, out);
        }
        if (lab != null) {
            out.putAll(lab.evaluate(student.transformer()));
        }
        return out;
    }

    /**
     * The oracle's log-likelihood of the student's responses, per token (Σ log p / Σ tokens) and per
     * response, with the standard error over prompts of the per-response value.
     */
    private void oracleJudge(List<long[]> responses, Map<String, Double> out) {
        List<float[]> lp = LanguageModel.scoreResponses(oracle, prompts, responses, 64);
        double sum = 0;
        double tokens = 0;
        double[] perSeq = new double[lp.size()];
        for (int i = 0; i < lp.size(); i++) {
            for (float x : lp.get(i)) {
                perSeq[i] += x;
            }
            sum += perSeq[i];
            tokens += lp.get(i).length;
        }
        double mean = sum / perSeq.length;
        double ss = 0;
        for (double x : perSeq) {
            ss += (x - mean) * (x - mean);
        }
        out.put("oracle_ll_tok", sum / tokens);
        out.put("oracle_ll", mean);
        out.put("oracle_ll_se", perSeq.length > 1 ? Math.sqrt(ss / (perSeq.length - 1) / perSeq.length) : 0);
    }
}
