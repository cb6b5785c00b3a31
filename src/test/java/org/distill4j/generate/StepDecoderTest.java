package org.distill4j.generate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.data.Offset.offset;

import ai.djl.ndarray.NDManager;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.distill4j.lm.Checkpoint;
import org.distill4j.lm.Fixtures;
import org.distill4j.lm.Transformer;
import org.junit.jupiter.api.Test;

/** Rows that join, leave and come back give the tokens that Sampler gives them decoded on their own. */
class StepDecoderTest {
    private static final long[][] PROMPTS = {{1, 5, 9}, {1, 12, 40, 7, 33, 8, 21}, {1}, {1, 60, 61, 62, 63}};

    /** Sampler's tokens for each prompt alone, with per-prompt seeds as the server passes them. */
    private static List<Sample> alone(Transformer model, SamplingParams p, int tokens) {
        List<Sample> out = new ArrayList<>();
        for (int i = 0; i < PROMPTS.length; i++) {
            SamplingParams q = new SamplingParams(p.temperature(), p.topK(), p.topP(), tokens, 1, 0, Set.of(), List.of(), 3);
            out.add(new Sampler(model, null, 8).generate(List.of(PROMPTS[i]), new long[] {100 + i}, q).get(0));
        }
        return out;
    }

    /** Row i joins at step 2·i and decodes until it has {@code tokens}; row 1 sits out steps 5 and 6. */
    private static List<StepDecoder.Row> staggered(Transformer model, SamplingParams p, int tokens, int maxSlots) {
        List<StepDecoder.Row> rows = new ArrayList<>();
        for (int i = 0; i < PROMPTS.length; i++) {
            rows.add(new StepDecoder.Row(PROMPTS[i], p.withTopLogprobs(3), 100 + i));
        }
        try (StepDecoder decoder = new StepDecoder(model, maxSlots)) {
            for (int step = 0; ; step++) {
                List<StepDecoder.Row> now = new ArrayList<>();
                for (int i = 0; i < rows.size(); i++) {
                    boolean paused = i == 1 && (step == 5 || step == 6);
                    if (step >= 2 * i && rows.get(i).generatedLength() < tokens && !paused) {
                        now.add(rows.get(i));
                    }
                }
                if (now.isEmpty()) {
                    break;
                }
                List<StepDecoder.Token> drawn = decoder.step(now);
                assertThat(drawn).extracting(StepDecoder.Token::row).containsExactlyElementsOf(now);
            }
        }
        return rows;
    }

    @Test
    void greedyRowsJoiningAndLeavingMatchSamplerAlone() {
        try (NDManager m = NDManager.newBaseManager();
             Transformer model = Checkpoint.loadTransformer(Fixtures.path("lm/qwen2_bias"), m)) {
            SamplingParams greedy = SamplingParams.of(0, 12, 0, Set.of());
            List<Sample> expected = alone(model, greedy, 12);
            for (int slots : new int[] {1, 64}) { // 1: every join rebuilds the cache; 64: rows join in place
                List<StepDecoder.Row> rows = staggered(model, greedy, 12, slots);
                for (int i = 0; i < PROMPTS.length; i++) {
                    assertThat(rows.get(i).generated()).as("prompt %d, %d slots", i, slots)
                            .containsExactly(expected.get(i).tokens());
                }
            }
        }
    }

    @Test
    void modelsWithSlidingWindowLayersMatchSamplerAloneToo() {
        for (String family : new String[] {"families/gemma2", "families/gemma3_text", "families/mistral"}) {
            try (NDManager m = NDManager.newBaseManager();
                 Transformer model = Checkpoint.loadTransformer(Fixtures.path(family), m)) {
                SamplingParams greedy = SamplingParams.of(0, 12, 0, Set.of());
                List<Sample> expected = alone(model, greedy, 12);
                for (int slots : new int[] {1, 64}) {
                    List<StepDecoder.Row> rows = staggered(model, greedy, 12, slots);
                    for (int i = 0; i < PROMPTS.length; i++) {
                        assertThat(rows.get(i).generated()).as("%s prompt %d, %d slots", family, i, slots)
                                .containsExactly(expected.get(i).tokens());
                    }
                }
            }
        }
    }

    @Test
    void aLoraAdaptedModelDecodesItsOwnTokensInTheServersBatchToo() {
        // serve --adapter: the server's decoder on base + PEFT adapter (tools/fixtures/lora_fixtures.py, non-zero B) gives
        // the adapted model's greedy tokens, which are not the base model's
        try (NDManager m = NDManager.newBaseManager();
             Transformer base = Checkpoint.loadTransformer(Fixtures.path("families/llama"), m);
             Transformer adapted = Checkpoint.loadTransformer(Fixtures.path("families/llama"), m)) {
            Checkpoint.attachAdapter(Fixtures.path("lora/llama"), adapted);
            SamplingParams greedy = SamplingParams.of(0, 12, 0, Set.of());
            List<Sample> expected = alone(adapted, greedy, 12);
            List<Sample> plain = alone(base, greedy, 12);
            boolean differs = false;
            for (int i = 0; i < PROMPTS.length; i++) {
                differs |= !java.util.Arrays.equals(plain.get(i).tokens(), expected.get(i).tokens());
            }
            assertThat(differs).as("the adapter changes some greedy continuation").isTrue();
            List<StepDecoder.Row> rows = staggered(adapted, greedy, 12, 64);
            for (int i = 0; i < PROMPTS.length; i++) {
                assertThat(rows.get(i).generated()).as("prompt %d", i).containsExactly(expected.get(i).tokens());
            }
        }
    }

    @Test
    void seededRowsDrawTheirOwnStreamWhateverTheBatch() {
        try (NDManager m = NDManager.newBaseManager();
             Transformer model = Checkpoint.loadTransformer(Fixtures.path("lm/llama_gqa_tied"), m)) {
            for (SamplingParams p : List.of(SamplingParams.of(0.9, 10, 0, Set.of()),
                    new SamplingParams(1.0, 5, 0.9, 10, 1, 0, Set.of(), List.of()))) {
                List<Sample> expected = alone(model, p, 10);
                List<StepDecoder.Row> rows = staggered(model, p, 10, 64);
                for (int i = 0; i < PROMPTS.length; i++) {
                    assertThat(rows.get(i).generated()).as("prompt %d, %s", i, p).containsExactly(expected.get(i).tokens());
                }
            }
        }
    }

    @Test
    void logprobsAreTheModelsOwn() {
        try (NDManager m = NDManager.newBaseManager();
             Transformer model = Checkpoint.loadTransformer(Fixtures.path("lm/llama_gqa_tied"), m);
             StepDecoder decoder = new StepDecoder(model, 8)) {
            SamplingParams p = SamplingParams.of(0, 6, 0, Set.of()).withTopLogprobs(3);
            Sample expected = alone(model, p, 6).get(1);
            StepDecoder.Row row = new StepDecoder.Row(PROMPTS[1], p, 101);
            List<StepDecoder.Token> tokens = new ArrayList<>();
            for (int i = 0; i < 6; i++) {
                tokens.addAll(decoder.step(List.of(row)));
            }
            for (int i = 0; i < 6; i++) {
                assertThat(tokens.get(i).logprob()).isCloseTo(expected.logprobs()[i], offset(1e-4f));
                assertThat(tokens.get(i).top().ids()).containsExactly(expected.top().get(i).ids());
            }
        }
    }

    @Test
    void aNewcomerIsSeatedWithoutRebuildingTheCache() {
        try (NDManager m = NDManager.newBaseManager();
             Transformer model = Checkpoint.loadTransformer(Fixtures.path("lm/qwen2_bias"), m);
             StepDecoder decoder = new StepDecoder(model, 8)) {
            SamplingParams greedy = SamplingParams.of(0, 8, 0, Set.of());
            List<Sample> expected = alone(model, greedy, 8);
            StepDecoder.Row first = new StepDecoder.Row(PROMPTS[1], greedy, 101);
            StepDecoder.Row newcomer = new StepDecoder.Row(PROMPTS[0], greedy, 100);
            for (int i = 0; i < 3; i++) {
                decoder.step(List.of(first));
            }
            for (int i = 0; i < 5; i++) {
                decoder.step(List.of(first, newcomer));
            }
            for (int i = 0; i < 3; i++) {
                decoder.step(List.of(newcomer));
            }
            assertThat(decoder.rebuilds()).as("only the first step built a cache").isEqualTo(1);
            assertThat(first.generated()).containsExactly(expected.get(1).tokens());
            assertThat(newcomer.generated()).containsExactly(expected.get(0).tokens());
        }
    }
}
