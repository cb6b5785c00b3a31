package org.distill4j.serve;

/**
 * A request the server refuses, answered with an HTTP status and OpenAI's error object
 * {@code {"error": {"message", "type", "param", "code"}}} so that OpenAI client libraries report it as
 * they would a hosted API's.
 */
public final class ApiError extends RuntimeException {
    private final int status;
    private final String type;
    private final String param;
    private final String code;

    public ApiError(int status, String type, String param, String code, String message) {
        super(message);
        this.status = status;
        this.type = type;
        this.param = param;
        this.code = code;
    }

    /** 400: a field is missing, of the wrong type or out of range. */
    public static ApiError invalid(String param, String code, String message) {
        return new ApiError(400, "invalid_request_error", param, code, message);
    }

    public static ApiError unsupported(String param, String message) {
        return invalid(param, "unsupported_parameter", message);
    }

    public int status() {
        return status;
    }

    public String type() {
        return type;
    }

    public String param() {
        return param;
    }

    public String code() {
        return code;
    }

    /** OpenAI's error body; every field is written, null included. */
    public record Body(Detail error) {}

    public record Detail(String message, String type, String param, String code) {}

    public Body toJson() {
        return new Body(new Detail(getMessage(), type, param, code));
    }
}
