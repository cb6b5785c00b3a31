package org.distill4j.cli;

import java.util.Map;

/**
 * Flags that were renamed so that one flag means one thing in every verb (docs/flags.md): given again, each fails
 * with one line naming its new name, on the command line and as a --config key, instead of picocli's bare
 * "Unknown option".
 */
final class RenamedFlags {
    private RenamedFlags() {}

    /** By verb (picocli's qualified name without "distill "), old flag → what to use instead. */
    private static final Map<String, Map<String, String>> RENAMED = Map.of(
            "sft", Map.of("--warmup-steps", "--lr-warmup-steps (the learning rate's linear warmup)"),
            "kd", Map.of("--warmup-steps", "--lr-warmup-steps (the learning rate's linear warmup)"),
            "gad", Map.of("--steps", "--max-steps (all steps, the warmup's included: old --steps plus --gad-warmup-steps)",
                    "--warmup-steps", "--gad-warmup-steps (the warmup phase; --lr-warmup-steps is the learning rate's)"),
            "seqkd", Map.of("--steps", "--max-steps"),
            "toy", Map.of("--steps", "--max-steps"),
            "experiment teacher-hacking", Map.of("--steps", "--max-steps", "--temperature", "--loss-temperature (the loss's softmax temperature)"),
            "bench topk", Map.of("--temperature", "--loss-temperature (the loss's softmax temperature)"));

    /** The hint for {@code flag} (with or without its leading dashes) in {@code verb}, or null. */
    static String hint(String verb, String flag) {
        String name = flag.startsWith("--") ? flag : "--" + flag;
        int eq = name.indexOf('=');
        if (eq > 0) {
            name = name.substring(0, eq);
        }
        Map<String, String> renamed = RENAMED.get(verb);
        String now = renamed == null ? null : renamed.get(name);
        return now == null ? null : name + " was renamed: use " + now;
    }
}
