package org.distill4j.lm;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Writes checkpoints saved by distill4j, with their Java logits, to target/hf-export/ so that
 * tools/fixtures/check_hf_load.py can load them with transformers and compare (the Java side checks what it
 * can without Python: the saved directory reloads to the same logits).
 */
class HfExportTest {
    @Test
    void exportCheckpointsForTransformers() {
        Path root = Path.of("target", "hf-export");
        List<ModelConfig> configs = List.of(
                ModelConfig.llama(96, 32, 64, 2, 4, 2, 64, true, 1, 2, 0),
                ModelConfig.llama(96, 32, 64, 2, 4, 4, 64, false, 1, 2, 0));
        long[] ids = {1, 5, 9, 33, 70, 2, 1, 44, 45, 46, 47, 95};
        for (int i = 0; i < configs.size(); i++) {
            Path dir = root.resolve("llama" + i);
            try (NDManager m = NDManager.newBaseManager(); Transformer t = Transformer.random(configs.get(i), m, 11 + i)) {
                Checkpoint.save(dir, t, Safetensors.DType.F32, Map.of());
                float[] logits = t.forward(m.create(ids, new Shape(2, 6)), null, null, null).toFloatArray();
                new Safetensors.Writer().addLongs("input_ids", ids, new long[] {2, 6})
                        .add("logits", logits, new long[] {2, 6, configs.get(i).vocabSize()}, Safetensors.DType.F32)
                        .write(dir.resolve("java_logits.safetensors"));
                try (Transformer back = Checkpoint.loadTransformer(dir, m)) {
                    float[] again = back.forward(m.create(ids, new Shape(2, 6)), null, null, null).toFloatArray();
                    assertThat(again).containsExactly(logits);
                }
            }
        }
    }
}
