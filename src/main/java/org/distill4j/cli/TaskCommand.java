package org.distill4j.cli;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import org.distill4j.experiment.EmbeddedTask;
import org.distill4j.lm.WordLevelTokenizer;
import org.distill4j.util.Jsonl;
import org.distill4j.util.UserError;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code distill task}: exports prompts (and grammar responses) of the embedded task as JSONL. */
@Command(name = "task", mixinStandardHelpOptions = true,
        description = "Writes prompts of the embedded task (docs/embedded-task.md) as JSONL, with responses sampled "
                + "from its grammar unless --prompts-only; optionally its word-level tokenizer.json.")
public final class TaskCommand implements Callable<Integer> {
    @Option(names = "--split", defaultValue = "oracle", description = "oracle, distill or validation. Default: ${DEFAULT-VALUE}.")
    String split;

    @Option(names = "--n", required = true, description = "Number of prompts.")
    int n;

    @Option(names = "--seed", defaultValue = "0", description = "Default: ${DEFAULT-VALUE}.")
    long seed;

    @Option(names = "--out", required = true, description = "Output JSONL.")
    Path out;

    @Option(names = "--prompts-only", description = "Write {\"prompt\"} records only.")
    boolean promptsOnly;

    @Option(names = "--tokenizer-out", description = "Also write the task's tokenizer.json here.")
    Path tokenizerOut;

    /** One JSONL record; with --prompts-only it has no response. */
    private record Row(String prompt, @JsonInclude(JsonInclude.Include.NON_NULL) String response) {}

    @Override
    public Integer call() {
        EmbeddedTask task = new EmbeddedTask();
        EmbeddedTask.Split s;
        try {
            s = EmbeddedTask.Split.valueOf(split.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new UserError("--split must be oracle, distill or validation, not '" + split + "'");
        }
        if (n < 1) {
            throw new UserError("--n must be >= 1");
        }
        SplittableRandom rng = new SplittableRandom(seed ^ 0x5DEECE66DL);
        List<Row> rows = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            var items = task.prompt(seed, s, i);
            rows.add(new Row(task.render(items), promptsOnly ? null : task.sample(items, rng)));
        }
        Jsonl.write(out, rows);
        if (tokenizerOut != null) {
            WordLevelTokenizer.write(tokenizerOut, task.vocabulary());
        }
        System.err.println("wrote " + n + " records to " + out);
        return 0;
    }
}
