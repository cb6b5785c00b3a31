package org.distill4j.openai;

import java.util.List;

/** What is sent for one prompt: a text (completions, or one user turn in chat) or a whole conversation. */
public sealed interface Prompt {
    record Text(String text) implements Prompt {}

    /** A conversation for the chat endpoint; roles as OpenAI names them (system, user, assistant). */
    record Conversation(List<Turn> turns) implements Prompt {
        public Conversation {
            turns = List.copyOf(turns);
            if (turns.isEmpty()) {
                throw new IllegalArgumentException("a conversation needs at least one turn");
            }
        }
    }

    record Turn(String role, String content) {}

    /** The prompt a key stands for ({@link org.distill4j.data.Conversation#promptKey}): a conversation or a text. */
    static Prompt ofKey(String key) {
        org.distill4j.data.Conversation c = org.distill4j.data.Conversation.fromKey(key);
        if (c == null) {
            return new Text(key);
        }
        return new Conversation(c.messages().stream().map(m -> new Turn(m.role(), m.content())).toList());
    }
}
