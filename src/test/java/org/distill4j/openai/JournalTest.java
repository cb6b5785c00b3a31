package org.distill4j.openai;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import org.distill4j.util.UserError;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class JournalTest {
    @TempDir
    Path tmp;

    static JournalEntry entry(int p, int s) {
        return new JournalEntry(p, s, "req-" + p, "cmpl-" + p, "text " + p + "/" + s, "stop");
    }

    @Test
    void entriesSurviveAReopen() {
        Path f = tmp.resolve("a.journal");
        try (Journal j = Journal.open(f, "fp")) {
            j.append(List.of(entry(0, 0), entry(0, 1)));
            j.append(List.of(entry(3, 2)));
        }
        try (Journal j = Journal.open(f, "fp")) {
            assertThat(j.entries()).containsExactly(entry(0, 0), entry(0, 1), entry(3, 2));
            assertThat(j.contains(3, 2)).isTrue();
            assertThat(j.contains(3, 1)).isFalse();
            assertThat(j.recoveredTornBytes()).isZero();
        }
    }

    @Test
    void aTornLastLineIsCutAndAppendingContinuesCleanly() throws Exception {
        Path f = tmp.resolve("torn.journal");
        try (Journal j = Journal.open(f, "fp")) {
            j.append(List.of(entry(0, 0)));
        }
        String torn = "{\"prompt\": 1, \"sample\": 0, \"resp";
        Files.writeString(f, torn, StandardCharsets.UTF_8, StandardOpenOption.APPEND);
        try (Journal j = Journal.open(f, "fp")) {
            assertThat(j.recoveredTornBytes()).isEqualTo(torn.length());
            assertThat(j.entries()).containsExactly(entry(0, 0));
            j.append(List.of(entry(1, 0)));
        }
        try (Journal j = Journal.open(f, "fp")) {
            assertThat(j.entries()).containsExactly(entry(0, 0), entry(1, 0));
        }
    }

    @Test
    void aJournalOfOtherPromptsIsRefused() {
        Path f = tmp.resolve("b.journal");
        Journal.open(f, "fp-1").close();
        assertThatThrownBy(() -> Journal.open(f, "fp-2")).isInstanceOf(UserError.class)
                .hasMessageContaining("b.journal").hasMessageContaining("other prompts");
    }

    @Test
    void aCorruptMiddleLineNamesTheLine() throws Exception {
        Path f = tmp.resolve("c.journal");
        try (Journal j = Journal.open(f, "fp")) {
            j.append(List.of(entry(0, 0)));
        }
        Files.writeString(f, "not json\n", StandardCharsets.UTF_8, StandardOpenOption.APPEND);
        assertThatThrownBy(() -> Journal.open(f, "fp")).isInstanceOf(UserError.class).hasMessageContaining("c.journal:3");
    }

    @Test
    void aSampleIsNeverJournalledTwice() {
        try (Journal j = Journal.inMemory()) {
            j.append(List.of(entry(0, 0)));
            assertThatThrownBy(() -> j.append(List.of(entry(0, 0)))).isInstanceOf(IllegalStateException.class);
        }
    }
}
