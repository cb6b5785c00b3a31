package org.distill4j.experiment;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.distill4j.experiment.EmbeddedTask.ADJECTIVES;
import static org.distill4j.experiment.EmbeddedTask.NOUNS;
import static org.distill4j.experiment.EmbeddedTask.VERBS;

/**
 * The embedded task's responses parsed back into their one derivation (docs/embedded-task.md): clauses of the four
 * templates and the connectives between them. {@link EmbeddedTask} defines the language and samples it; this reads it,
 * for its checks ({@code grammatical}, {@code wellFormed}) and its exact likelihood ({@code logProb}).
 */
final class EmbeddedParser {
    private final Map<String, int[]> nounIndex = new HashMap<>();
    private final Map<String, int[]> adjectiveIndex = new HashMap<>();
    private final Map<String, Integer> verbTopic = new HashMap<>();

    EmbeddedParser() {
        for (int c = 0; c < NOUNS.length; c++) {
            for (int n = 0; n < NOUNS[c].length; n++) {
                nounIndex.put(NOUNS[c][n], new int[] {c, n});
            }
            for (String v : VERBS[c]) {
                verbTopic.put(v, c);
            }
        }
        for (int a = 0; a < ADJECTIVES.length; a++) {
            adjectiveIndex.put(ADJECTIVES[a][0], new int[] {a, 0});
            adjectiveIndex.put(ADJECTIVES[a][1], new int[] {a, 1});
        }
    }

    /** {adjective, 1 if the synonym} of a word, or null. */
    int[] adjectiveOf(String word) {
        return adjectiveIndex.get(word);
    }

    /** {topic, noun} of a word, or null. */
    int[] nounOf(String word) {
        return nounIndex.get(word);
    }

    /** The clauses of a response with the connectives between them, or null when it is not in the grammar. */
    record Parse(List<Clause> clauses, List<Integer> connectives) {}

    Parse parse(String response) {
        String[] w = response.trim().split(" +");
        List<Clause> clauses = new ArrayList<>();
        List<Integer> connectives = new ArrayList<>();
        int pos = 0;
        while (true) {
            Clause clause = parseClause(w, pos);
            if (clause == null || (clause.verbTopic >= 0 && clause.verbTopic != clause.topic)) {
                return null;
            }
            clauses.add(clause);
            pos = clause.end;
            if (pos == w.length - 1 && w[pos].equals(".")) {
                return new Parse(clauses, connectives);
            }
            if (at(w, pos, "and")) {
                connectives.add(0);
                pos += 1;
            } else if (at(w, pos, ",") && at(w, pos + 1, "then")) {
                connectives.add(1);
                pos += 2;
            } else if (at(w, pos, ";")) {
                connectives.add(2);
                pos += 1;
            } else {
                return null;
            }
        }
    }

    static final class Clause {
        int template;
        int adjective;
        boolean synonym;
        int topic;
        int noun;
        int verbTopic = -1;
        int end;
    }

    private Clause parseClause(String[] w, int p) {
        Clause c = new Clause();
        if (at(w, p, "the") && adjectiveIndex.containsKey(get(w, p + 1))) { // the ADJ NOUN VERB
            c.template = 0;
            if (!adjective(c, get(w, p + 1)) || !noun(c, get(w, p + 2)) || !verb(c, get(w, p + 3))) {
                return null;
            }
            c.end = p + 4;
        } else if (at(w, p, "a")) { // a NOUN that is ADJ
            c.template = 1;
            if (!noun(c, get(w, p + 1)) || !at(w, p + 2, "that") || !at(w, p + 3, "is") || !adjective(c, get(w, p + 4))) {
                return null;
            }
            c.end = p + 5;
        } else if (at(w, p, "the")) { // the NOUN , which is ADJ , VERB
            c.template = 2;
            if (!noun(c, get(w, p + 1)) || !at(w, p + 2, ",") || !at(w, p + 3, "which") || !at(w, p + 4, "is")
                    || !adjective(c, get(w, p + 5)) || !at(w, p + 6, ",") || !verb(c, get(w, p + 7))) {
                return null;
            }
            c.end = p + 8;
        } else if (at(w, p, "there")) { // there is a ADJ NOUN
            c.template = 3;
            if (!at(w, p + 1, "is") || !at(w, p + 2, "a") || !adjective(c, get(w, p + 3)) || !noun(c, get(w, p + 4))) {
                return null;
            }
            c.end = p + 5;
        } else {
            return null;
        }
        return c;
    }

    private boolean adjective(Clause c, String word) {
        int[] a = adjectiveIndex.get(word);
        if (a == null) {
            return false;
        }
        c.adjective = a[0];
        c.synonym = a[1] == 1;
        return true;
    }

    private boolean noun(Clause c, String word) {
        int[] n = nounIndex.get(word);
        if (n == null) {
            return false;
        }
        c.topic = n[0];
        c.noun = n[1];
        return true;
    }

    private boolean verb(Clause c, String word) {
        Integer v = verbTopic.get(word);
        if (v == null) {
            return false;
        }
        c.verbTopic = v;
        return true;
    }

    private static boolean at(String[] w, int i, String s) {
        return i < w.length && w[i].equals(s);
    }

    private static String get(String[] w, int i) {
        return i < w.length ? w[i] : "";
    }
}
