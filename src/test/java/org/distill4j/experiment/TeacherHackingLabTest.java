package org.distill4j.experiment;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.distill4j.train.LrSchedule;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The lab on the embedded task with tiny sizes. */
@Timeout(value = 5, unit = TimeUnit.MINUTES) // starts child processes: a hung child must not hang the suite
class TeacherHackingLabTest {
    @TempDir
    Path tmp;

    static LabConfig tiny(List<Long> seeds) {
        LabConfig.ModelSize m = new LabConfig.ModelSize(16, 1, 2, 1, 32);
        return LabConfig.builder().seeds(seeds).oracle(m).teacher(m).student(new LabConfig.ModelSize(8, 1, 2, 1, 16))
                .oracleExamples(40).oracleSteps(3).oraclePrompts(30).sftSteps(3).sftBatch(8)
                .distillPrompts(8).budgets(List.of(1, 2)).distillSteps(4).distillBatch(4).evalEvery(4).valPrompts(4).maxNewTokens(16)
                .build();
    }

    @Test
    void anEmptySeedListRunsStagesZeroAndOneOnly() throws Exception {
        Path dir = tmp.resolve("lab");
        new TeacherHackingLab(dir, tiny(List.of()), LabJob.Runner.inProcess()).run();
        for (String d : List.of("oracle", "teacher", "student-init")) {
            assertThat(dir.resolve(d).resolve("model.safetensors")).exists();
        }
        assertThat(dir.resolve("tokenizer.json")).exists();
        try (Stream<Path> files = Files.list(dir)) {
            assertThat(files.map(p -> p.getFileName().toString()))
                    .containsExactlyInAnyOrder("oracle", "teacher", "student-init", "tokenizer.json", "data");
        }
        try (Stream<Path> files = Files.list(dir.resolve("data"))) {
            assertThat(files.map(p -> p.getFileName().toString())).containsExactlyInAnyOrder("grammar.jsonl", "oracle.jsonl");
        }
    }

    @Test
    void configRoundTripsThroughYamlAndOldConfigsReadWithTemperatureOneAndAllVariants() throws Exception {
        Path f = tmp.resolve("config.yaml");
        for (LabConfig c : List.of(LabConfig.standard(), LabConfig.paper().toBuilder().variants(List.of("offline")).build(),
                LabConfig.standard().toBuilder().distillFinalLr(5e-5).build())) {
            c.write(f);
            assertThat(LabConfig.read(f)).isEqualTo(c);
        }
        LabConfig.standard().write(f);
        Files.writeString(f, Files.readString(f).replaceAll("(?m)^generationTemperature:.*\\n", "")
                .replaceAll("(?m)^variants:.*\\n", ""));
        assertThat(LabConfig.read(f).generationTemperature()).isEqualTo(1.0);
        assertThat(LabConfig.read(f).variants()).isEmpty();
        assertThat(LabVariant.selected(LabConfig.read(f))).isEqualTo(LabVariant.all(LabConfig.standard()));
        LabConfig.standard().write(f);
        Files.writeString(f, Files.readString(f).replaceAll("(?m)^distillFinalLr:.*\\n", ""));
        assertThat(LabConfig.read(f)).as("a config from before the decay existed: a constant rate").isEqualTo(LabConfig.standard());
    }

    @Test
    void theDistillationRateWarmsUpForTenStepsThenIsConstantOrDecaysByACosineToTheFinalRateAtTheLastStep() {
        LabConfig constant = LabConfig.paper().toBuilder().distillFinalLr(null).build();
        assertThat(constant.distillFinalLr()).isEqualTo(constant.distillLr());
        LrSchedule flat = DistillStage.trainConfig(constant, 1).schedule();
        assertThat(flat.lr(0)).isZero();
        assertThat(flat.lr(5)).isCloseTo(2.5e-4, within(1e-12));
        for (long s : new long[] {10, 400, 799, 800}) {
            assertThat(flat.lr(s)).isEqualTo(5e-4);
        }
        LabConfig decayed = constant.toBuilder().distillFinalLr(5e-5).build();
        assertThat(LabConfig.paper().distillFinalLr()).as("the paper preset decays").isEqualTo(2e-4);
        LrSchedule cos = DistillStage.trainConfig(decayed, 1).schedule();
        assertThat(cos.lr(10)).isEqualTo(5e-4);
        assertThat(cos.lr(405)).as("half way through the decay: the mean of peak and final").isCloseTo(2.75e-4, within(1e-12));
        assertThat(cos.lr(800)).isCloseTo(5e-5, within(1e-15));
        assertThat(decayed.toBuilder().distillLr(1e-3).build().distillFinalLr()).as("a set final rate is kept").isEqualTo(5e-5);
        assertThat(constant.toBuilder().distillLr(1e-3).build().distillFinalLr()).as("a constant rate follows the peak").isEqualTo(1e-3);
    }

    @Test
    void aSubsetOfVariantsRunsOnlyThoseAndTheReportJudgesTheirFigureFourSignature() {
        Path dir = tmp.resolve("lab");
        LabConfig cfg = tiny(List.of(1L)).toBuilder().variants(List.of("offline", "budget-1")).distillSteps(8).build();
        new TeacherHackingLab(dir, cfg, LabJob.Runner.inProcess()).run();
        assertThat(dir.resolve("seed-1").toFile().list()).containsExactlyInAnyOrder("offline", "budget-1");
        org.distill4j.report.LabReport report = new org.distill4j.report.LabReport(dir);
        report.write();
        var summary = report.summary();
        assertThat(summary.variants().keySet()).containsExactlyInAnyOrder("offline", "budget-1");
        var seed = summary.variants().get("offline").seeds().get(0);
        assertThat(seed.signature()).isNotNull();
        assertThat(seed.signature().proxyAtGoldenMin()).isNotNull();
        assertThat(summary.variants().get("offline").paperSignature()).matches("[01]/1");
        assertThat(summary.verdictLines().get(0)).contains("Fig. 4 U: ");
        assertThat(dir.resolve("summary.json")).content().contains("\"signature\"", "\"proxy_at_golden_min\"");
    }

    @Test
    void anUnknownVariantIsAUserErrorNamingTheKnownOnes() {
        LabConfig cfg = LabConfig.standard().toBuilder().variants(List.of("offline", "online-oracle")).build();
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> LabVariant.selected(cfg))
                .isInstanceOf(org.distill4j.util.UserError.class).hasMessageContaining("online-oracle").hasMessageContaining("budget-8");
    }

    @Test
    void theHeldOutSplitIsAUniformHashOfTheTextNestedInTheFraction() {
        int held = 0;
        int heldAtTwice = 0;
        for (int i = 0; i < 2000; i++) {
            String p = "prompt number " + i;
            boolean h = LabInputsSetup.heldOut(p, 0.1);
            boolean h2 = LabInputsSetup.heldOut(p, 0.2);
            if (h) {
                assertThat(h2).as("a larger fraction keeps every prompt a smaller one held out").isTrue();
            }
            held += h ? 1 : 0;
            heldAtTwice += h2 ? 1 : 0;
        }
        assertThat(held).isBetween(150, 250);
        assertThat(heldAtTwice).isBetween(340, 460);
    }
}
