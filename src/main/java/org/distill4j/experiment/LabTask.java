package org.distill4j.experiment;

import java.util.List;
import java.util.SplittableRandom;
import org.distill4j.util.UserError;

/**
 * The task the lab's oracle is trained on in stage 0 and whose prompts the lab uses: the embedded grammar
 * (docs/embedded-task.md) or a natural-language corpus the project ships ({@link LabCorpus}). Prompts come from three
 * disjoint splits: the oracle's (stage 0 samples and stage 1 prompts), the distillation prompts and the validation ones.
 */
interface LabTask {
    /** The config name of the embedded grammar, the default. */
    String EMBEDDED = "embedded";
    /** The config name of the Shakespeare corpus. */
    String SHAKESPEARE = "shakespeare";

    /** Every word of the task, for its word-level tokenizer. */
    List<String> vocabulary();

    /** The {@code index}-th prompt text of a split; the same (seed, split, index) always gives the same prompt. */
    String prompt(long seed, EmbeddedTask.Split split, long index);

    /** A stage-0 training example of the oracle: {prompt, response} from the task's own distribution. */
    String[] oracleExample(long seed, long index, SplittableRandom rng);

    /** The task of a config's {@code task} field. */
    static LabTask of(String name) {
        return switch (name) {
            case EMBEDDED -> new Embedded(new EmbeddedTask());
            case SHAKESPEARE -> LabCorpus.shakespeare();
            default -> throw new UserError("unknown lab task '" + name + "' (embedded, shakespeare)");
        };
    }

    /** The embedded grammar: prompts are item lists, responses the grammar's samples. */
    record Embedded(EmbeddedTask task) implements LabTask {
        @Override
        public List<String> vocabulary() {
            return task.vocabulary();
        }

        @Override
        public String prompt(long seed, EmbeddedTask.Split split, long index) {
            return task.render(task.prompt(seed, split, index));
        }

        @Override
        public String[] oracleExample(long seed, long index, SplittableRandom rng) {
            var items = task.prompt(seed, EmbeddedTask.Split.ORACLE, index);
            return new String[] {task.render(items), task.sample(items, rng)};
        }
    }
}
