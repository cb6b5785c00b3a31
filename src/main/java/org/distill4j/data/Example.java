package org.distill4j.data;

/**
 * A tokenized training example: the prompt (with BOS) and the response (ending with EOS unless it
 * was truncated). The loss of supervised training is on response tokens only.
 */
public record Example(long[] prompt, long[] response) {
    public int length() {
        return prompt.length + response.length;
    }
}
