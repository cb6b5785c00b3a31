package org.distill4j.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.djl.ndarray.NDManager;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import org.distill4j.data.BatchOrder;
import org.distill4j.data.DataSource;
import org.distill4j.data.Example;
import org.distill4j.lm.Checkpoint;
import org.distill4j.lm.Fixtures;
import org.distill4j.lm.ModelConfig;
import org.distill4j.lm.Transformer;
import org.distill4j.loss.Divergence;
import org.distill4j.loss.DistillationLoss;
import org.junit.jupiter.api.Test;

/**
 * The teacher's log-probabilities computed once give the losses and diagnostics of the live teacher (which,
 * with the tests' 2 engine threads, runs one batch ahead on its own thread: {@link TeacherPipeline}).
 */
class PrecomputedTeacherTest {
    @Test
    void precomputedTeacherEqualsLiveTeacher() {
        SplittableRandom rng = new SplittableRandom(5);
        List<Example> data = new ArrayList<>();
        for (int i = 0; i < 12; i++) {
            long[] p = new long[2 + rng.nextInt(4)];
            p[0] = 1;
            for (int j = 1; j < p.length; j++) {
                p[j] = 3 + rng.nextInt(60);
            }
            long[] y = new long[1 + rng.nextInt(9)];
            for (int j = 0; j < y.length; j++) {
                y[j] = 3 + rng.nextInt(60);
            }
            y[y.length - 1] = 2;
            data.add(new Example(p, y));
        }
        try (NDManager m = NDManager.newBaseManager();
             Transformer teacher = Checkpoint.loadTransformer(Fixtures.path("lm/llama_gqa_tied"), m);
             Transformer student = Transformer.random(ModelConfig.llama(72, 16, 32, 1, 2, 1, 64, true, 1, 2, 0), m, 3)) {
            for (String div : List.of("fkl", "rkl", "jsd")) {
                for (double tau : new double[] {1.0, 2.0}) {
                    DataSource source = new DataSource.Offline(data, new BatchOrder(data.size(), 5, 1, 0));
                    DistillationLoss loss = new DistillationLoss(Divergence.parse(div, 0.5, 0.1), tau);
                    try (KdObjective live = new KdObjective(student, teacher, source, loss, 0, 1, Set.of(2), Map::of)) {
                        KdObjective pre = new KdObjective(student, teacher, source, loss, 0, 1, Set.of(2), Map::of).precomputeTeacher(data, 4);
                        for (long step = 0; step < 4; step++) {
                            try (NDManager s = student.manager().newSubManager()) {
                                Objective.Loss a = live.loss(s, step, 0);
                                Objective.Loss b = pre.loss(s, step, 0);
                                float va = a.value().toFloatArray()[0];
                                assertThat(b.value().toFloatArray()[0]).as(div + " τ=" + tau).isCloseTo(va, within(1e-5f * (1 + Math.abs(va))));
                                a.extra().forEach((k, v) -> assertThat(b.extra().get(k)).as(k).isCloseTo(v, within(1e-4 * (1 + Math.abs(v)))));
                            }
                        }
                    }
                }
            }
        }
    }
}
