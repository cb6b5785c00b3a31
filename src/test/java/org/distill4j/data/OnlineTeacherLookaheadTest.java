package org.distill4j.data;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDManager;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import org.distill4j.generate.Sampler;
import org.distill4j.generate.SamplingParams;
import org.distill4j.lm.Checkpoint;
import org.distill4j.lm.Fixtures;
import org.distill4j.lm.Transformer;
import org.junit.jupiter.api.Test;

/** Sampling the teacher's batches of several steps at once gives the batches of one step at a time. */
class OnlineTeacherLookaheadTest {
    @Test
    void lookaheadDoesNotChangeTheBatches() {
        SplittableRandom rng = new SplittableRandom(3);
        List<long[]> prompts = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            long[] p = new long[2 + rng.nextInt(4)];
            p[0] = 1;
            for (int j = 1; j < p.length; j++) {
                p[j] = 3 + rng.nextInt(60);
            }
            prompts.add(p);
        }
        SamplingParams params = SamplingParams.of(1.0, 12, 5, Set.of(2));
        try (NDManager m = NDManager.newBaseManager();
             Transformer teacher = Checkpoint.loadTransformer(Fixtures.path("lm/llama_gqa_tied"), m)) {
            DataSource one = new DataSource.OnlineTeacher(new Sampler(teacher, null, 256), prompts, new BatchOrder(10, 4, 2, 7), params);
            DataSource.OnlineTeacher ahead = new DataSource.OnlineTeacher(new Sampler(teacher, null, 256), prompts,
                    new BatchOrder(10, 4, 2, 7), params, new DataSource.Lookahead(3, 2));
            // out of order as after a resume: step 4 first (window 3..5), then 0..7
            assertSame(one.batch(4, 1), ahead.batch(4, 1));
            for (long step = 0; step < 8; step++) {
                for (int micro = 0; micro < 2; micro++) {
                    assertSame(one.batch(step, micro), ahead.batch(step, micro));
                }
            }
            // fresh samples: the same prompt at different steps gets different responses
            assertThat(one.batch(0, 0).get(0).response()).isNotEqualTo(one.batch(5, 0).get(0).response());
        }
    }

    private static void assertSame(List<Example> a, List<Example> b) {
        assertThat(b).hasSameSizeAs(a);
        for (int i = 0; i < a.size(); i++) {
            assertThat(b.get(i).prompt()).containsExactly(a.get(i).prompt());
            assertThat(b.get(i).response()).containsExactly(a.get(i).response());
        }
    }
}
