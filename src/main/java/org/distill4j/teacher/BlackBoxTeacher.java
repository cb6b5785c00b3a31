package org.distill4j.teacher;

import java.util.List;

/**
 * A teacher seen only through its text: prompts in, sampled responses out (an API model, a vLLM or
 * llama.cpp server, or distill4j's own {@code serve}). GAD and sequence-level KD need nothing more.
 */
public interface BlackBoxTeacher extends AutoCloseable {
    /**
     * {@code n} responses to every prompt: {@code result.get(i).get(j)} is sample j of prompt i.
     *
     * @throws EndpointException when some responses could not be obtained after retries
     */
    List<List<String>> respond(List<String> prompts, int n);

    @Override
    default void close() {}
}
