package org.distill4j.eval;

import java.util.List;
import org.distill4j.openai.Prompt;

/**
 * The pairwise judge prompt: the Vicuna / FastChat "general" reviewer prompt that MiniLLM's GPT-4
 * feedback (and through it GAD's GPT-4o evaluation) follows, verbatim; docs/judge.md gives its source.
 * The judge sees the instruction and two answers and must put the two 1–10 scores on its first line.
 */
public final class JudgePrompt {
    private JudgePrompt() {}

    /** The system message. */
    public static final String SYSTEM = "You are a helpful and precise assistant for checking the quality of the answer.";

    /** What the judge is asked to do; follows the two answers. */
    public static final String TASK = "We would like to request your feedback on the performance of two AI assistants "
            + "in response to the user question displayed above.\n"
            + "Please rate the helpfulness, relevance, accuracy, level of details of their responses. Each assistant "
            + "receives an overall score on a scale of 1 to 10, where a higher score indicates better overall performance.\n"
            + "Please first output a single line containing only two values indicating the scores for Assistant 1 and 2, "
            + "respectively. The two scores are separated by a space. In the subsequent line, please provide a "
            + "comprehensive explanation of your evaluation, avoiding any potential bias and ensuring that the order in "
            + "which the responses were presented does not affect your judgment.";

    /** The user message: question, the two answers, then {@link #TASK}. */
    public static String user(String question, String answer1, String answer2) {
        return "[Question]\n" + question + "\n\n"
                + "[The Start of Assistant 1's Answer]\n" + answer1 + "\n\n"
                + "[The End of Assistant 1's Answer]\n\n"
                + "[The Start of Assistant 2's Answer]\n" + answer2 + "\n\n"
                + "[The End of Assistant 2's Answer]\n\n"
                + "[System]\n" + TASK + "\n\n";
    }

    /** The chat conversation sent to the judge. */
    public static Prompt.Conversation conversation(String question, String answer1, String answer2) {
        return new Prompt.Conversation(List.of(new Prompt.Turn("system", SYSTEM),
                new Prompt.Turn("user", user(question, answer1, answer2))));
    }
}
