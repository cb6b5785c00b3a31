package org.distill4j.serve;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.List;

/**
 * Typed, bounded reads of a request body's fields. Every refusal names the field (OpenAI's
 * {@code param}) and says what was expected and what came instead; an absent field or JSON null
 * means "use the default", as OpenAI treats them.
 */
final class RequestFields {
    private final ObjectNode body; // a tree: input is checked field by field so each refusal names its param

    RequestFields(ObjectNode body) {
        this.body = body;
    }

    JsonNode get(String name) {
        JsonNode v = body.get(name);
        return v == null || v.isNull() ? null : v;
    }

    boolean has(String name) {
        return get(name) != null;
    }

    String requiredString(String name) {
        JsonNode v = get(name);
        if (v == null) {
            throw ApiError.invalid(name, "missing_required_parameter", "'" + name + "' is required");
        }
        if (!v.isTextual()) {
            throw wrongType(name, "a string", v);
        }
        return v.asText();
    }

    double number(String name, double dflt, double min, double max) {
        JsonNode v = get(name);
        if (v == null) {
            return dflt;
        }
        if (!v.isNumber()) {
            throw wrongType(name, "a number", v);
        }
        double x = v.asDouble();
        if (!(x >= min && x <= max)) {
            throw outOfRange(name, x, min, max);
        }
        return x;
    }

    int integer(String name, int dflt, int min, int max) {
        JsonNode v = get(name);
        if (v == null) {
            return dflt;
        }
        long x = integral(name, v);
        if (x < min || x > max) {
            throw outOfRange(name, x, min, max);
        }
        return (int) x;
    }

    /** An integer without bounds (a seed), or null when absent. */
    Long optionalLong(String name) {
        JsonNode v = get(name);
        return v == null ? null : integral(name, v);
    }

    boolean bool(String name, boolean dflt) {
        JsonNode v = get(name);
        if (v == null) {
            return dflt;
        }
        if (!v.isBoolean()) {
            throw wrongType(name, "a boolean", v);
        }
        return v.asBoolean();
    }

    /** {@code stop}: a string or an array of up to {@code max} non-empty strings. */
    List<String> stopStrings(String name, int max) {
        JsonNode v = get(name);
        List<String> out = new ArrayList<>();
        if (v == null) {
            return out;
        }
        if (v.isTextual()) {
            out.add(v.asText());
        } else if (v.isArray()) {
            for (JsonNode s : v) {
                if (!s.isTextual()) {
                    throw wrongType(name, "a string or an array of strings", v);
                }
                out.add(s.asText());
            }
        } else {
            throw wrongType(name, "a string or an array of strings", v);
        }
        if (out.size() > max) {
            throw ApiError.invalid(name, "invalid_value", "'" + name + "' has " + out.size() + " strings; at most " + max + " are allowed");
        }
        if (out.stream().anyMatch(String::isEmpty)) {
            throw ApiError.invalid(name, "invalid_value", "'" + name + "' contains an empty string");
        }
        return out;
    }

    /** Refuses a field this server does not implement unless it holds a value that changes nothing. */
    void refuseUnlessNeutral(String name, java.util.function.Predicate<JsonNode> neutral, String why) {
        JsonNode v = get(name);
        if (v != null && !neutral.test(v)) {
            throw ApiError.unsupported(name, "'" + name + "' is not supported by this server: " + why);
        }
    }

    private static long integral(String name, JsonNode v) {
        if (v.isIntegralNumber() && v.canConvertToLong()) {
            return v.asLong();
        }
        if (v.isFloatingPointNumber() && v.asDouble() == Math.rint(v.asDouble()) && Math.abs(v.asDouble()) < 1e15) {
            return (long) v.asDouble();
        }
        throw wrongType(name, "an integer", v);
    }

    static ApiError wrongType(String name, String expected, JsonNode got) {
        return ApiError.invalid(name, "invalid_type", "'" + name + "' must be " + expected + ", got "
                + describe(got));
    }

    private static ApiError outOfRange(String name, double x, double min, double max) {
        return ApiError.invalid(name, "invalid_value", "'" + name + "' must be between " + fmt(min) + " and "
                + fmt(max) + ", got " + fmt(x));
    }

    private static String fmt(double x) {
        return x == Math.rint(x) && Math.abs(x) < 1e15 ? Long.toString((long) x) : Double.toString(x);
    }

    static String describe(JsonNode v) {
        String kind = switch (v.getNodeType()) {
            case STRING -> "string";
            case NUMBER -> "number";
            case BOOLEAN -> "boolean";
            case ARRAY -> "array";
            case OBJECT -> "object";
            default -> v.getNodeType().name().toLowerCase(java.util.Locale.ROOT);
        };
        String text = v.toString();
        return kind + " " + (text.length() > 40 ? text.substring(0, 40) + "…" : text);
    }
}
