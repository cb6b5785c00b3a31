package org.distill4j.eval;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** Judges' replies as they come: the two scores are found whatever the formatting, or the reply is refused. */
class JudgeReplyTest {
    @ParameterizedTest(name = "[{index}] {0}")
    @CsvSource(delimiter = '|', textBlock = """
            8 7                                                                  | 8   | 7
            8, 7\\nAssistant 1 is better because it is longer.                   | 8   | 7
            8 7\\nAssistant 1: 3 steps, Assistant 2: 9 steps                     | 8   | 7
            \\n\\n  7 8  \\nexplanation                                          | 7   | 8
            Assistant 1: 8\\nAssistant 2: 7\\n\\nBoth answers are correct.       | 8   | 7
            **Assistant 1:** 9\\n**Assistant 2:** 4                              | 9   | 4
            Assistant 1's score: 6/10\\nAssistant 2's score: 10/10               | 6   | 10
            8/10 and 6/10                                                        | 8   | 6
            8 out of 10 and 7 out of 10                                          | 8   | 7
            8.5 7.25                                                             | 8.5 | 7.25
            **9** **6**                                                          | 9   | 6
            Scores: 10 1                                                         | 10  | 1
            Scores for Assistant 1 and 2: 5 6                                    | 5   | 6
            Assistant 1: 7/10, Assistant 2: 9/10                                 | 7   | 9
            Assistant 1 receives a score of 8, while Assistant 2 receives 6.     | 8   | 6
            Assistant 1 - 3\\nsome words\\nAssistant 2 - 4                       | 3   | 4
            The first answer is better.\\nAssistant 1: 9\\nAssistant 2: 5        | 9   | 5
            """)
    void readsBothScores(String reply, double first, double second) {
        assertThat(JudgeReply.parse(unescape(reply))).isEqualTo(new JudgeReply.Scores(first, second));
    }

    @ParameterizedTest(name = "[{index}] {0}")
    @ValueSource(strings = {
        "",
        "   \\n  ",
        "8",
        "Both assistants did well.",
        "8 7 6",
        "11 7",
        "0 5",
        "80 70",
        "7 -",
        "Assistant 1 lists 3 steps, Assistant 2 only 2.",
        "Assistant 1 provides a clear answer.\\nAssistant 2: 7",
    })
    void refusesRepliesWithoutTwoScoresInRange(String reply) {
        assertThat(JudgeReply.parse(unescape(reply))).isInstanceOf(JudgeReply.Unusable.class);
    }

    @ParameterizedTest(name = "[{index}] {0}")
    @CsvSource(delimiter = '|', textBlock = """
            11 7          | score 11.0 outside 1..10
            8             | no two scores on the first line: '8'
            ''            | empty reply
            """)
    void saysWhy(String reply, String why) {
        assertThat(JudgeReply.parse(reply)).isEqualTo(new JudgeReply.Unusable(why));
    }

    private static String unescape(String s) {
        return s.replace("\\n", "\n");
    }
}
