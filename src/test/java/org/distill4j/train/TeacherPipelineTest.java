package org.distill4j.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.jni.JniUtils;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class TeacherPipelineTest {
    private NDManager manager;
    private int threads;

    @BeforeEach
    void setUp() {
        manager = NDManager.newBaseManager();
        threads = JniUtils.getNumThreads();
        JniUtils.setNumThreads(2);
    }

    @AfterEach
    void tearDown() {
        JniUtils.setNumThreads(threads);
        manager.close();
    }

    /** Work that records the thread it ran on and returns [key, key²] computed with the engine. */
    private static Function<NDManager, NDArray> work(long key, List<String> ranOn) {
        return scope -> {
            ranOn.add(Thread.currentThread().getName());
            NDArray x = scope.create(new float[] {key, key}, new Shape(2));
            return x.mul(scope.create(new float[] {1, key}, new Shape(2)));
        };
    }

    @Test
    void itHandsOutWhatEachKeyComputesAheadOrNotAndOnItsOwnThread() {
        List<String> ranOn = new ArrayList<>();
        try (TeacherPipeline p = TeacherPipeline.open().orElseThrow(); NDManager m = manager.newSubManager()) {
            assertThat(JniUtils.getNumThreads()).as("the caller keeps the other thread").isEqualTo(1);
            // keys 0, 1, 2 in order (1 and 2 were computed ahead), then a jump to 7 (computed on demand)
            long[] keys = {0, 1, 2, 7, 8};
            for (long key : keys) {
                NDArray out = p.take(m, key, work(key, ranOn), key + 1, work(key + 1, ranOn));
                assertThat(out.toFloatArray()).containsExactly(key, (float) key * key);
                assertThat(out.getManager()).isSameAs(m);
            }
        }
        assertThat(ranOn).as("0, then ahead 1, 2, 3 (unused), then 7 on demand and 8, 9 ahead").hasSize(7)
                .containsOnly("teacher-pipeline");
        assertThat(JniUtils.getNumThreads()).as("close gives the threads back").isEqualTo(2);
    }

    @Test
    void aFailingForwardPassFailsTheCallThatNeedsIt() {
        try (TeacherPipeline p = TeacherPipeline.open().orElseThrow(); NDManager m = manager.newSubManager()) {
            Function<NDManager, NDArray> fails = scope -> {
                throw new IllegalStateException("teacher broke");
            };
            p.take(m, 0, work(0, new ArrayList<>()), 1, fails);
            assertThatThrownBy(() -> p.take(m, 1, fails, 2, null)).hasMessage("teacher broke");
        }
    }

    @Test
    void oneEngineThreadLeavesNothingToShare() {
        JniUtils.setNumThreads(1);
        assertThat(TeacherPipeline.open()).isEmpty();
    }
}
