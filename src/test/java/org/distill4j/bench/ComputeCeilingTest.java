package org.distill4j.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.djl.ndarray.NDManager;
import java.util.List;
import java.util.Map;
import org.distill4j.lm.Transformer;
import org.junit.jupiter.api.Test;

class ComputeCeilingTest {
    /** 2 FLOPs per weight of every 2-D projection of the model's own parameter list (an independent count). */
    private static double layerFlopsFromParameters(BenchShape shape) {
        double flops = 0;
        for (Map.Entry<String, long[]> e : Transformer.parameterShapes(shape.config()).entrySet()) {
            if (e.getKey().startsWith("model.layers.") && e.getValue().length == 2) {
                flops += 2.0 * e.getValue()[0] * e.getValue()[1];
            }
        }
        return flops;
    }

    @Test
    void flopCountsMatchTheModelsParameters() {
        for (BenchShape shape : new BenchShape[] {BenchShape.SMALL, BenchShape.MEDIUM}) {
            assertThat(shape.layerFlopsPerToken()).isEqualTo(layerFlopsFromParameters(shape));
            long[] embed = Transformer.parameterShapes(shape.config()).get("model.embed_tokens.weight");
            assertThat(shape.headFlopsPerToken()).isEqualTo(2.0 * embed[0] * embed[1]);
        }
    }

    @Test
    void generationCountsThePrefillOnceAndTheHeadOnlyWhereItSamples() {
        BenchShape s = BenchShape.SMALL;
        // one prompt token, one new token: one pass of the layers and one of the head
        assertThat(ComputeCeiling.generateFlopsPerToken(s, 1, 1)).isEqualTo(s.layerFlopsPerToken() + s.headFlopsPerToken());
        // 16 + 64: the layers see 16 + 63 tokens, the head 64
        double perToken = (79 * s.layerFlopsPerToken() + 64 * s.headFlopsPerToken()) / 64;
        assertThat(ComputeCeiling.generateFlopsPerToken(s, 16, 64)).isCloseTo(perToken, within(1e-6 * perToken));
    }

    @Test
    void trainingIsThreeForwardsAndKdAddsTheTeachersForward() {
        double studentForward = BenchShape.SMALL.withVocab(8192).forwardFlopsPerToken(BenchShape.SEQ);
        assertThat(ComputeCeiling.kdFlopsPerToken())
                .isEqualTo(BenchShape.MEDIUM.forwardFlopsPerToken(BenchShape.SEQ) + 3 * studentForward);
        assertThat(ComputeCeiling.tokensPerSecond(1e9, 100)).isEqualTo(100);
    }

    @Test
    void theGemmFloorTimesExactlyTheProductsTheCeilingCounts() {
        for (BenchShape shape : new BenchShape[] {BenchShape.SMALL, BenchShape.MEDIUM}) {
            double flops = 0;
            for (GemmFloor.Gemm g : GemmFloor.products(shape, GemmFloor.generatePasses(64, 16, 64))) {
                flops += g.count() * 2.0 * g.m() * g.k() * g.n();
            }
            double expected = 64 * 64 * ComputeCeiling.generateFlopsPerToken(shape, 16, 64);
            assertThat(flops).isCloseTo(expected, within(1e-9 * expected));
        }
    }

    @Test
    void thePassOrderFloorRunsTheSameProductsPassByPass() {
        List<GemmFloor.Pass> passes = GemmFloor.generatePasses(64, 16, 64);
        assertThat(passes).containsExactly(new GemmFloor.Pass(1024, 64, 1), new GemmFloor.Pass(64, 64, 63));
        // a tiny shape, timed for real: one product per layer and kind per pass repetition, the head once per pass
        BenchShape tiny = new BenchShape("tiny", 16, 2, 2, 24, 32, 1);
        List<GemmFloor.Pass> few = List.of(new GemmFloor.Pass(8, 2, 1), new GemmFloor.Pass(2, 2, 3));
        assertThat(GemmFloor.products(tiny, few)).containsExactly(
                new GemmFloor.Gemm(8, 16, 48, 2), new GemmFloor.Gemm(8, 16, 16, 2), new GemmFloor.Gemm(8, 16, 48, 2),
                new GemmFloor.Gemm(8, 24, 16, 2), new GemmFloor.Gemm(2, 16, 32, 1),
                new GemmFloor.Gemm(2, 16, 48, 6), new GemmFloor.Gemm(2, 16, 16, 6), new GemmFloor.Gemm(2, 16, 48, 6),
                new GemmFloor.Gemm(2, 24, 16, 6), new GemmFloor.Gemm(2, 16, 32, 3));
        try (NDManager m = NDManager.newBaseManager()) {
            double seconds = GemmFloor.secondsInPassOrder(m, tiny, few);
            assertThat(seconds).isPositive().isLessThan(1.0);
            assertThat(m.getManagedArrays()).as("the weights and inputs are freed").isEmpty();
        }
    }
}
