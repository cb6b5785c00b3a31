package org.distill4j.generate;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import org.distill4j.lm.Checkpoint;
import org.distill4j.lm.Fixtures;
import org.distill4j.lm.Transformer;
import org.junit.jupiter.api.Test;

/**
 * The sampler (KV cache, rows joining and leaving, shared prompt prefills, gaps in the cache) against the plainest
 * possible decoder: every token drawn from a full forward pass over the whole sequence, no cache, one row at a time,
 * with the same per-row stream and the same inverse-CDF rule. Tokens must be the same and every reported log-prob must
 * be the full pass's log-softmax within 1e-5.
 */
class FullRecomputeReferenceTest {
    private static final List<long[]> PROMPTS = List.of(new long[] {1, 5, 9}, new long[] {1, 12, 40, 7, 33, 8, 21},
            new long[] {1}, new long[] {1, 60, 61, 62, 63});

    /** log-softmax of the last position of a full forward over {@code seq}, in double. */
    private static double[] logSoftmax(Transformer model, NDManager m, long[] seq) {
        try (NDManager s = m.newSubManager()) {
            float[] logits = model.forward(s.create(seq, new Shape(1, seq.length)), null, null, null)
                    .get("0, -1, :").toFloatArray();
            double max = Double.NEGATIVE_INFINITY;
            for (float l : logits) {
                max = Math.max(max, l);
            }
            double sum = 0;
            for (float l : logits) {
                sum += Math.exp(l - max);
            }
            double[] out = new double[logits.length];
            for (int i = 0; i < logits.length; i++) {
                out[i] = logits[i] - max - Math.log(sum);
            }
            return out;
        }
    }

    /** A row's tokens and their log-probs. */
    private record Decoded(long[] tokens, double[] logprobs) {}

    /** One row decoded by full recomputation at temperature 1 (inverse CDF against one uniform per step). */
    private static Decoded reference(Transformer model, NDManager m, long[] prompt, SplittableRandom rng, int maxNew,
                                     Set<Integer> eos) {
        long[] seq = prompt.clone();
        List<Long> out = new ArrayList<>();
        List<Double> logprobs = new ArrayList<>();
        while (out.size() < maxNew) {
            double[] lp = logSoftmax(model, m, seq);
            double u = (float) rng.nextDouble(); // StepDraws compares against the uniform as a float
            double cdf = 0;
            int tok = lp.length - 1;
            for (int i = 0; i < lp.length; i++) {
                cdf += Math.exp(lp[i]);
                if (cdf >= u) {
                    tok = i;
                    break;
                }
            }
            out.add((long) tok);
            logprobs.add(lp[tok]);
            seq = Arrays.copyOf(seq, seq.length + 1);
            seq[seq.length - 1] = tok;
            if (eos.contains(tok)) {
                break;
            }
        }
        return new Decoded(out.stream().mapToLong(Long::longValue).toArray(),
                logprobs.stream().mapToDouble(Double::doubleValue).toArray());
    }

    @Test
    void sampledRowsJoiningLeavingAndSharingPromptsAreTheFullPassesOwn() {
        for (String fixture : new String[] {"lm/llama_gqa_tied", "lm/qwen2_bias", "families/gemma3_text", "families/mistral"}) {
            try (NDManager m = NDManager.newBaseManager();
                 Transformer model = Checkpoint.loadTransformer(Fixtures.path(fixture), m)) {
                // ends rows early, so rows leave at different steps and waiting rows take their slots
                Set<Integer> eos = Set.of(7, 8, 9, 10, 11);
                SamplingParams p = SamplingParams.of(1.0, 12, 11, eos).withN(3);
                java.util.Map<String, Decoded> references = new java.util.HashMap<>(); // the same rows for both batchings
                for (Sampler.Batching batching : List.of(Sampler.Batching.DEFAULT, Sampler.Batching.STATIC_UNSHARED)) {
                    // 12 rows through 7 slots: joins while others run, two groups of 3 sharing their prompts side by side
                    // (the first to end gives its place in the store to the other), a group waiting for room, gaps
                    List<Sample> samples = new Sampler(model, null, 7, batching).generate(PROMPTS, p);
                    assertThat(samples).hasSize(12);
                    boolean someEnded = false;
                    for (Sample s : samples) {
                        long[] prompt = PROMPTS.get(s.promptIndex());
                        Decoded expected = references.computeIfAbsent(s.promptIndex() + "/" + s.sampleIndex(),
                                k -> reference(model, m, prompt, Sampler.stream(11, s.promptIndex(), s.sampleIndex()), 12, eos));
                        String row = String.format("%s %s prompt %d sample %d", fixture, batching, s.promptIndex(), s.sampleIndex());
                        assertThat(s.tokens()).as(row).containsExactly(expected.tokens());
                        for (int t = 0; t < s.tokens().length; t++) {
                            assertThat((double) s.logprobs()[t]).as("%s log-prob %d", row, t)
                                    .isCloseTo(expected.logprobs()[t], org.assertj.core.data.Offset.offset(1e-5));
                        }
                        someEnded |= s.finish() == Sample.Finish.EOS;
                    }
                    assertThat(someEnded).as("the EOS must end some rows early for the test to mean anything").isTrue();
                }
            }
        }
    }

    /**
     * Prompts that repeat and prompts that do not, in one batch (an online teacher's lookahead over several steps):
     * rows reading a shared prompt and rows holding their whole sequence decode side by side.
     */
    @Test
    void rowsWithAndWithoutASharedPromptDecodeTogether() {
        List<long[]> prompts = new ArrayList<>();
        for (int i : new int[] {0, 1, 0, 3, 2, 3, 3, 0}) { // prompt 1 and 2 once, 0 and 3 in groups
            prompts.add(PROMPTS.get(i));
        }
        Set<Integer> eos = Set.of(7, 8, 9);
        SamplingParams p = SamplingParams.of(1.0, 10, 21, eos);
        try (NDManager m = NDManager.newBaseManager();
             Transformer model = Checkpoint.loadTransformer(Fixtures.path("lm/llama_gqa_tied"), m)) {
            for (Sample s : new Sampler(model, null, 16).generate(prompts, p)) {
                Decoded expected = reference(model, m, prompts.get(s.promptIndex()), Sampler.stream(21, s.promptIndex(), 0), 10, eos);
                assertThat(s.tokens()).as("row %d", s.promptIndex()).containsExactly(expected.tokens());
                for (int t = 0; t < s.tokens().length; t++) {
                    assertThat((double) s.logprobs()[t]).isCloseTo(expected.logprobs()[t], org.assertj.core.data.Offset.offset(1e-5));
                }
            }
        }
    }

    /**
     * The server's pattern on a shared prompt: three samples of one request share it; one sits out two steps (evicted:
     * its group loses it) and comes back prefilled as a row of its own, while a newcomer with another prompt joins.
     */
    @Test
    void aSharedPromptsRowThatLeavesAndComesBackDecodesItsOwnTokens() {
        SamplingParams p = SamplingParams.of(1.0, 9, 0, Set.of());
        try (NDManager m = NDManager.newBaseManager();
             Transformer model = Checkpoint.loadTransformer(Fixtures.path("families/gemma3_text"), m);
             StepDecoder decoder = new StepDecoder(model, 8)) {
            List<StepDecoder.Row> rows = new ArrayList<>();
            for (int sample = 0; sample < 3; sample++) {
                rows.add(new StepDecoder.Row(PROMPTS.get(1), p, Sampler.stream(31, 0, sample)));
            }
            StepDecoder.Row newcomer = new StepDecoder.Row(PROMPTS.get(3), p, Sampler.stream(31, 1, 0));
            for (int step = 0; step < 9; step++) {
                List<StepDecoder.Row> now = new ArrayList<>();
                for (int i = 0; i < 3; i++) {
                    if (!(i == 1 && (step == 3 || step == 4))) {
                        now.add(rows.get(i));
                    }
                }
                if (step >= 2 && newcomer.generatedLength() < 7) {
                    now.add(newcomer);
                }
                decoder.step(now);
            }
            assertThat(decoder.sharedPromptSteps()).as("the group was read").isGreaterThan(0);
            for (int i = 0; i < 3; i++) {
                int n = rows.get(i).generatedLength();
                Decoded expected = reference(model, m, PROMPTS.get(1), Sampler.stream(31, 0, i), n, Set.of());
                assertThat(rows.get(i).generated()).as("sample %d", i).containsExactly(expected.tokens());
            }
            assertThat(newcomer.generated()).containsExactly(
                    reference(model, m, PROMPTS.get(3), Sampler.stream(31, 1, 0), 7, Set.of()).tokens());
        }
    }

    /** Every family's folded decoding weights (InferenceWeights) against its plain forward pass. */
    @Test
    void everyFamilyDecodesWhatItsFullPassDraws() {
        for (String fixture : new String[] {"families/gemma2", "families/gpt2", "families/llama_dynamic", "families/llama_llama3",
            "families/llama_yarn", "families/phi3", "families/qwen3"}) {
            try (NDManager m = NDManager.newBaseManager();
                 Transformer model = Checkpoint.loadTransformer(Fixtures.path(fixture), m)) {
                Set<Integer> eos = Set.of(7, 8, 9);
                SamplingParams p = SamplingParams.of(1.0, 8, 5, eos).withN(2);
                List<long[]> prompts = PROMPTS.subList(0, 2);
                for (Sample s : new Sampler(model, null, 3).generate(prompts, p)) {
                    Decoded expected = reference(model, m, prompts.get(s.promptIndex()),
                            Sampler.stream(5, s.promptIndex(), s.sampleIndex()), 8, eos);
                    assertThat(s.tokens()).as("%s prompt %d sample %d", fixture, s.promptIndex(), s.sampleIndex())
                            .containsExactly(expected.tokens());
                    for (int t = 0; t < s.tokens().length; t++) {
                        assertThat((double) s.logprobs()[t]).as("%s log-prob %d", fixture, t)
                                .isCloseTo(expected.logprobs()[t], org.assertj.core.data.Offset.offset(1e-5));
                    }
                }
            }
        }
    }

    @Test
    void samplesOfOnePromptArePrefilledOnce() {
        try (NDManager m = NDManager.newBaseManager();
             Transformer model = Checkpoint.loadTransformer(Fixtures.path("lm/llama_gqa_tied"), m)) {
            SamplingParams p = SamplingParams.of(1.0, 4, 3, Set.of());
            for (boolean share : new boolean[] {true, false}) {
                try (StepDecoder decoder = new StepDecoder(model, 16, share, 256)) {
                    List<StepDecoder.Row> rows = new ArrayList<>();
                    for (int prompt = 0; prompt < 2; prompt++) {
                        for (int sample = 0; sample < 4; sample++) {
                            rows.add(new StepDecoder.Row(PROMPTS.get(1 + 2 * prompt), p, Sampler.stream(3, prompt, sample)));
                        }
                    }
                    decoder.step(rows);
                    int longest = PROMPTS.get(1).length;
                    assertThat(decoder.prefilledTokens()).as("share %s", share).isEqualTo(share ? 2L * longest : 8L * longest);
                    decoder.step(rows);
                    assertThat(decoder.sharedPromptSteps()).as("the next step reads each prompt once").isEqualTo(share ? 1 : 0);
                }
            }
        }
    }
}
