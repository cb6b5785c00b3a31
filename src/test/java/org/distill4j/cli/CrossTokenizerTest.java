package org.distill4j.cli;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.distill4j.data.PromptTemplate;
import org.distill4j.gad.TinyStudent;
import org.distill4j.lm.Checkpoint;
import org.distill4j.lm.Fixtures;
import org.distill4j.lm.LanguageModel;
import org.distill4j.lm.ModelConfig;
import org.distill4j.lm.Safetensors;
import org.distill4j.lm.Transformer;
import org.distill4j.util.Jsonl;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Black-box distillation across tokenizers, as the paper's Qwen-teacher → Llama-student setting: the teacher is a
 * byte-level BPE model (GPT-2's pre-tokenizer, 400 pieces, end-of-text id 0, other width), the student a word-level
 * model (24 ids, EOS 2); only text passes between them, through {@code gad} and {@code seqkd} end to end. If token
 * ids leaked from one vocabulary into the other, the student would learn other words than the teacher says.
 */
@Tag("slow")
class CrossTokenizerTest {
    /** What the trained teacher says to every prompt; in the student's vocabulary, in the teacher's a mix of byte pieces. */
    private static final String ANSWER = "w3 w17 w11 w8";

    @TempDir
    Path tmp;

    private Path prompts(String name, List<String> texts) throws Exception {
        StringBuilder b = new StringBuilder();
        for (String p : texts) {
            b.append("{\"prompt\": \"").append(p).append("\"}\n");
        }
        return Files.writeString(tmp.resolve(name), b.toString());
    }

    /** A random tiny Llama with the byte-level BPE tokenizer, then SeqKD'd (by the seqkd verb) to say {@link #ANSWER}. */
    private Path teacher(List<String> texts) throws Exception {
        Path init = Files.createDirectories(tmp.resolve("teacher-init"));
        Path tok = Fixtures.path("tokenizers/byte_level/tokenizer.json");
        ModelConfig c = ModelConfig.llama(400, 48, 96, 2, 4, 2, 64, true, 0, 0, 0);
        try (NDManager m = NDManager.newBaseManager(); Transformer t = Transformer.random(c, m, 5)) {
            Checkpoint.save(init, t, Safetensors.DType.F32, Map.of(Checkpoint.TOKENIZER, tok));
        }
        StringBuilder b = new StringBuilder();
        for (String p : texts) {
            b.append("{\"prompt\": \"").append(p).append("\", \"response\": \"").append(ANSWER).append("\"}\n");
        }
        Path answers = Files.writeString(tmp.resolve("answers.jsonl"), b.toString());
        Path out = tmp.resolve("teacher");
        CliErrorsTest.Result r = CliErrorsTest.run("seqkd", "--student", init.toString(), "--teacher-responses", answers.toString(),
                "--prompts", prompts("teacher-prompts.jsonl", texts).toString(), "--out", out.toString(), "--max-steps", "60",
                "--lr", "1e-2", "--max-grad-norm", "1.0", "--max-new-tokens", "16", "--prompts-per-step", "8");
        assertThat(r.code()).as(r.err()).isEqualTo(0);
        return out;
    }

    /** Mean log-probability per token of {@link #ANSWER} under a student checkpoint, in the student's own tokens. */
    private static double answerLogProb(Path studentDir, List<String> texts) {
        try (LanguageModel s = LanguageModel.load(studentDir)) {
            PromptTemplate t = PromptTemplate.forCheckpoint(studentDir, s.tokenizer(), s.config().eosTokenId());
            List<long[]> ps = new ArrayList<>();
            List<long[]> rs = new ArrayList<>();
            for (String p : texts) {
                ps.add(t.prompt(p));
                rs.add(t.response(ANSWER));
            }
            double sum = 0;
            long n = 0;
            for (float[] lp : s.scoreResponses(ps, rs, 16)) {
                for (float x : lp) {
                    sum += x;
                    n++;
                }
            }
            return sum / n;
        }
    }

    @Test
    void aBpeTeachersTextDistilsIntoAWordLevelStudentThroughSeqkdAndGad() throws Exception {
        List<String> texts = TinyStudent.promptTexts(32, 3);
        Path teacher = teacher(texts);
        Path student = TinyStudent.write(tmp.resolve("student"), 1);
        Path p = prompts("p.jsonl", texts);
        // the tokenizers really differ: the answer is 4 words + EOS for the student, more byte pieces for the teacher
        try (LanguageModel t = LanguageModel.load(teacher); LanguageModel s = LanguageModel.load(student)) {
            assertThat(t.config().vocabSize()).isNotEqualTo(s.config().vocabSize());
            assertThat(t.tokenizer().encode(ANSWER, false)).hasSizeGreaterThan(4);
            assertThat(s.tokenizer().encode(ANSWER, false)).hasSize(4);
        }
        double before = answerLogProb(student, texts);

        Path seqkd = tmp.resolve("seqkd");
        CliErrorsTest.Result r = CliErrorsTest.run("seqkd", "--student", student.toString(), "--teacher", teacher.toString(),
                "--prompts", p.toString(), "--out", seqkd.toString(), "--max-steps", "40", "--lr", "3e-3", "--max-new-tokens", "12",
                "--teacher-max-tokens", "16", "--teacher-temperature", "0", "--prompts-per-step", "8");
        assertThat(r.code()).as(r.err()).isEqualTo(0);
        // the teacher's decoded (greedy) text is the answer, bar a slip of the briefly trained teacher
        List<String> said = new ArrayList<>();
        for (Jsonl.Line l : Jsonl.read(seqkd.resolve("teacher-responses.jsonl"))) {
            said.add(l.value().get("response").asText().strip());
        }
        assertThat(said).hasSize(texts.size());
        assertThat(said.stream().filter(ANSWER::equals).count()).as("%s", said).isGreaterThanOrEqualTo(texts.size() * 3 / 4);
        double afterSeqkd = answerLogProb(seqkd, texts);
        assertThat(afterSeqkd).as("student log p(answer) per token: %.3f before seqkd", before).isGreaterThan(Math.log(0.5));
        assertThat(before).isLessThan(Math.log(0.1));

        Path gad = tmp.resolve("gad");
        r = CliErrorsTest.run("gad", "--student", student.toString(), "--teacher", teacher.toString(), "--prompts", p.toString(),
                "--out", gad.toString(), "--gad-warmup-steps", "20", "--d-alone-steps", "2", "--max-steps", "24", "--samples", "4",
                "--lr", "3e-3", "--max-new-tokens", "12", "--teacher-max-tokens", "16", "--teacher-temperature", "0", "--prompts-per-step", "8");
        assertThat(r.code()).as(r.err()).isEqualTo(0);
        List<JsonNode> rows = new ArrayList<>();
        Jsonl.read(gad.resolve("metrics.jsonl")).forEach(l -> rows.add(l.value()));
        assertThat(rows.get(rows.size() - 1).get("phase").asText()).isEqualTo("gad");
        assertThat(r.err()).contains("32 (prompt, teacher response) pairs");
        // a shorter cross-entropy phase (19 steps), at the rollout temperature 0.8 and scored here at 1: a clear rise
        assertThat(answerLogProb(gad, texts)).as("after gad's warmup on the BPE teacher's text; %.3f before", before)
                .isGreaterThan(before + 1.0);
    }
}
