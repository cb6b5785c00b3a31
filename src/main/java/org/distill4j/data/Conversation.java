package org.distill4j.data;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.distill4j.lm.ChatFormat;
import org.distill4j.util.Json;
import org.distill4j.util.UserError;

/**
 * A record's {@code "messages": [{"role": ..., "content": ...}, ...]}, with the keyword arguments its chat template
 * should get ({@code "chat_template_kwargs": {"enable_thinking": false}}, as vLLM's API names them).
 */
public record Conversation(List<ChatFormat.Message> messages, Map<String, Object> kwargs) {
    public Conversation {
        messages = List.copyOf(messages);
        kwargs = Map.copyOf(kwargs);
    }

    /** Whether a JSONL record holds a conversation rather than a prompt text. */
    public static boolean in(JsonNode record) {
        return record.has("messages");
    }

    /** The conversation of a record; {@code where} ("file:line") names it in errors. */
    public static Conversation of(JsonNode record, String where) {
        JsonNode ms = record.get("messages");
        if (ms == null || !ms.isArray() || ms.isEmpty()) {
            throw new UserError(where + ": field 'messages' must be a non-empty array of {\"role\", \"content\"} objects");
        }
        List<ChatFormat.Message> out = new ArrayList<>();
        for (int i = 0; i < ms.size(); i++) {
            JsonNode m = ms.get(i);
            if (!m.path("role").isTextual() || !m.path("content").isTextual()) {
                throw new UserError(where + ": messages[" + i + "] needs a string 'role' and a string 'content'");
            }
            out.add(new ChatFormat.Message(m.get("role").asText(), m.get("content").asText()));
        }
        JsonNode kw = record.get("chat_template_kwargs");
        if (kw != null && !kw.isObject()) {
            throw new UserError(where + ": field 'chat_template_kwargs' must be an object");
        }
        Map<String, Object> kwargs = kw == null ? Map.of() : Json.MAPPER.convertValue(kw, new TypeReference<Map<String, Object>>() {});
        return new Conversation(out, kwargs);
    }

    /**
     * The conversation as one string, for code that keys prompts by text (GAD's teacher responses): the compact
     * JSON {@code {"messages":[...],"chat_template_kwargs":{...}}}, written the same way for equal conversations.
     * {@link #fromKey} reads it back; {@link #promptKey} gives a prompt record's key.
     */
    public String key() {
        return json().toString();
    }

    /**
     * The record fields of this conversation: {@code messages} and, when there are any, {@code chat_template_kwargs}.
     * A tree: callers merge it into prompt records (open), and {@link #key()}'s text must stay as it is.
     */
    public com.fasterxml.jackson.databind.node.ObjectNode json() {
        com.fasterxml.jackson.databind.node.ObjectNode o = Json.object();
        var ms = o.putArray("messages");
        messages.forEach(m -> ms.addObject().put("role", m.role()).put("content", m.content()));
        if (!kwargs.isEmpty()) {
            o.set("chat_template_kwargs", Json.MAPPER.valueToTree(new java.util.TreeMap<>(kwargs)));
        }
        return o;
    }

    /** The conversation a {@link #key()} stands for, or null when {@code key} is a prompt text. */
    public static Conversation fromKey(String key) {
        if (!key.startsWith("{\"messages\":")) {
            return null;
        }
        try {
            Conversation c = of(Json.MAPPER.readTree(key), "prompt");
            return c.key().equals(key) ? c : null; // only the exact form key() writes: any other text is a text
        } catch (com.fasterxml.jackson.core.JsonProcessingException | UserError e) {
            return null;
        }
    }

    /** The key of a prompt record: its conversation's {@link #key()}, or its {@code "prompt"} text. */
    public static String promptKey(org.distill4j.util.Jsonl.Line line, java.nio.file.Path file) {
        return in(line.value()) ? of(line.value(), file + ":" + line.number()).key() : line.text(file, "prompt");
    }

    /** This conversation followed by the assistant's {@code response} (a teacher's answer to it, as teach writes). */
    public Conversation withResponse(String response) {
        List<ChatFormat.Message> out = new ArrayList<>(messages);
        out.add(new ChatFormat.Message("assistant", response));
        return new Conversation(out, kwargs);
    }

    /** All messages but the last (the prompt of a conversation that ends with the response). */
    public List<ChatFormat.Message> history() {
        return messages.subList(0, messages.size() - 1);
    }

    public ChatFormat.Message last() {
        return messages.get(messages.size() - 1);
    }
}
