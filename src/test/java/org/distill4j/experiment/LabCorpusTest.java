package org.distill4j.experiment;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.Collections;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The natural-language task: the shipped corpus, its splits, windows and vocabulary, and the lab's first stages on it. */
class LabCorpusTest {
    private static final LabCorpus CORPUS = LabCorpus.shakespeare();

    @TempDir
    Path tmp;

    @Test
    void theCorpusIsShippedAndCutIntoThreeOrderedSplits() {
        assertThat(CORPUS.size()).isGreaterThan(200_000);
        int[] o = CORPUS.range(EmbeddedTask.Split.ORACLE);
        int[] d = CORPUS.range(EmbeddedTask.Split.DISTILL);
        int[] v = CORPUS.range(EmbeddedTask.Split.VALIDATION);
        assertThat(o[0]).isZero();
        assertThat(o[1]).isEqualTo(d[0]);
        assertThat(d[1]).isEqualTo(v[0]);
        assertThat(v[1]).isEqualTo(CORPUS.size());
        assertThat(CORPUS.vocabulary()).hasSize(LabCorpus.VOCABULARY).contains(".", ",", "the", "king").doesNotHaveDuplicates();
    }

    @Test
    void promptsAreWindowsOfTheirSplitAndDeterministic() {
        for (EmbeddedTask.Split split : EmbeddedTask.Split.values()) {
            for (int i = 0; i < 50; i++) {
                String p = CORPUS.prompt(7, split, i);
                assertThat(p.split(" ")).hasSize(LabCorpus.PROMPT_WORDS);
                assertThat(CORPUS.prompt(7, split, i)).isEqualTo(p);
            }
        }
        assertThat(CORPUS.prompt(7, EmbeddedTask.Split.DISTILL, 0)).isNotEqualTo(CORPUS.prompt(8, EmbeddedTask.Split.DISTILL, 0));
    }

    @Test
    void anOracleExampleContinuesItsPromptToASentenceEndOrTheCap() {
        int ended = 0;
        for (int i = 0; i < 200; i++) {
            String[] e = CORPUS.oracleExample(0, i, new SplittableRandom(1));
            assertThat(e[0]).isEqualTo(CORPUS.prompt(0, EmbeddedTask.Split.ORACLE, i));
            String[] r = e[1].split(" ");
            assertThat(r.length).isBetween(LabCorpus.MIN_RESPONSE, LabCorpus.MAX_RESPONSE);
            String last = r[r.length - 1];
            if (List.of(".", "!", "?").contains(last)) {
                ended++;
            } else {
                assertThat(r).hasSize(LabCorpus.MAX_RESPONSE);
            }
        }
        assertThat(ended).isGreaterThan(100); // most windows reach a sentence end within 32 words
    }

    @Test
    void theLabTrainsItsOracleTeacherAndStudentOnTheCorpus() {
        LabConfig.ModelSize m = new LabConfig.ModelSize(16, 1, 2, 1, 32);
        LabConfig cfg = LabConfig.builder().seeds(Collections.emptyList()).task(LabTask.SHAKESPEARE).oracle(m).teacher(m).student(m)
                .oracleExamples(40).oracleSteps(2).oraclePrompts(10).sftSteps(2).sftBatch(4).maxNewTokens(8).build();
        Path dir = tmp.resolve("lab");
        new TeacherHackingLab(dir, cfg, LabJob.Runner.inProcess()).run();
        assertThat(dir.resolve("student-init").resolve("model.safetensors")).exists();
        assertThat(org.distill4j.lm.Checkpoint.readConfig(dir.resolve("oracle")).vocabSize()).isEqualTo(LabCorpus.VOCABULARY + 4);
        List<String[]> grammar = LabFiles.readPairs(dir.resolve("data").resolve("grammar.jsonl"));
        assertThat(grammar.get(0)).containsExactly(CORPUS.oracleExample(0, 0, null));
    }
}
