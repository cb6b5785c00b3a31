package org.distill4j.openai;

import java.net.URI;
import java.time.Duration;

/**
 * How {@link OpenAiClient} talks to an endpoint.
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
public record EndpointSettings(URI endpoint, String model, boolean chat, String apiKey, Double temperature,
                              Integer maxTokens, int concurrency, double maxRequestsPerMinute,
                              int maxSamplesPerRequest, Duration requestTimeout, RetryPolicy retry) {
    public EndpointSettings {
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
    public static EndpointSettings of(URI endpoint, String model) {
        return new EndpointSettings(endpoint, model, false, null, null, null, 8, 0, 0, Duration.ofSeconds(60),
                RetryPolicy.DEFAULT);
    }

    public EndpointSettings withChat(boolean useChat) {
        return new EndpointSettings(endpoint, model, useChat, apiKey, temperature, maxTokens, concurrency,
                maxRequestsPerMinute, maxSamplesPerRequest, requestTimeout, retry);
    }

    public EndpointSettings withApiKey(String key) {
        return new EndpointSettings(endpoint, model, chat, key, temperature, maxTokens, concurrency,
                maxRequestsPerMinute, maxSamplesPerRequest, requestTimeout, retry);
    }

    public EndpointSettings withSampling(Double newTemperature, Integer newMaxTokens) {
        return new EndpointSettings(endpoint, model, chat, apiKey, newTemperature, newMaxTokens, concurrency,
                maxRequestsPerMinute, maxSamplesPerRequest, requestTimeout, retry);
    }

    public EndpointSettings withConcurrency(int newConcurrency, double newMaxRequestsPerMinute) {
        return new EndpointSettings(endpoint, model, chat, apiKey, temperature, maxTokens, newConcurrency,
                newMaxRequestsPerMinute, maxSamplesPerRequest, requestTimeout, retry);
    }

    public EndpointSettings withMaxSamplesPerRequest(int max) {
        return new EndpointSettings(endpoint, model, chat, apiKey, temperature, maxTokens, concurrency,
                maxRequestsPerMinute, max, requestTimeout, retry);
    }

    public EndpointSettings withTimeouts(Duration newTimeout, RetryPolicy newRetry) {
        return new EndpointSettings(endpoint, model, chat, apiKey, temperature, maxTokens, concurrency,
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
