package org.distill4j.experiment;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.SplittableRandom;

/**
 * The embedded prompt→response language (docs/embedded-task.md): a prompt lists K ∈ [3, 6] items
 * ("adjective noun", all nouns of one topic), the response describes every item once, in one of several
 * orders, each with one of four clause templates, the adjective possibly replaced by its synonym, a verb
 * drawn from the topic's, clauses joined by one of three connectives. Every response has exactly one
 * derivation, so its probability under the grammar is exact ({@link #logProb}); the grammar's
 * conditional entropy is the floor any model's per-token NLL can reach.
 */
public final class EmbeddedTask {
    /**
     * Nouns by topic: a prompt's items all come from one topic, and each topic has verbs of its own, so
     * what a response says depends on the prompt through its topic as well as through its items.
     */
    static final String[][] NOUNS = {
        {"cow", "pig", "goat", "sheep", "horse", "hen"},
        {"fox", "wolf", "bear", "deer", "lion", "hare"},
        {"owl", "crow", "swan", "eagle", "robin", "hawk"},
        {"whale", "seal", "shark", "crab", "squid", "eel"},
        {"ant", "bee", "moth", "wasp", "beetle", "flea"},
        {"oak", "pine", "birch", "maple", "cedar", "willow"},
        {"rose", "lily", "tulip", "daisy", "orchid", "iris"},
        {"hammer", "saw", "drill", "wrench", "axe", "chisel"},
        {"chair", "table", "bed", "sofa", "desk", "shelf"},
        {"car", "bus", "train", "truck", "bike", "van"},
        {"drum", "flute", "harp", "violin", "horn", "bell"},
        {"cup", "pot", "pan", "bowl", "plate", "jug"},
        {"house", "tower", "barn", "church", "castle", "hut"},
        {"cloud", "storm", "wind", "rain", "snow", "sun"},
        {"stone", "gem", "coin", "ring", "pearl", "crystal"},
        {"hat", "coat", "scarf", "boot", "glove", "shirt"},
    };
    static final String[][] VERBS = {
        {"grazes", "sleeps", "wanders"},
        {"hunts", "runs", "hides"},
        {"flies", "sings", "nests"},
        {"swims", "dives", "drifts"},
        {"crawls", "buzzes", "stings"},
        {"grows", "sways", "bends"},
        {"blooms", "wilts", "fades"},
        {"cuts", "strikes", "rusts"},
        {"stands", "creaks", "wobbles"},
        {"drives", "stops", "honks"},
        {"rings", "plays", "hums"},
        {"spills", "cracks", "steams"},
        {"looms", "crumbles", "endures"},
        {"gathers", "passes", "rages"},
        {"glitters", "sparkles", "gleams"},
        {"fits", "tears", "dries"},
    };
    /** Adjectives used in prompts, each with one synonym that appears only in responses. */
    static final String[][] ADJECTIVES = {
        {"red", "crimson"}, {"blue", "azure"}, {"green", "emerald"}, {"black", "ebony"}, {"white", "snowy"},
        {"big", "large"}, {"small", "little"}, {"tall", "lofty"}, {"short", "stubby"}, {"old", "ancient"},
        {"young", "youthful"}, {"fast", "swift"}, {"slow", "sluggish"}, {"loud", "noisy"}, {"quiet", "silent"},
        {"happy", "joyful"}, {"sad", "gloomy"}, {"bright", "shiny"}, {"dark", "dim"}, {"soft", "gentle"},
        {"hard", "firm"}, {"warm", "toasty"}, {"cold", "chilly"}, {"wet", "damp"}, {"dry", "arid"},
        {"rich", "wealthy"}, {"poor", "needy"}, {"brave", "bold"}, {"shy", "timid"}, {"wild", "feral"},
        {"calm", "serene"}, {"odd", "strange"}, {"neat", "tidy"}, {"rough", "coarse"}, {"smooth", "sleek"},
        {"heavy", "hefty"}, {"light", "airy"}, {"clean", "spotless"}, {"dirty", "grimy"}, {"proud", "haughty"},
    };
    static final double SYNONYM_P = 0.3;
    static final double[] TEMPLATE_P = {0.4, 0.25, 0.15, 0.2};
    static final String[] CONNECTIVES = {"and", ", then", ";"};
    static final double[] CONNECTIVE_P = {0.5, 0.3, 0.2};
    static final double ORDER_SAME = 0.5;
    static final double ORDER_REVERSED = 0.2;
    static final int MIN_ITEMS = 3;
    static final int MAX_ITEMS = 6;

    /** Splits of the prompt space, disjoint by a hash of the prompt. */
    public enum Split {
        ORACLE(0, 80), DISTILL(80, 95), VALIDATION(95, 100);

        final int from;
        final int to;

        Split(int from, int to) {
            this.from = from;
            this.to = to;
        }
    }

    /** One prompt item. */
    public record Item(int adjective, int topic, int noun) {}

    /** Responses back into clauses: the grammar's inverse, used by the checks and the exact likelihood. */
    private final EmbeddedParser parser = new EmbeddedParser();

    /** Every word of the language, for a word-level tokenizer. */
    public List<String> vocabulary() {
        LinkedHashSet<String> v = new LinkedHashSet<>(List.of("describe", ":", ",", ".", "the", "a", "that", "is",
                "which", "there", "and", "then", ";"));
        for (String[] c : NOUNS) {
            v.addAll(List.of(c));
        }
        for (String[] c : VERBS) {
            v.addAll(List.of(c));
        }
        for (String[] a : ADJECTIVES) {
            v.addAll(List.of(a));
        }
        return new ArrayList<>(v);
    }

    /** Number of distinct prompts: topics × Σ_K (nouns of a topic choose K, ordered) × adjectives^K. */
    public double promptSpaceSize() {
        double total = 0;
        int nouns = NOUNS[0].length;
        for (int k = MIN_ITEMS; k <= MAX_ITEMS; k++) {
            double ordered = 1;
            for (int i = 0; i < k; i++) {
                ordered *= nouns - i;
            }
            total += ordered * Math.pow(ADJECTIVES.length, k);
        }
        return NOUNS.length * total;
    }

    /** Number of topics; a prompt's items are all of one topic ({@link Item#topic}), so topics can be held out. */
    public static int topics() {
        return NOUNS.length;
    }

    /** The i-th prompt of a split; the same (seed, split, i) always gives the same prompt. */
    public List<Item> prompt(long seed, Split split, long index) {
        SplittableRandom rng = new SplittableRandom(mix(seed, split.ordinal(), index));
        while (true) {
            List<Item> items = randomItems(rng);
            int bucket = Math.floorMod(render(items).hashCode() * 0x9E3779B1, 100);
            if (bucket >= split.from && bucket < split.to) {
                return items;
            }
        }
    }

    private static long mix(long seed, int split, long index) {
        long h = seed * 0x9E3779B97F4A7C15L ^ (split + 1) * 0xBF58476D1CE4E5B9L ^ index * 0x94D049BB133111EBL;
        return new SplittableRandom(h).nextLong();
    }

    private static List<Item> randomItems(SplittableRandom rng) {
        int k = MIN_ITEMS + rng.nextInt(MAX_ITEMS - MIN_ITEMS + 1);
        int topic = rng.nextInt(NOUNS.length);
        List<Item> items = new ArrayList<>(k);
        boolean[] used = new boolean[NOUNS[topic].length];
        while (items.size() < k) {
            int n = rng.nextInt(NOUNS[topic].length);
            if (!used[n]) {
                used[n] = true;
                items.add(new Item(rng.nextInt(ADJECTIVES.length), topic, n));
            }
        }
        return items;
    }

    /** The prompt text: {@code describe : red fox , tall tree , old car .} */
    public String render(List<Item> items) {
        StringBuilder sb = new StringBuilder("describe :");
        for (int i = 0; i < items.size(); i++) {
            Item it = items.get(i);
            sb.append(i == 0 ? " " : " , ").append(ADJECTIVES[it.adjective()][0]).append(' ').append(NOUNS[it.topic()][it.noun()]);
        }
        return sb.append(" .").toString();
    }

    /** Parses a prompt text back into items. */
    public Optional<List<Item>> parsePrompt(String prompt) {
        String[] w = prompt.trim().split(" ");
        if (w.length < 5 || !w[0].equals("describe") || !w[1].equals(":") || !w[w.length - 1].equals(".")) {
            return Optional.empty();
        }
        List<Item> items = new ArrayList<>();
        for (int i = 2; i < w.length - 1; i += 3) {
            int[] a = parser.adjectiveOf(w[i]);
            int[] n = i + 1 < w.length ? parser.nounOf(w[i + 1]) : null;
            if (a == null || a[1] != 0 || n == null) {
                return Optional.empty();
            }
            items.add(new Item(a[0], n[0], n[1]));
            if (i + 2 < w.length - 1 && !w[i + 2].equals(",")) {
                return Optional.empty();
            }
        }
        return Optional.of(items);
    }

    /** Samples a response from the grammar. */
    public String sample(List<Item> items, SplittableRandom rng) {
        int k = items.size();
        int[] order = new int[k];
        double u = rng.nextDouble();
        for (int i = 0; i < k; i++) {
            order[i] = i;
        }
        if (u >= ORDER_SAME && u < ORDER_SAME + ORDER_REVERSED) {
            for (int i = 0; i < k; i++) {
                order[i] = k - 1 - i;
            }
        } else if (u >= ORDER_SAME + ORDER_REVERSED) {
            for (int i = k - 1; i > 0; i--) {
                int j = rng.nextInt(i + 1);
                int t = order[i];
                order[i] = order[j];
                order[j] = t;
            }
        }
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < k; i++) {
            if (i > 0) {
                sb.append(' ').append(CONNECTIVES[pick(CONNECTIVE_P, rng)]).append(' ');
            }
            Item it = items.get(order[i]);
            String adj = ADJECTIVES[it.adjective()][rng.nextDouble() < SYNONYM_P ? 1 : 0];
            String noun = NOUNS[it.topic()][it.noun()];
            String verb = VERBS[it.topic()][rng.nextInt(VERBS[it.topic()].length)];
            sb.append(switch (pick(TEMPLATE_P, rng)) {
                case 0 -> "the " + adj + " " + noun + " " + verb;
                case 1 -> "a " + noun + " that is " + adj;
                case 2 -> "the " + noun + " , which is " + adj + " , " + verb;
                default -> "there is a " + adj + " " + noun;
            });
        }
        return sb.append(" .").toString();
    }

    private static int pick(double[] p, SplittableRandom rng) {
        double u = rng.nextDouble();
        double acc = 0;
        for (int i = 0; i < p.length - 1; i++) {
            acc += p[i];
            if (u < acc) {
                return i;
            }
        }
        return p.length - 1;
    }

    /**
     * Whether a response is a sentence of the language's syntax: clauses of the four templates, each verb of
     * its noun's topic, valid connectives and a final " .".
     */
    public boolean grammatical(String response) {
        return parser.parse(response) != null;
    }

    /**
     * Whether a response is well-formed whatever the prompt: {@link #grammatical} with 3–6 clauses naming
     * distinct nouns of one topic. (Which items it describes is checked by {@link #follows}.)
     */
    public boolean wellFormed(String response) {
        EmbeddedParser.Parse p = parser.parse(response);
        if (p == null || p.clauses().size() < MIN_ITEMS || p.clauses().size() > MAX_ITEMS) {
            return false;
        }
        return p.clauses().stream().map(c -> c.topic).distinct().count() == 1
                && p.clauses().stream().map(c -> c.noun).distinct().count() == p.clauses().size();
    }

    /**
     * log p(response | prompt) under the grammar, or empty when the response breaks a rule (an item
     * missing, repeated or invented, a verb of another topic, a malformed clause or connective).
     */
    public Optional<Double> logProb(List<Item> items, String response) {
        EmbeddedParser.Parse parse = parser.parse(response);
        int k = items.size();
        if (parse == null || parse.clauses().size() != k) {
            return Optional.empty();
        }
        int[] order = new int[k];
        boolean[] seen = new boolean[k];
        double lp = 0;
        for (int c : parse.connectives()) {
            lp += Math.log(CONNECTIVE_P[c]);
        }
        for (int i = 0; i < k; i++) {
            EmbeddedParser.Clause clause = parse.clauses().get(i);
            int which = -1;
            for (int j = 0; j < k; j++) {
                Item it = items.get(j);
                if (it.topic() == clause.topic && it.noun() == clause.noun) {
                    which = j;
                }
            }
            if (which < 0 || seen[which] || items.get(which).adjective() != clause.adjective) {
                return Optional.empty();
            }
            seen[which] = true;
            order[i] = which;
            lp += Math.log(TEMPLATE_P[clause.template]);
            lp += Math.log(clause.synonym ? SYNONYM_P : 1 - SYNONYM_P);
            if (clause.verbTopic >= 0) {
                lp += -Math.log(VERBS[clause.topic].length);
            }
        }
        boolean same = true;
        boolean reversed = true;
        for (int i = 0; i < k; i++) {
            same &= order[i] == i;
            reversed &= order[i] == k - 1 - i;
        }
        double factorial = 1;
        for (int i = 2; i <= k; i++) {
            factorial *= i;
        }
        double pOrder = (1 - ORDER_SAME - ORDER_REVERSED) / factorial + (same ? ORDER_SAME : 0) + (reversed ? ORDER_REVERSED : 0);
        return Optional.of(lp + Math.log(pOrder));
    }

    public boolean follows(List<Item> items, String response) {
        return logProb(items, response).isPresent();
    }

    /** Number of tokens of a text (word-level: spaces separate tokens). */
    public static int tokens(String text) {
        return text.trim().split(" +").length;
    }

    @Override
    public String toString() {
        return "EmbeddedTask" + Arrays.toString(TEMPLATE_P);
    }
}
