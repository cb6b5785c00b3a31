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
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * SFT from scratch learns the embedded task's grammar. The threshold is set against two references
 * computed here from the data: the entropy of the response tokens' unigram distribution (the best any
 * model that ignores context can do) and the grammar's exact conditional entropy (the floor no model
 * can beat). A model below the midpoint between them has learned context-dependent structure; the
 * rule check then confirms that its samples are well-formed sentences of the language (templates, verbs of the
 * noun's class, connectives, distinct nouns); which prompt items they describe is the harder part of the
 * task (copying), which a model this small does not learn in a unit test's budget.
 */
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
             Transformer model = Transformer.random(ModelConfig.llama(task.vocabulary().size() + 4, 64, 128, 2, 4, 2, 128, true,
                     WordLevelTokenizer.BOS_ID, WordLevelTokenizer.EOS_ID, WordLevelTokenizer.PAD_ID), m, 7)) {
            PromptTemplate template = new PromptTemplate(tok, WordLevelTokenizer.EOS_ID);
            List<Example> trainSet = train.stream().map(p -> template.example(p[0], p[1])).toList();
            List<Example> valSet = val.stream().map(p -> template.example(p[0], p[1])).toList();
            long before = wellFormed(task, model, tok, valSet);
            SftObjective objective = new SftObjective(model, trainSet, valSet, 32, 1, 3);
            Trainer.Result r = new Trainer(model, new TrainConfig(700, 1, 3e-3, 3e-4, 30, 0.01, 1.0, 700, 1000, 100, 3, 5),
                    tmp.resolve("sft"), Map.of()).run(objective, false);
            double valLoss = r.lastRow().get("val_loss").asDouble();
            System.out.printf("val loss %.3f, threshold %.3f (unigram %.3f, grammar %.3f)%n", valLoss, threshold, unigramEntropy, grammarEntropy);
            assertThat(valLoss).isLessThan(threshold);

            long after = wellFormed(task, model, tok, valSet);
            System.out.printf("well-formed samples: %d / 100 before training, %d / 100 after%n", before, after);
            // 700 steps of a 2-layer model: most samples are sentences of the language (68 measured here), none before
            assertThat(before).isLessThanOrEqualTo(2);
            assertThat(after).isGreaterThanOrEqualTo(50);
        }
    }

    private static long wellFormed(EmbeddedTask task, Transformer model, Tokenizer tok, List<Example> valSet) {
        List<long[]> prompts = valSet.stream().map(Example::prompt).toList();
        List<Sample> samples = new Sampler(model, tok).generate(prompts,
                new SamplingParams(1.0, 0, 1.0, 64, 1, 11, Set.of(WordLevelTokenizer.EOS_ID), List.of()));
        return samples.stream().filter(s -> task.wellFormed(s.text())).count();
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
