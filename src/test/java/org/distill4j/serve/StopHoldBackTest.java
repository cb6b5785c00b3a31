package org.distill4j.serve;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

/** What a stream may send of a row's text before the row ends: nothing that a stop string could still remove. */
class StopHoldBackTest {
    @Test
    void aTailThatCouldGrowIntoAStopStringWaits() {
        List<String> stop = List.of("###", "\nUser:");
        assertThat(Job.sendable("hello #", stop)).isEqualTo("hello ");
        assertThat(Job.sendable("hello ##", stop)).isEqualTo("hello ");
        assertThat(Job.sendable("hello\nUs", stop)).isEqualTo("hello");
        assertThat(Job.sendable("hello #x", stop)).isEqualTo("hello #x");
        assertThat(Job.sendable("hello", stop)).isEqualTo("hello");
        assertThat(Job.sendable("", stop)).isEmpty();
    }

    @Test
    void anUnfinishedCharacterWaits() {
        assertThat(Job.sendable("caf\uFFFD", List.of())).isEqualTo("caf");
        assertThat(Job.sendable("caf\uFFFD\uFFFD", List.of("x"))).isEqualTo("caf");
    }

    @Test
    void theFirstStopStringCuts() {
        assertThat(Job.stopIndex("a b ### c \nUser: d", List.of("\nUser:", "###"))).isEqualTo(4);
        assertThat(Job.stopIndex("a b", List.of("###"))).isEqualTo(-1);
    }
}
