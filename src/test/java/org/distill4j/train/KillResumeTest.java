package org.distill4j.train;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.distill4j.cli.Main;
import org.distill4j.lm.Lora;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every trainer: N steps straight equal a run killed (SIGKILL, in a child JVM) right after a checkpoint that does
 * not fall on a metrics row, then resumed for the rest: final weights bit for bit, every metrics row's values (but
 * time and memory) as text. The kd run has a live teacher over offline data, whose next forward pass runs ahead on
 * its own thread in both runs and on demand right after the resume.
 */
@Tag("slow")
@Timeout(value = 6, unit = TimeUnit.MINUTES)
class KillResumeTest {
    @TempDir
    Path tmp;

    private void check(TrainingRuns.Verb verb, int steps, int killAt, String weights) throws Exception {
        Path straight = tmp.resolve("straight");
        assertThat(Main.run(verb.args(straight, steps, 3, 2).toArray(String[]::new))).isZero();
        Path crashed = tmp.resolve("crashed");
        TrainingRuns.runAndKill(verb.args(crashed, steps, 3, 2), crashed, killAt, tmp.resolve("child.log"));
        assertThat(crashed.resolve(weights)).doesNotExist(); // the final model was never written
        List<String> resume = verb.args(crashed, steps, 3, 2);
        resume.add("--resume");
        assertThat(Main.run(resume.toArray(String[]::new))).isZero();
        TrainingRuns.assertSameRun(straight, crashed, weights);
    }

    @Test
    void sft() throws Exception {
        check(TrainingRuns.sft(tmp), 8, 3, "model.safetensors");
    }

    @Test
    void kdWithTheTeacherAhead() throws Exception {
        check(TrainingRuns.kd(tmp), 8, 3, "model.safetensors");
    }

    @Test
    void seqkd() throws Exception {
        check(TrainingRuns.gad(tmp, true), 8, 3, "model.safetensors");
    }

    @Test
    void sftWithLoraAdapters() throws Exception {
        check(TrainingRuns.sftLora(tmp), 8, 3, Lora.WEIGHTS);
    }

    @Test
    void kdWithLoraAdapters() throws Exception {
        check(TrainingRuns.withLora(TrainingRuns.kd(tmp)), 8, 3, Lora.WEIGHTS);
    }

    @Test
    void gadWithLoraAdaptersOnGeneratorAndDiscriminator() throws Exception {
        check(TrainingRuns.withLora(TrainingRuns.gad(tmp, false)), 8, 3, Lora.WEIGHTS);
        TrainingRuns.assertSameWeights(tmp.resolve("straight/discriminator").resolve(Lora.WEIGHTS),
                tmp.resolve("crashed/discriminator").resolve(Lora.WEIGHTS));
    }

    @Test
    void gadWithItsDiscriminator() throws Exception {
        check(TrainingRuns.gad(tmp, false), 8, 3, "model.safetensors");
        for (String file : List.of("model.safetensors", org.distill4j.gad.Discriminator.HEAD_FILE)) {
            TrainingRuns.assertSameWeights(tmp.resolve("straight/discriminator").resolve(file), tmp.resolve("crashed/discriminator").resolve(file));
        }
    }
}
