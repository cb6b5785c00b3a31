package org.distill4j.data;

/**
 * A tokenized training example: the prompt (with BOS) and the response (ending with EOS unless it
 * was truncated). The loss of supervised training is on response tokens only.
 */
public record Example(long[] prompt, long[] response) {
    public int length() {
        return prompt.length + response.length;
    }

    /** The prompts of a batch, in order (the models' forward passes take prompts and responses). */
    public static java.util.List<long[]> prompts(java.util.List<Example> batch) {
        return batch.stream().map(Example::prompt).toList();
    }

    /** The responses of a batch, in order. */
    public static java.util.List<long[]> responses(java.util.List<Example> batch) {
        return batch.stream().map(Example::response).toList();
    }
}
