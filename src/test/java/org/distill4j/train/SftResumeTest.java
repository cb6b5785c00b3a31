package org.distill4j.train;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.distill4j.cli.Main;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What a resume may not do: overwrite a run without --resume, or continue it with changed settings (refused with
 * one line naming the setting, before anything is written). The resume itself is tested by {@link KillResumeTest}.
 */
class SftResumeTest {
    @TempDir
    Path tmp;

    @Test
    void anExistingRunIsNotOverwrittenWithoutResume() throws Exception {
        TrainingRuns.Verb sft = TrainingRuns.sft(tmp);
        Path out = tmp.resolve("run");
        assertThat(Main.run(sft.args(out, 2, 1, 1).toArray(String[]::new))).isZero();
        assertThat(Main.run(sft.args(out, 2, 1, 1).toArray(String[]::new))).isEqualTo(2);
    }

    @Test
    void aResumeWithAChangedSettingIsRefusedAndWritesNothing() throws Exception {
        TrainingRuns.Verb sft = TrainingRuns.sft(tmp);
        Path out = tmp.resolve("run");
        assertThat(Main.run(sft.args(out, 4, 2, 1).toArray(String[]::new))).isZero();
        Map<String, byte[]> before = contents(out);
        for (String[] change : new String[][] {{"--lr", "0.003", "0.002"}, {"--batch-size", "8", "4"}, {"--log-every", "1", "3"}}) {
            List<String> args = sft.args(out, 4, 2, 1);
            args.set(args.indexOf(change[0]) + 1, change[2]); // change[1]: the old value as the run saved it
            args.add("--resume");
            StringWriter err = new StringWriter();
            assertThat(Main.run(new PrintWriter(new StringWriter()), new PrintWriter(err, true), args.toArray(String[]::new))).isEqualTo(2);
            assertThat(err.toString().strip()).as("one line").doesNotContain("\n")
                    .contains("changed setting: " + change[0] + " " + change[1] + " → " + change[2]);
            Map<String, byte[]> after = contents(out);
            assertThat(after).as("nothing written").containsOnlyKeys(before.keySet());
            before.forEach((file, bytes) -> assertThat(after.get(file)).as(file).isEqualTo(bytes));
        }
        List<String> same = sft.args(out, 4, 2, 1);
        same.add("--resume");
        assertThat(Main.run(same.toArray(String[]::new))).as("the same settings resume").isZero();
    }

    private static Map<String, byte[]> contents(Path dir) throws Exception {
        Map<String, byte[]> out = new TreeMap<>();
        try (Stream<Path> files = Files.walk(dir)) {
            for (Path f : files.filter(Files::isRegularFile).toList()) {
                out.put(dir.relativize(f).toString(), Files.readAllBytes(f));
            }
        }
        return out;
    }
}
