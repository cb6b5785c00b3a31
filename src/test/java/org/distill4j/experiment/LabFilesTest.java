package org.distill4j.experiment;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.distill4j.eval.ProxyGoldenEvaluator;
import org.distill4j.generate.Sample;
import org.distill4j.util.UserError;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The lab's data files and config: written from records under the field names earlier runs used, read back the same. */
class LabFilesTest {
    @TempDir
    Path tmp;

    private static Sample draw(int p, int g, long... ids) {
        return new Sample(p, g, ids, new float[ids.length], "", Sample.Finish.EOS, List.of());
    }

    @Test
    void drawsKeepTheirFieldNamesAndNeedEveryPromptAndGeneration() throws Exception {
        Path f = tmp.resolve("draws.jsonl");
        LabFiles.writeDraws(f, List.of(draw(0, 0, 5, 6), draw(0, 1, 7), draw(1, 0, 8), draw(1, 1, 9, 10, 11)), 0.7);
        assertThat(Files.readAllLines(f).get(0)).isEqualTo("{\"prompt_index\":0,\"sample\":0,\"temperature\":0.7,\"response_ids\":[5,6]}");
        long[][][] d = LabFiles.readDraws(f, 2, 2, 0.7);
        assertThat(d[1][1]).containsExactly(9, 10, 11);
        assertThat(d[0][1]).containsExactly(7);
        assertThat(LabFiles.readDraws(f, 2, 3, 0.7)).as("a third generation is missing").isNull();
        assertThat(LabFiles.readDraws(f, 2, 2, 1.0)).as("drawn at another temperature").isNull();
        // a file written before draws had a temperature reads as temperature 1
        Files.writeString(f, "{\"prompt_index\":0,\"sample\":0,\"response_ids\":[1]}\n");
        assertThat(LabFiles.readDraws(f, 1, 1, 1.0)[0][0]).containsExactly(1);
    }

    @Test
    void validationSamplesAndPairsRoundTrip() throws Exception {
        Path f = tmp.resolve("val.jsonl");
        var samples = new ProxyGoldenEvaluator.Samples(List.of(new long[] {1, 2}), List.of(new long[] {3}), List.of(new long[] {4, 5}));
        LabFiles.writeValidation(f, samples);
        assertThat(Files.readString(f)).isEqualTo("{\"prompt_ids\":[1,2],\"oracle_ids\":[3],\"teacher_ids\":[4,5]}\n");
        var back = LabFiles.readValidation(f);
        assertThat(back.teacher().get(0)).containsExactly(4, 5);
        Files.writeString(f, "{\"prompt_ids\":[1]}\n");
        assertThatThrownBy(() -> LabFiles.readValidation(f)).isInstanceOf(UserError.class).hasMessageContaining(f + ":1");

        Path pairs = tmp.resolve("pairs.jsonl");
        LabFiles.writePairs(pairs, List.<String[]>of(new String[] {"describe : red fox .", "there is a red fox ."}));
        assertThat(Files.readString(pairs)).isEqualTo("{\"prompt\":\"describe : red fox .\",\"response\":\"there is a red fox .\"}\n");
        assertThat(LabFiles.readPairs(pairs).get(0)[1]).isEqualTo("there is a red fox .");
    }

    @Test
    void inputsJsonKeepsItsFieldNamesAndLeavesOutWhatWasNotGiven() throws Exception {
        LabInputs in = new LabInputs(Path.of("/m/oracle"), Path.of("/m/teacher"), Path.of("/m/student"), null, null,
                Path.of("/p/prompts.jsonl"), null, 0.1, null);
        in.write(tmp);
        String json = Files.readString(tmp.resolve(LabInputs.FILE));
        assertThat(json).contains("\"oracle\" : \"/m/oracle\"", "\"val_fraction\" : 0.1").doesNotContain("teacher_init", "val_prompts");
        assertThat(LabInputs.read(tmp)).contains(in);
    }

    @Test
    void theBuilderStartsFromTheStandardDemoAndToBuilderChangesOnlyWhatIsNamed() {
        LabConfig s = LabConfig.standard();
        assertThat(s.seeds()).containsExactly(1L, 2L, 3L);
        assertThat(s.distillPrompts()).isEqualTo(64);
        assertThat(s.budgets()).containsExactly(1, 2, 4, 8);
        LabConfig changed = s.toBuilder().distillSteps(400).build();
        assertThat(changed.distillSteps()).isEqualTo(400);
        assertThat(changed.toBuilder().distillSteps(200).build()).isEqualTo(s);
        assertThat(LabConfig.quick().withSeeds(List.of(1L, 2L, 3L)).distillPrompts()).isEqualTo(40);
        assertThat(LabConfig.standard().task()).isEqualTo(LabTask.EMBEDDED);
        LabConfig nl = LabConfig.shakespeare();
        assertThat(nl.task()).isEqualTo(LabTask.SHAKESPEARE);
        assertThat(nl.seeds()).hasSize(3);
        assertThat(nl.student()).isEqualTo(LabConfig.quick().student());
        assertThat(LabConfig.shakespeareQuick().seeds()).containsExactly(1L);
    }
}
