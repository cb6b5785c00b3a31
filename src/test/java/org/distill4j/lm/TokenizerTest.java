package org.distill4j.lm;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.util.List;
import org.distill4j.util.Json;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TokenizerTest {
    @Test
    void bpeTokenizerMatchesTheRustLibrary() {
        Path dir = Fixtures.path("lm/tokenizer");
        try (Tokenizer tok = Tokenizer.load(dir)) {
            for (JsonNode e : Json.read(dir.resolve("expected.json"))) {
                String text = e.get("text").asText();
                assertThat(tok.encode(text, true)).as(text).containsExactly(longs(e.get("ids_special")));
                assertThat(tok.encode(text, false)).as(text).containsExactly(longs(e.get("ids_plain")));
                assertThat(tok.decode(longs(e.get("ids_special")))).isEqualTo(e.get("decoded").asText());
            }
            assertThat(tok.specialId("<s>")).contains(1);
            assertThat(tok.vocabSize()).isEqualTo(300);
        }
    }

    private static long[] longs(JsonNode a) {
        long[] out = new long[a.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = a.get(i).asLong();
        }
        return out;
    }

    @Test
    void wordLevelTokenizerRoundTripsThroughTheHfLoader(@TempDir Path tmp) {
        Path file = tmp.resolve("tokenizer.json");
        WordLevelTokenizer.write(file, List.of("the", "cat", "sat", "->", "mat", "the"));
        try (Tokenizer tok = Tokenizer.load(file)) {
            assertThat(tok.vocabSize()).isEqualTo(9);
            long[] ids = tok.encode("the cat sat -> mat", true);
            assertThat(ids).containsExactly(WordLevelTokenizer.BOS_ID, 4, 5, 6, 7, 8);
            assertThat(tok.encode("the dog", false)).containsExactly(4, WordLevelTokenizer.UNK_ID);
            assertThat(tok.decode(ids)).isEqualTo("the cat sat -> mat");
            assertThat(tok.decode(new long[] {4, 5, WordLevelTokenizer.EOS_ID})).isEqualTo("the cat");
        }
    }
}
