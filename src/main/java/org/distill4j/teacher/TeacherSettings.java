package org.distill4j.teacher;

import java.net.URI;
import java.time.Duration;

/**
 * How {@link OpenAiTeacher} talks to an endpoint.
 *
 * @param endpoint              base URL, e.g. {@code http://127.0.0.1:8000/v1} ("/completions" or
 *                              "/chat/completions" is appended)
 * @param model                 the "model" field of each request
 * @param chat                  use the chat endpoint (a text prompt becomes one user message)
 * @param apiKey                sent as {@code Authorization: Bearer ...}; null for none
 * @param temperature           null: the server's default
 * @param maxTokens             null: the server's default
 * @param concurrency           requests in flight at once
 * @param maxRequestsPerMinute  attempts started per minute across all threads; <= 0: unlimited
 * @param maxSamplesPerRequest  samples of one prompt asked for in one request (the "n" field); 0: all
 *                              missing samples of a prompt in one request (its prompt tokens are paid once)
 * @param requestTimeout        whole-attempt limit, headers and body; a slower reply is abandoned and retried
 * @param retry                 backoff and attempt limits
 */
public record TeacherSettings(URI endpoint, String model, boolean chat, String apiKey, Double temperature,
                              Integer maxTokens, int concurrency, double maxRequestsPerMinute,
                              int maxSamplesPerRequest, Duration requestTimeout, RetryPolicy retry) {
    public TeacherSettings {
        if (concurrency < 1) {
            throw new IllegalArgumentException("concurrency must be >= 1, got " + concurrency);
        }
        if (maxSamplesPerRequest < 0) {
            throw new IllegalArgumentException("max samples per request must be >= 0, got " + maxSamplesPerRequest);
        }
        if (requestTimeout.isNegative() || requestTimeout.isZero()) {
            throw new IllegalArgumentException("the request timeout must be positive");
        }
        if (model == null || model.isBlank()) {
            throw new IllegalArgumentException("the model name is empty");
        }
    }

    /** Completions endpoint, 8 concurrent requests, no rate limit, 60 s timeout, default retries. */
    public static TeacherSettings of(URI endpoint, String model) {
        return new TeacherSettings(endpoint, model, false, null, null, null, 8, 0, 0, Duration.ofSeconds(60),
                RetryPolicy.DEFAULT);
    }

    public TeacherSettings withChat(boolean useChat) {
        return new TeacherSettings(endpoint, model, useChat, apiKey, temperature, maxTokens, concurrency,
                maxRequestsPerMinute, maxSamplesPerRequest, requestTimeout, retry);
    }

    public TeacherSettings withApiKey(String key) {
        return new TeacherSettings(endpoint, model, chat, key, temperature, maxTokens, concurrency,
                maxRequestsPerMinute, maxSamplesPerRequest, requestTimeout, retry);
    }

    public TeacherSettings withSampling(Double newTemperature, Integer newMaxTokens) {
        return new TeacherSettings(endpoint, model, chat, apiKey, newTemperature, newMaxTokens, concurrency,
                maxRequestsPerMinute, maxSamplesPerRequest, requestTimeout, retry);
    }

    public TeacherSettings withConcurrency(int newConcurrency, double newMaxRequestsPerMinute) {
        return new TeacherSettings(endpoint, model, chat, apiKey, temperature, maxTokens, newConcurrency,
                newMaxRequestsPerMinute, maxSamplesPerRequest, requestTimeout, retry);
    }

    public TeacherSettings withMaxSamplesPerRequest(int max) {
        return new TeacherSettings(endpoint, model, chat, apiKey, temperature, maxTokens, concurrency,
                maxRequestsPerMinute, max, requestTimeout, retry);
    }

    public TeacherSettings withTimeouts(Duration newTimeout, RetryPolicy newRetry) {
        return new TeacherSettings(endpoint, model, chat, apiKey, temperature, maxTokens, concurrency,
                maxRequestsPerMinute, maxSamplesPerRequest, newTimeout, newRetry);
    }

    /** The URL requests go to. A base given with the endpoint path already on it is accepted too. */
    URI requestUri() {
        String base = endpoint.toString().replaceAll("/+$", "");
        for (String suffix : new String[] {"/chat/completions", "/completions"}) {
            if (base.endsWith(suffix)) {
                base = base.substring(0, base.length() - suffix.length());
            }
        }
        return URI.create(base + (chat ? "/chat/completions" : "/completions"));
    }
}
