package org.distill4j.experiment;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The lens's budget in epochs, its copies with one setting changed, and lens.yaml's round trip. */
class LensConfigTest {
    @TempDir
    Path tmp;

    @Test
    void stepsComeFromEpochsOverTheTeachersAnswers() {
        LensConfig c = LensConfig.standard("lab");
        // 256 answers at 8 prompts a step: 32 steps an epoch; the paper's 1 warmup + 2 GRPO epochs
        assertThat(c.warmupSteps()).isEqualTo(32);
        assertThat(c.gameSteps()).isEqualTo(64);
        assertThat(c.discriminatorSteps()).isEqualTo(32);
        assertThat(c.withDiscriminator(3e-4, 0.5).warmupSteps()).isEqualTo(16);
    }

    @Test
    void copiesChangeOneSettingAndKeepTheRest() {
        LensConfig c = LensConfig.standard("lab");
        LensConfig d = c.withGeneratorLr(3e-5).withTeacher("teacher").withMethods(List.of("gad")).withSeeds(List.of(7L));
        assertThat(d.generatorLr()).isEqualTo(3e-5);
        assertThat(d.discriminatorLr()).isEqualTo(3e-5); // equal learning rates, as the reference recipe
        assertThat(d.teacher()).isEqualTo("teacher");
        assertThat(d.methods()).containsExactly("gad");
        assertThat(d.seeds()).containsExactly(7L);
        assertThat(d.withTeacher("oracle").withMethods(c.methods()).withSeeds(c.seeds()).withGeneratorLr(c.generatorLr())).isEqualTo(c);
        assertThatThrownBy(() -> c.withTeacher("gpt")).hasRootCauseInstanceOf(IllegalArgumentException.class);
        Path f = tmp.resolve("lens.yaml");
        d.write(f);
        assertThat(LensConfig.read(f)).isEqualTo(d);
    }
}
