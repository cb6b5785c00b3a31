package org.distill4j.experiment;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import org.distill4j.experiment.EmbeddedTask.Item;
import org.distill4j.experiment.EmbeddedTask.Split;
import org.junit.jupiter.api.Test;

class EmbeddedTaskTest {
    private final EmbeddedTask task = new EmbeddedTask();

    @Test
    void sizesMatchTheSpecification() {
        assertThat(task.promptSpaceSize()).isGreaterThan(1e6);
        assertThat(task.vocabulary().size()).isBetween(150, 400);
        SplittableRandom rng = new SplittableRandom(1);
        int min = Integer.MAX_VALUE;
        int max = 0;
        for (int i = 0; i < 3000; i++) {
            List<Item> p = task.prompt(7, Split.ORACLE, i);
            int n = EmbeddedTask.tokens(task.sample(p, rng)) + 1; // + EOS
            min = Math.min(min, n);
            max = Math.max(max, n);
        }
        assertThat(min).isGreaterThanOrEqualTo(16);
        assertThat(max).isLessThanOrEqualTo(64);
    }

    @Test
    void splitsAreDeterministicAndDisjoint() {
        Set<String> oracle = new HashSet<>();
        for (int i = 0; i < 2000; i++) {
            oracle.add(task.render(task.prompt(3, Split.ORACLE, i)));
        }
        for (int i = 0; i < 500; i++) {
            String v = task.render(task.prompt(3, Split.VALIDATION, i));
            assertThat(oracle).doesNotContain(v);
            assertThat(task.render(task.prompt(3, Split.VALIDATION, i))).isEqualTo(v);
        }
        assertThat(oracle.size()).isGreaterThan(1990);
    }

    @Test
    void promptsParseBack() {
        for (int i = 0; i < 200; i++) {
            List<Item> p = task.prompt(5, Split.DISTILL, i);
            assertThat(task.parsePrompt(task.render(p))).contains(p);
        }
        assertThat(task.parsePrompt("describe : purple fox .")).isEmpty();
    }

    @Test
    void everySampleFollowsTheRulesAndBrokenOnesDoNot() {
        SplittableRandom rng = new SplittableRandom(2);
        List<Item> p = task.prompt(1, Split.ORACLE, 0);
        for (int i = 0; i < 2000; i++) {
            String y = task.sample(p, rng);
            assertThat(task.follows(p, y)).as(y).isTrue();
            String[] w = y.split(" ");
            // dropping the last clause's words, or swapping in an unknown word, breaks the rules
            assertThat(task.follows(p, String.join(" ", java.util.Arrays.copyOf(w, w.length - 3)) + " .")).isFalse();
            assertThat(task.follows(p, y.replaceFirst(" (the|a|there) ", " zebra "))).isFalse();
        }
    }

    /** A prompt's items share one topic; a response naming nouns of two topics is grammatical but not well-formed. */
    @Test
    void promptsStayWithinOneTopic() {
        for (int i = 0; i < 500; i++) {
            List<Item> p = task.prompt(4, Split.DISTILL, i);
            assertThat(p.stream().map(Item::topic).distinct()).hasSize(1);
        }
        String ok = "the red cow grazes and a pig that is big ; there is a old hen .";
        String twoTopics = "the red cow grazes and a fox that is big ; there is a old hen .";
        String repeatedNoun = "the red cow grazes and a cow that is big ; there is a old hen .";
        String foreignVerb = "the red cow hunts and a pig that is big ; there is a old hen .";
        assertThat(task.wellFormed(ok)).isTrue();
        // two topics or a repeated noun: still the language's syntax, but not a well-formed answer
        assertThat(task.grammatical(twoTopics)).isTrue();
        assertThat(task.wellFormed(twoTopics)).isFalse();
        assertThat(task.grammatical(repeatedNoun)).isTrue();
        assertThat(task.wellFormed(repeatedNoun)).isFalse();
        // a verb of another topic breaks the syntax itself
        assertThat(task.grammatical(foreignVerb)).isFalse();
        assertThat(task.wellFormed(foreignVerb)).isFalse();
    }

    /** The exact probabilities agree with sampling frequencies on a 3-item prompt. */
    @Test
    void logProbMatchesEmpiricalFrequencies() {
        List<Item> p = List.of(new Item(0, 2, 0), new Item(5, 2, 3), new Item(9, 2, 5));
        SplittableRandom rng = new SplittableRandom(9);
        Map<String, Integer> counts = new HashMap<>();
        int n = 400_000;
        for (int i = 0; i < n; i++) {
            counts.merge(task.sample(p, rng), 1, Integer::sum);
        }
        // the most frequent responses: frequency within 4 standard errors of the exact probability
        counts.entrySet().stream().sorted((a, b) -> b.getValue() - a.getValue()).limit(20).forEach(e -> {
            double prob = Math.exp(task.logProb(p, e.getKey()).orElseThrow());
            double se = Math.sqrt(prob * (1 - prob) / n);
            assertThat((double) e.getValue() / n).as(e.getKey()).isCloseTo(prob, org.assertj.core.data.Offset.offset(4 * se + 1e-9));
        });
    }
}
