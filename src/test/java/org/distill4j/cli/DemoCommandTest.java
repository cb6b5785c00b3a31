package org.distill4j.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The demo's own flags fail cleanly before anything is written. */
class DemoCommandTest {
    @TempDir
    Path tmp;

    @Test
    void anUnknownTaskOrAStepCountBelowOneIsOneCleanLineAndNoRunDirectory() {
        Path out = tmp.resolve("demo");
        for (String[] bad : new String[][] {{"--task", "klingon"}, {"--max-steps", "0"}, {"--eval-every", "0"}, {"--workers", "0"}}) {
            CliErrorsTest.Result r = CliErrorsTest.run("demo", "--out", out.toString(), bad[0], bad[1]);
            assertThat(r.code()).as(r.err()).isEqualTo(2);
            assertThat(r.err()).startsWith("error: ").contains(bad[0]).doesNotContain("Exception");
        }
        assertThat(out).doesNotExist();
    }
}
