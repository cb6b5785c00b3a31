package org.distill4j.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import org.distill4j.data.PromptTemplate;
import org.distill4j.generate.Sample;
import org.distill4j.generate.SamplingParams;
import org.distill4j.lm.LanguageModel;
import org.distill4j.util.Jsonl;
import org.distill4j.util.Progress;
import org.distill4j.util.UserError;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** {@code distill generate}: sample continuations from a checkpoint. */
@Command(name = "generate", mixinStandardHelpOptions = true,
        description = "Sample continuations of a prompt (printed) or of every prompt in a JSONL file (written as JSONL, one line per sample).")
public final class GenerateCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--model", required = true, description = "Hugging Face checkpoint directory.")
    Path model;

    @picocli.CommandLine.Mixin
    AdapterOption adapter;

    @ArgGroup(exclusive = true, multiplicity = "1")
    Input input;

    static final class Input {
        @Option(names = "--prompt", description = "One prompt; continuations are printed.")
        String prompt;

        @Option(names = "--prompts", description = "JSONL file of {\"prompt\": ...} or {\"messages\": [...]} records (conversations rendered by the chat template).")
        Path prompts;
    }

    @Option(names = "--out", description = "Output JSONL (with --prompts): the input record plus response, sample, finish_reason, num_tokens.")
    Path out;

    @Option(names = "--max-new-tokens", defaultValue = "64", description = "Default: ${DEFAULT-VALUE}.")
    int maxNewTokens;

    @Option(names = "--temperature", defaultValue = "1.0", description = "0 = greedy. Default: ${DEFAULT-VALUE}.")
    double temperature;

    @Option(names = "--top-k", defaultValue = "0", description = "0 = off. Default: ${DEFAULT-VALUE}.")
    int topK;

    @Option(names = "--top-p", defaultValue = "1.0", description = "1 = off. Default: ${DEFAULT-VALUE}.")
    double topP;

    @Option(names = "--n", defaultValue = "1", description = "Samples per prompt. Default: ${DEFAULT-VALUE}.")
    int n;

    @Option(names = "--seed", defaultValue = "0", description = "Default: ${DEFAULT-VALUE}.")
    long seed;

    @Option(names = "--stop", description = "Stop string (repeatable).")
    List<String> stop = new ArrayList<>();

    @Option(names = "--batch-size", defaultValue = "64", description = "Rows decoded together. Default: ${DEFAULT-VALUE}.")
    int batchSize;

    @Override
    public Integer call() {
        if (input.prompts != null && out == null) {
            throw new UserError("--prompts needs --out FILE.jsonl");
        }
        List<Jsonl.Line> records = input.prompts == null ? List.of() : Jsonl.read(input.prompts);
        try (LanguageModel lm = adapter.load(model)) {
            SamplingParams params;
            try {
                params = new SamplingParams(temperature, topK, topP, maxNewTokens, n, seed, lm.eosIds(), stop);
            } catch (IllegalArgumentException e) {
                throw new UserError(e.getMessage());
            }
            List<long[]> prompts = new ArrayList<>();
            if (input.prompt != null) {
                prompts.add(lm.encodePrompt(input.prompt));
            } else {
                // a {"messages"} record is rendered by the checkpoint's own chat template
                PromptTemplate template = PromptTemplate.forCheckpoint(model, lm.tokenizer(), lm.config().eosTokenId());
                for (Jsonl.Line l : records) {
                    prompts.add(template.prompt(l, input.prompts));
                }
            }
            List<Sample> samples;
            var sampler = new org.distill4j.generate.Sampler(lm.transformer(), lm.tokenizer(), batchSize);
            try (Progress bar = Progress.start("generate", (long) prompts.size() * n, "samples")) {
                samples = generate(sampler, prompts, params, bar);
            }
            if (input.prompt != null) {
                for (Sample s : samples) {
                    spec.commandLine().getOut().println(s.text());
                }
                spec.commandLine().getOut().flush();
                return 0;
            }
            List<ObjectNode> rows = new ArrayList<>(); // a tree: each row keeps the prompt record's own fields
            for (Sample s : samples) {
                ObjectNode row = records.get(s.promptIndex()).value().deepCopy();
                row.put("response", s.text());
                row.put("sample", s.sampleIndex());
                row.put("finish_reason", s.finish().name().toLowerCase(java.util.Locale.ROOT));
                row.put("num_tokens", s.tokens().length);
                rows.add(row);
            }
            Jsonl.write(out, rows);
            System.err.println("wrote " + rows.size() + " samples to " + out);
            return 0;
        }
    }

    private static List<Sample> generate(org.distill4j.generate.Sampler sampler, List<long[]> prompts,
                                         SamplingParams params, Progress bar) {
        try {
            return sampler.generate(prompts, params, bar::stepTo);
        } catch (IllegalArgumentException e) {
            throw new UserError(e.getMessage());
        }
    }
}
