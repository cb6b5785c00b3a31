package org.distill4j.gad;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.distill4j.data.PromptTemplate;
import org.distill4j.lm.Tokenizer;
import org.distill4j.lm.WordLevelTokenizer;
import org.distill4j.util.UserError;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TeacherResponsesTest {
    @TempDir
    Path tmp;

    @Test
    void missingEmptyTooLongAndOverlongAreSkippedCountedOrCut() throws Exception {
        Path file = tmp.resolve("t.jsonl");
        Files.writeString(file, """
                {"prompt": "w1 w2", "response": "w3 w4"}
                {"prompt": "w1 w2", "response": "   "}
                {"prompt": "w5", "response": "w6 w6 w6 w6 w6 w6 w6 w6"}
                {"prompt": "w7 w7 w7 w7 w7 w7 w7", "response": "w8"}
                """);
        WordLevelTokenizer.write(tmp.resolve("tok.json"), TinyStudent.words());
        try (Tokenizer tok = Tokenizer.load(tmp.resolve("tok.json"))) {
            TeacherResponses r = TeacherResponses.read(file);
            TeacherResponses.Pairing p = r.pair(List.of("w1 w2", "w5", "w9", "w7 w7 w7 w7 w7 w7 w7"),
                    new PromptTemplate(tok, WordLevelTokenizer.EOS_ID), 5, 12);
            assertThat(p.examples()).hasSize(2);
            assertThat(p.missingPrompts()).isEqualTo(1);
            assertThat(p.emptyResponses()).isEqualTo(1);
            assertThat(p.tooLongPrompts()).isEqualTo(1);
            assertThat(p.truncatedResponses()).isEqualTo(1);
            assertThat(p.examples().get(0).response()).containsExactly(TinyStudent.id(3), TinyStudent.id(4), WordLevelTokenizer.EOS_ID);
            assertThat(p.examples().get(1).response()).hasSize(5);
            assertThat(p.summary()).contains("1 prompts without a teacher response").contains("1 empty");
        }
    }

    @Test
    void writtenResponsesReadBack() {
        TeacherResponses r = TeacherResponses.collect((prompts, n) -> prompts.stream().map(p -> List.of(p + " a", p + " b")).toList(),
                List.of("x", "y"), 2);
        r.write(tmp.resolve("o.jsonl"));
        assertThat(TeacherResponses.read(tmp.resolve("o.jsonl")).get("y")).containsExactly("y a", "y b");
    }

    @Test
    void aRowWithoutResponseNamesFileAndLine() throws Exception {
        Path file = tmp.resolve("bad.jsonl");
        Files.writeString(file, "{\"prompt\": \"a\", \"response\": \"b\"}\n{\"prompt\": \"a\", \"response\": 3}\n");
        assertThatThrownBy(() -> TeacherResponses.read(file)).isInstanceOf(UserError.class).hasMessageContaining("bad.jsonl:2")
                .hasMessageContaining("response");
    }
}
