package org.distill4j.serve;

/** One turn of a chat: role is system, user or assistant ("developer" is read as system). */
public record ChatMessage(String role, String content) {
    public ChatMessage {
        if (!role.equals("system") && !role.equals("user") && !role.equals("assistant")) {
            throw new IllegalArgumentException("unknown chat role " + role);
        }
    }
}
