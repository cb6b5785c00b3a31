package org.distill4j.gad;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.djl.ndarray.NDManager;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.distill4j.lm.Checkpoint;
import org.distill4j.lm.LanguageModel;
import org.distill4j.lm.Transformer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DiscriminatorTest {
    @TempDir
    Path tmp;

    private static final long[] P1 = {1, 5, 6};
    private static final long[] Y1 = {7, 8, 2};
    private static final long[] P2 = {1, 9, 10, 11, 12};
    private static final long[] Y2 = {13, 14, 15, 16, 17, 2};

    @Test
    void scoreReadsTheLastResponseTokenWhateverThePadding() throws Exception {
        Path s = TinyStudent.write(tmp.resolve("s"), 1);
        try (NDManager m = NDManager.newBaseManager(); Discriminator d = Discriminator.fromStudent(s, m, 3)) {
            float alone = d.scores(m, List.of(P1), List.of(Y1)).getFloat(0);
            float[] batch = d.scores(m, List.of(P2, P1), List.of(Y2, Y1)).toFloatArray();
            assertThat((double) batch[1]).isCloseTo(alone, within(1e-5));
            // the score is head · (final hidden state at the last response token)
            Transformer t = d.backbone();
            float[] h = t.hidden(m.create(new long[] {1, 5, 6, 7, 8, 2}, new ai.djl.ndarray.types.Shape(1, 6)), null, null, null)
                    .get("0, 5, :").toFloatArray();
            float[] w = d.parameters().get(Discriminator.HEAD).toFloatArray();
            double dot = 0;
            for (int i = 0; i < h.length; i++) {
                dot += h[i] * w[i];
            }
            assertThat((double) alone).isCloseTo(dot, within(1e-5));
        }
    }

    @Test
    void writtenDiscriminatorLoadsWithTheSameScoresAndTheBackboneStaysAStudentCheckpoint() throws Exception {
        Path s = TinyStudent.write(tmp.resolve("s"), 1);
        Path out = Files.createDirectories(tmp.resolve("d"));
        try (NDManager m = NDManager.newBaseManager(); Discriminator d = Discriminator.fromStudent(s, m, 3)) {
            float[] before = d.scores(m, List.of(P1, P2), List.of(Y1, Y2)).toFloatArray();
            d.writeFiles(out, Map.of(Checkpoint.TOKENIZER, s.resolve(Checkpoint.TOKENIZER)));
            try (Discriminator back = Discriminator.load(out, m)) {
                assertThat(back.scores(m, List.of(P1, P2), List.of(Y1, Y2)).toFloatArray()).containsExactly(before);
            }
        }
        try (LanguageModel lm = LanguageModel.load(out)) {
            assertThat(lm.config().hiddenSize()).isEqualTo(32);
        }
    }

    @Test
    void headIsFreshAndSeeded() throws Exception {
        Path s = TinyStudent.write(tmp.resolve("s"), 1);
        try (NDManager m = NDManager.newBaseManager();
             Discriminator a = Discriminator.fromStudent(s, m, 3);
             Discriminator b = Discriminator.fromStudent(s, m, 3);
             Discriminator c = Discriminator.fromStudent(s, m, 4)) {
            float[] ha = a.parameters().get(Discriminator.HEAD).toFloatArray();
            assertThat(b.parameters().get(Discriminator.HEAD).toFloatArray()).containsExactly(ha);
            assertThat(c.parameters().get(Discriminator.HEAD).toFloatArray()).isNotEqualTo(ha);
            assertThat(a.parameters()).doesNotContainKey("lm_head.weight").containsKey("model.embed_tokens.weight");
        }
    }
}
