package org.distill4j.experiment;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A natural-language task for the lab from a corpus shipped in the jar (src/main/resources/corpora/README.md names
 * source and licence): the text is lower-cased and cut into words and punctuation marks; its first 80 % is the
 * oracle's (stage-0 examples and stage-1 prompts), the next 10 % gives the distillation prompts and the last 10 % the
 * validation prompts, so every prompt the student is distilled or evaluated on is text the oracle never saw.
 *
 * <p>An example is a window: the prompt is {@value #PROMPT_WORDS} words of the text, the response the words that
 * follow up to and including the first sentence end (. ! ?) after at least {@value #MIN_RESPONSE} words, at most
 * {@value #MAX_RESPONSE}. The vocabulary is the {@value #VOCABULARY} most frequent words of the whole corpus; rarer
 * words become the tokenizer's unknown token (a small vocabulary keeps the lab's models small and its KL sums cheap).
 */
final class LabCorpus implements LabTask {
    static final int PROMPT_WORDS = 12;
    static final int MIN_RESPONSE = 4;
    static final int MAX_RESPONSE = 32;
    static final int VOCABULARY = 2000;
    private static final Pattern WORD = Pattern.compile("[a-z]+(?:'[a-z]+)*|[.,;:!?]");

    private final List<String> words;
    private final List<String> vocabulary;

    LabCorpus(String text) {
        List<String> w = new ArrayList<>();
        Matcher m = WORD.matcher(text.toLowerCase(Locale.ROOT));
        while (m.find()) {
            w.add(m.group());
        }
        if (w.size() < 10 * (PROMPT_WORDS + MAX_RESPONSE)) {
            throw new IllegalArgumentException("a corpus of " + w.size() + " words is too small for three splits");
        }
        this.words = List.copyOf(w);
        Map<String, Integer> count = new HashMap<>();
        Map<String, Integer> first = new LinkedHashMap<>();
        for (int i = 0; i < w.size(); i++) {
            count.merge(w.get(i), 1, Integer::sum);
            first.putIfAbsent(w.get(i), i);
        }
        this.vocabulary = first.keySet().stream()
                .sorted(Comparator.comparingInt((String s) -> -count.get(s)).thenComparingInt(first::get))
                .limit(VOCABULARY).toList();
    }

    /** The Shakespeare corpus of the jar's resources. */
    static LabCorpus shakespeare() {
        try (InputStream in = LabCorpus.class.getResourceAsStream("/corpora/tinyshakespeare.txt")) {
            if (in == null) {
                throw new IllegalStateException("corpora/tinyshakespeare.txt is missing from the jar");
            }
            return new LabCorpus(new String(in.readAllBytes(), StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new IllegalStateException("cannot read corpora/tinyshakespeare.txt", e);
        }
    }

    int size() {
        return words.size();
    }

    @Override
    public List<String> vocabulary() {
        return vocabulary;
    }

    /** The word range [from, to) of a split. */
    int[] range(EmbeddedTask.Split split) {
        int n = words.size();
        return switch (split) {
            case ORACLE -> new int[] {0, (int) (0.8 * n)};
            case DISTILL -> new int[] {(int) (0.8 * n), (int) (0.9 * n)};
            case VALIDATION -> new int[] {(int) (0.9 * n), n};
        };
    }

    /** Where the {@code index}-th window of a split starts: uniform over the split, a function of (seed, split, index). */
    private int start(long seed, EmbeddedTask.Split split, long index) {
        int[] r = range(split);
        SplittableRandom rng = new SplittableRandom(seed * 0x9E3779B97F4A7C15L + split.ordinal() * 0xBF58476D1CE4E5B9L + index);
        return r[0] + rng.nextInt(r[1] - r[0] - PROMPT_WORDS - MAX_RESPONSE);
    }

    @Override
    public String prompt(long seed, EmbeddedTask.Split split, long index) {
        int s = start(seed, split, index);
        return String.join(" ", words.subList(s, s + PROMPT_WORDS));
    }

    /** The true continuation of a prompt window (the corpus, not a sample: {@code rng} is not used). */
    @Override
    public String[] oracleExample(long seed, long index, SplittableRandom rng) {
        int s = start(seed, EmbeddedTask.Split.ORACLE, index);
        int from = s + PROMPT_WORDS;
        int end = from + MAX_RESPONSE;
        for (int i = from + MIN_RESPONSE - 1; i < from + MAX_RESPONSE; i++) {
            String w = words.get(i);
            if (w.equals(".") || w.equals("!") || w.equals("?")) {
                end = i + 1;
                break;
            }
        }
        return new String[] {String.join(" ", words.subList(s, from)), String.join(" ", words.subList(from, end))};
    }
}
