package org.distill4j.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.Deque;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/**
 * Every verb's --help formats cleanly: a bare '%' in a description makes picocli warn on stderr ("Could not format")
 * and print the raw string.
 */
class HelpTextTest {
    @Test
    void everyVerbsHelpFormatsWithoutWarnings() {
        PrintStream err = System.err;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        int verbs = 0;
        try {
            System.setErr(new PrintStream(captured, true, StandardCharsets.UTF_8));
            Deque<CommandLine> todo = new ArrayDeque<>();
            todo.add(new CommandLine(new Main()));
            while (!todo.isEmpty()) {
                CommandLine cmd = todo.pop();
                verbs++;
                assertThat(cmd.getUsageMessage()).isNotBlank();
                todo.addAll(cmd.getSubcommands().values());
            }
        } finally {
            System.setErr(err);
        }
        assertThat(verbs).isGreaterThan(20);
        assertThat(captured.toString(StandardCharsets.UTF_8)).doesNotContain("Could not format");
    }
}
