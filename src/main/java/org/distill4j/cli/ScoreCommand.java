package org.distill4j.cli;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Callable;
import org.distill4j.lm.LanguageModel;
import org.distill4j.util.Jsonl;
import org.distill4j.util.UserError;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** {@code distill score}: mean negative log-likelihood per predicted token. */
@Command(name = "score", mixinStandardHelpOptions = true,
        description = "Mean negative log-likelihood (nats per predicted token) of a text, or of JSONL records: "
                + "{\"text\"} scores every token after the first; {\"prompt\", \"response\"} scores the response given the prompt.")
public final class ScoreCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--model", required = true, description = "Hugging Face checkpoint directory.")
    Path model;

    @picocli.CommandLine.Mixin
    AdapterOption adapter;

    @ArgGroup(exclusive = true, multiplicity = "1")
    Input input;

    static final class Input {
        @Option(names = "--text", description = "A text to score.")
        String text;

        @Option(names = "--data", description = "JSONL file of {\"text\"} or {\"prompt\", \"response\"} records.")
        Path data;
    }

    @Option(names = "--batch-size", defaultValue = "16", description = "Default: ${DEFAULT-VALUE}.")
    int batchSize;

    @Override
    public Integer call() {
        try (LanguageModel lm = adapter.load(model)) {
            List<long[]> prompts = new ArrayList<>();
            List<long[]> responses = new ArrayList<>();
            if (input.text != null) {
                split(lm.encodePrompt(input.text), prompts, responses, "--text");
            } else {
                for (Jsonl.Line l : Jsonl.read(input.data)) {
                    if (l.value().has("text")) {
                        split(lm.encodePrompt(l.text(input.data, "text")), prompts, responses, input.data + ":" + l.number());
                    } else {
                        prompts.add(lm.encodePrompt(l.text(input.data, "prompt")));
                        responses.add(lm.tokenizer().encode(l.text(input.data, "response"), false));
                    }
                }
            }
            int max = lm.config().maxPositionEmbeddings();
            for (int i = 0; i < prompts.size(); i++) {
                if (prompts.get(i).length + responses.get(i).length > max) {
                    throw new UserError("record " + (i + 1) + " has " + (prompts.get(i).length + responses.get(i).length)
                            + " tokens, more than max_position_embeddings " + max);
                }
            }
            double nll = 0;
            long tokens = 0;
            for (float[] lp : lm.scoreResponses(prompts, responses, batchSize)) {
                for (float x : lp) {
                    nll -= x;
                }
                tokens += lp.length;
            }
            if (tokens == 0) {
                throw new UserError("nothing to score: every text has fewer than two tokens");
            }
            spec.commandLine().getOut().printf("nll_per_token=%.6f tokens=%d%n", nll / tokens, tokens);
            spec.commandLine().getOut().flush();
            return 0;
        }
    }

    /** A whole text: the first token is context only, every later one is predicted. */
    private static void split(long[] ids, List<long[]> prompts, List<long[]> responses, String where) {
        if (ids.length < 2) {
            throw new UserError(where + ": text has fewer than two tokens");
        }
        prompts.add(Arrays.copyOf(ids, 1));
        responses.add(Arrays.copyOfRange(ids, 1, ids.length));
    }
}
