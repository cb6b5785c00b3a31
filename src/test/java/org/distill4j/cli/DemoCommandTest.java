package org.distill4j.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.List;
import org.distill4j.experiment.LabConfig;
import org.distill4j.experiment.LabVariant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** The demo's own flags: presets and the flags that change them, and clean failures before anything is written. */
class DemoCommandTest {
    @TempDir
    Path tmp;

    private static LabConfig config(String... args) {
        DemoCommand cmd = new DemoCommand();
        new CommandLine(cmd).parseArgs(args);
        return cmd.config();
    }

    @Test
    void anUnknownTaskOrAStepCountBelowOneIsOneCleanLineAndNoRunDirectory() {
        Path out = tmp.resolve("demo");
        for (String[] bad : new String[][] {{"--task", "klingon"}, {"--max-steps", "0"}, {"--eval-every", "0"}, {"--workers", "0"},
            {"--variants", "offline,online-oracle"}, {"--lr", "0"}, {"--final-lr", "-1e-4"}, {"--val-size", "0"}}) {
            CliErrorsTest.Result r = CliErrorsTest.run("demo", "--out", out.toString(), bad[0], bad[1]);
            assertThat(r.code()).as(r.err()).isEqualTo(2);
            assertThat(r.err()).startsWith("error: ").contains(bad[0].equals("--variants") ? "online-oracle" : bad[0])
                    .doesNotContain("Exception");
        }
        assertThat(out).doesNotExist();
    }

    @Test
    void paperIsTheStandardDemoWithASixTimesLargerOfflineSetRunFourTimesLongerAtHalfTheRate() {
        LabConfig paper = config("--paper");
        LabConfig standard = LabConfig.standard();
        assertThat(paper).isEqualTo(LabConfig.paper());
        assertThat(paper.toBuilder().distillPrompts(standard.distillPrompts()).distillSteps(standard.distillSteps())
                .distillLr(standard.distillLr()).distillFinalLr(null).evalEvery(standard.evalEvery()).build())
                .as("only P, the steps, the rate and its decay, and the cadence differ").isEqualTo(standard);
        assertThat(List.of(paper.distillPrompts(), paper.generations(), paper.distillSteps(), paper.evalEvery()))
                .containsExactly(384, 2, 800, 40);
        assertThat(List.of(paper.distillLr(), paper.distillFinalLr())).containsExactly(5e-4, 2e-4);
        // epochs of the offline set (P·G sequences, batch B): 16.7 over six times the sequences, against the standard's 25
        assertThat((double) paper.distillSteps() * paper.distillBatch() / (paper.distillPrompts() * paper.generations()))
                .isCloseTo(16.67, org.assertj.core.api.Assertions.within(0.01));
        assertThat((double) standard.distillSteps() * standard.distillBatch() / (standard.distillPrompts() * standard.generations()))
                .isEqualTo(25);
        assertThat(config()).as("the default demo is unchanged").isEqualTo(standard);
        assertThat(config("--paper", "--lr", "1e-3").distillLr()).isEqualTo(1e-3);
        assertThat(config("--paper", "--lr", "1e-3").distillFinalLr()).as("the preset's decay is kept").isEqualTo(2e-4);
        assertThat(config("--lr", "2e-3").distillFinalLr()).as("the standard demo: a constant rate").isEqualTo(2e-3);
        LabConfig decayed = config("--final-lr", "5e-5");
        assertThat(List.of(decayed.distillLr(), decayed.distillFinalLr())).containsExactly(1e-3, 5e-5);
        assertThat(decayed.toBuilder().distillFinalLr(null).build()).isEqualTo(standard);
    }

    @Test
    void flagsChangeThePresetAndVariantsSelectRunsInTheLabsOrder() {
        LabConfig c = config("--paper", "--seeds", "1", "--max-steps", "300", "--variants", "online-teacher,offline");
        assertThat(c.seeds()).containsExactly(1L);
        assertThat(c.distillSteps()).isEqualTo(300);
        assertThat(c.distillPrompts()).isEqualTo(384);
        assertThat(c.valPrompts()).as("the preset's").isEqualTo(48);
        assertThat(config("--paper", "--val-size", "96").valPrompts()).isEqualTo(96);
        assertThat(config("--task", "shakespeare", "--val-size", "12").valPrompts()).isEqualTo(12);
        assertThat(LabVariant.selected(c).stream().map(LabVariant::name)).containsExactly("offline", "online-teacher");
        assertThat(LabVariant.selected(LabConfig.paper())).hasSize(LabVariant.all(LabConfig.paper()).size());
    }

    @Test
    void paperIsTheEmbeddedTasksFullDemoOnly() {
        Path out = tmp.resolve("demo");
        for (String[] bad : new String[][] {{"--paper", "--quick"}, {"--paper", "--task=shakespeare"}}) {
            CliErrorsTest.Result r = CliErrorsTest.run("demo", "--out", out.toString(), bad[0], bad[1]);
            assertThat(r.code()).as(r.err()).isEqualTo(2);
            assertThat(r.err()).startsWith("error: ").contains("--paper").doesNotContain("Exception");
        }
        assertThat(out).doesNotExist();
    }
}
