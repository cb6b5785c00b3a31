package org.distill4j.train;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDManager;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import org.distill4j.data.Example;
import org.distill4j.data.PromptTemplate;
import org.distill4j.experiment.EmbeddedTask;
import org.distill4j.generate.Sample;
import org.distill4j.generate.Sampler;
import org.distill4j.generate.SamplingParams;
import org.distill4j.lm.ModelConfig;
import org.distill4j.lm.Tokenizer;
import org.distill4j.lm.Transformer;
import org.distill4j.lm.WordLevelTokenizer;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * SFT from scratch learns the embedded task's grammar. The threshold is set against two references
 * computed here from the data: the entropy of the response tokens' unigram distribution (the best any
 * model that ignores context can do) and the grammar's exact conditional entropy (the floor no model
 * can beat). A model below the midpoint between them has learned context-dependent structure; the
 * rule check then confirms that its samples are sentences of the language's syntax (templates, verbs of the
 * noun's topic, connectives); keeping to one topic without repeating a noun, and which prompt items they
 * describe, are the harder part of the task (bookkeeping and copying), which the second test checks on a
 * copy task.
 */
@Tag("slow")
class SftLearnsTheTaskTest {
    @TempDir
    Path tmp;

    @Test
    void validationLossFallsBelowTheUnigramGrammarMidpointAndSamplesAreWellFormed() {
        EmbeddedTask task = new EmbeddedTask();
        Path tokFile = tmp.resolve("tokenizer.json");
        WordLevelTokenizer.write(tokFile, task.vocabulary());
        SplittableRandom rng = new SplittableRandom(1);
        List<List<EmbeddedTask.Item>> trainItems = new ArrayList<>();
        List<String[]> train = new ArrayList<>();
        for (int i = 0; i < 1500; i++) {
            var items = task.prompt(0, EmbeddedTask.Split.ORACLE, i);
            trainItems.add(items);
            train.add(new String[] {task.render(items), task.sample(items, rng)});
        }
        List<String[]> val = new ArrayList<>();
        double grammarNll = 0;
        long valTokens = 0;
        for (int i = 0; i < 100; i++) {
            var items = task.prompt(0, EmbeddedTask.Split.VALIDATION, i);
            String y = task.sample(items, rng);
            val.add(new String[] {task.render(items), y});
            grammarNll -= task.logProb(items, y).orElseThrow();
            valTokens += EmbeddedTask.tokens(y) + 1;
        }
        double grammarEntropy = grammarNll / valTokens;
        double unigramEntropy = unigramEntropy(train);
        double threshold = (unigramEntropy + grammarEntropy) / 2;

        try (NDManager m = NDManager.newBaseManager();
             Tokenizer tok = Tokenizer.load(tokFile);
             Transformer model = newModel(task, m)) {
            List<Example> trainSet = examples(tok, train);
            List<Example> valSet = examples(tok, val);
            long before = grammatical(task, model, tok, valSet);
            SftObjective objective = new SftObjective(model, trainSet, valSet, 32, 1, 3);
            Trainer.Result r = TrainTestSupport.train(model,
                    TrainConfig.steps(700).lr(3e-3).finalLr(3e-4).warmupSteps(30).evalEvery(700).saveEvery(1000).logEvery(100).seed(3).build(),
                    tmp.resolve("sft"), objective);
            double valLoss = r.lastRow().get("val_loss").asDouble();
            System.out.printf("val loss %.3f, threshold %.3f (unigram %.3f, grammar %.3f)%n", valLoss, threshold, unigramEntropy, grammarEntropy);
            assertThat(valLoss).isLessThan(threshold);

            long after = grammatical(task, model, tok, valSet);
            System.out.printf("grammatical samples: %d / 100 before training, %d / 100 after%n", before, after);
            // 700 steps of a 2-layer model: most samples are sentences of the language, none before
            assertThat(before).isLessThanOrEqualTo(2);
            assertThat(after).isGreaterThanOrEqualTo(50);
        }
    }

    /**
     * The part of the task the grammar test above leaves out: using the prompt's items. A procedural copy task on
     * the same vocabulary, whose one rule is that the response names exactly the prompt's items, in order
     * ({@code describe : red fox , old car .} → {@code there is a red fox and there is a old car .}). Ignoring
     * the prompt costs ln 40 + ln 96 ≈ 8.3 nats per item, and a model that only learns the format decodes
     * 0 exact copies; SFT from scratch must learn to look the items up (an induction circuit, which appears
     * abruptly after some hundreds of steps at this learning rate: 100 of 100 copies after 1,500 steps with
     * this seed, none after 900).
     */
    @Test
    void sftFromScratchLearnsToCopyThePromptsItems() {
        EmbeddedTask task = new EmbeddedTask();
        Path tokFile = tmp.resolve("tokenizer.json");
        WordLevelTokenizer.write(tokFile, task.vocabulary());
        List<String[]> train = new ArrayList<>();
        for (int i = 0; i < 20000; i++) {
            train.add(copyPair(task, task.prompt(0, EmbeddedTask.Split.ORACLE, i).subList(0, 2 + i % 2)));
        }
        List<String[]> val = new ArrayList<>();
        for (int i = 0; i < 100; i++) {
            val.add(copyPair(task, task.prompt(0, EmbeddedTask.Split.VALIDATION, i).subList(0, 3)));
        }
        try (NDManager m = NDManager.newBaseManager();
             Tokenizer tok = Tokenizer.load(tokFile);
             Transformer model = newModel(task, m)) {
            List<Example> trainSet = examples(tok, train);
            long before = exactCopies(model, tok, val);
            TrainTestSupport.train(model,
                    TrainConfig.steps(1500).lr(1e-2).finalLr(1e-4).warmupSteps(50).evalEvery(1500).saveEvery(1000).logEvery(100).seed(3).build(),
                    tmp.resolve("copy"), new SftObjective(model, trainSet, List.of(), 32, 1, 3));
            long after = exactCopies(model, tok, val);
            System.out.printf("exact copies of 3-item prompts (greedy): %d / 100 before training, %d / 100 after%n", before, after);
            assertThat(before).isZero();
            assertThat(after).isGreaterThanOrEqualTo(90);
        }
    }

    /** The model both tests train from scratch: 2 layers, hidden 64, the task's vocabulary. */
    private static Transformer newModel(EmbeddedTask task, NDManager m) {
        return Transformer.random(ModelConfig.llama(task.vocabulary().size() + 4, 64, 128, 2, 4, 2, 128, true,
                WordLevelTokenizer.BOS_ID, WordLevelTokenizer.EOS_ID, WordLevelTokenizer.PAD_ID), m, 7);
    }

    private static List<Example> examples(Tokenizer tok, List<String[]> pairs) {
        PromptTemplate template = new PromptTemplate(tok, WordLevelTokenizer.EOS_ID);
        return pairs.stream().map(p -> template.example(p[0], p[1])).toList();
    }

    private static String[] copyPair(EmbeddedTask task, List<EmbeddedTask.Item> items) {
        String prompt = task.render(items);
        List<String> clauses = new ArrayList<>();
        for (String item : prompt.substring("describe : ".length(), prompt.length() - 2).split(" , ")) {
            clauses.add("there is a " + item);
        }
        return new String[] {prompt, String.join(" and ", clauses) + " ."};
    }

    private static long exactCopies(Transformer model, Tokenizer tok, List<String[]> val) {
        List<long[]> prompts = examples(tok, val).stream().map(Example::prompt).toList();
        List<Sample> samples = new Sampler(model, tok).generate(prompts,
                new SamplingParams(0.0, 0, 1.0, 40, 1, 11, Set.of(WordLevelTokenizer.EOS_ID), List.of()));
        long exact = 0;
        for (int i = 0; i < val.size(); i++) {
            if (samples.get(i).text().trim().equals(val.get(i)[1])) {
                exact++;
            }
        }
        return exact;
    }

    private static long grammatical(EmbeddedTask task, Transformer model, Tokenizer tok, List<Example> valSet) {
        List<long[]> prompts = valSet.stream().map(Example::prompt).toList();
        List<Sample> samples = new Sampler(model, tok).generate(prompts,
                new SamplingParams(1.0, 0, 1.0, 64, 1, 11, Set.of(WordLevelTokenizer.EOS_ID), List.of()));
        return samples.stream().filter(s -> task.grammatical(s.text())).count();
    }

    private static double unigramEntropy(List<String[]> pairs) {
        Map<String, Integer> counts = new HashMap<>();
        long n = 0;
        for (String[] p : pairs) {
            for (String w : (p[1] + " </s>").split(" +")) {
                counts.merge(w, 1, Integer::sum);
                n++;
            }
        }
        double h = 0;
        for (int c : counts.values()) {
            double q = (double) c / n;
            h -= q * Math.log(q);
        }
        return h;
    }
}
