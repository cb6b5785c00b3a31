package org.distill4j.serve;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.core.http.StreamResponse;
import com.openai.errors.BadRequestException;
import com.openai.errors.NotFoundException;
import com.openai.errors.OpenAIServiceException;
import com.openai.errors.RateLimitException;
import com.openai.errors.UnauthorizedException;
import com.openai.errors.UnexpectedStatusCodeException;
import com.openai.models.chat.completions.ChatCompletion;
import com.openai.models.chat.completions.ChatCompletionChunk;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import com.openai.models.completions.Completion;
import com.openai.models.completions.CompletionChoice;
import com.openai.models.completions.CompletionCreateParams;
import com.openai.models.chat.completions.ChatCompletionStreamOptions;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The official OpenAI Java SDK drives the server: requests, streams and its error types. (The SDK marks chat's
 * {@code seed} deprecated, as OpenAI's API does; this server honours it, so the tests use it.)
 */
@Timeout(120)
@SuppressWarnings("deprecation")
class OpenAiSdkTest {
    static final String KEY = "sk-sdk";
    /** Small enough that a request of 8 rows is over it: 429. */
    static final int MAX_WAITING_ROWS = 6;
    static final int MAX_BODY = 2048;

    @TempDir
    static Path tmp;
    static TinyServer tiny;
    static OpenAIClient client;

    @BeforeAll
    static void start() throws Exception {
        tiny = TinyServer.start(tmp.resolve("tiny"), c -> c.withApiKey(KEY).withMaxBodyBytes(MAX_BODY)
                .withLimits(new ServeConfig.Limits(10_000, 30_000, 60_000, 256, MAX_WAITING_ROWS)));
        client = sdk(KEY);
    }

    @AfterAll
    static void stop() {
        client.close();
        tiny.close();
    }

    static OpenAIClient sdk(String key) {
        // no retries: a 429 must reach the test, not be retried away
        return OpenAIOkHttpClient.builder().baseUrl(tiny.server.baseUri().toString()).apiKey(key).maxRetries(0).build();
    }

    static CompletionCreateParams.Builder completion() {
        return CompletionCreateParams.builder().model("tiny").prompt("a b c");
    }

    static ChatCompletionCreateParams.Builder chat() {
        return ChatCompletionCreateParams.builder().model("tiny").addUserMessage("a b");
    }

    @Test
    void completionsWithNSeedLogprobsAndStop() {
        Completion c = client.completions().create(completion().n(3).seed(7).maxTokens(10).logprobs(2).build());
        assertThat(c.choices()).hasSize(3);
        for (CompletionChoice choice : c.choices()) {
            var lp = choice.logprobs().orElseThrow();
            assertThat(lp.tokens().orElseThrow()).isNotEmpty();
            assertThat(lp.tokenLogprobs().orElseThrow()).allSatisfy(v -> assertThat(v).isNegative());
            assertThat(lp.topLogprobs().orElseThrow()).hasSameSizeAs(lp.tokens().orElseThrow());
        }
        Completion again = client.completions().create(completion().n(3).seed(7).maxTokens(10).logprobs(2).build());
        assertThat(again.choices()).extracting(CompletionChoice::text)
                .containsExactlyElementsOf(c.choices().stream().map(CompletionChoice::text).toList());

        String text = c.choices().get(0).text().strip();
        String[] words = text.split(" ");
        if (words.length >= 2) { // a stop string taken from a seeded sample ends the same sample there
            Completion stopped = client.completions().create(completion().n(3).seed(7).maxTokens(10).stop(" " + words[1]).build());
            assertThat(stopped.choices().get(0).text()).doesNotContain(" " + words[1]);
            assertThat(stopped.choices().get(0).finishReason()).isEqualTo(CompletionChoice.FinishReason.STOP);
        }
    }

    @Test
    void chatWithTopLogprobs() {
        ChatCompletion c = client.chat().completions().create(chat().n(2).seed(5).maxCompletionTokens(6)
                .logprobs(true).topLogprobs(3).build());
        assertThat(c.choices()).hasSize(2);
        for (ChatCompletion.Choice choice : c.choices()) {
            assertThat(choice.message().content()).isPresent();
            var content = choice.logprobs().orElseThrow().content().orElseThrow();
            assertThat(content).isNotEmpty().allSatisfy(t -> assertThat(t.topLogprobs()).hasSize(3));
        }
        assertThat(c.usage().orElseThrow().completionTokens()).isPositive();
    }

    @Test
    void streamedChatAddsUpToTheWholeAnswer() {
        ChatCompletion whole = client.chat().completions().create(chat().n(2).seed(9).maxCompletionTokens(8).build());
        // stream_options only with a stream, as OpenAI has it
        ChatCompletionCreateParams params = chat().n(2).seed(9).maxCompletionTokens(8)
                .streamOptions(ChatCompletionStreamOptions.builder().includeUsage(true).build()).build();
        Map<Long, StringBuilder> text = new HashMap<>();
        List<String> finishes = new ArrayList<>();
        long[] usage = {-1};
        try (StreamResponse<ChatCompletionChunk> stream = client.chat().completions().createStreaming(params)) {
            stream.stream().forEach(chunk -> {
                for (ChatCompletionChunk.Choice choice : chunk.choices()) {
                    choice.delta().content().ifPresent(t -> text.computeIfAbsent(choice.index(), k -> new StringBuilder()).append(t));
                    choice.finishReason().ifPresent(f -> finishes.add(f.asString()));
                }
                chunk.usage().ifPresent(u -> usage[0] = u.completionTokens());
            });
        }
        for (ChatCompletion.Choice choice : whole.choices()) {
            assertThat(text.get(choice.index()).toString()).isEqualTo(choice.message().content().orElseThrow());
        }
        assertThat(finishes).hasSize(2);
        assertThat(usage[0]).isEqualTo(whole.usage().orElseThrow().completionTokens());
    }

    @Test
    void streamedCompletionsCarryLogprobsPerChunk() {
        CompletionCreateParams params = completion().n(2).seed(3).maxTokens(6).logprobs(1).build();
        Completion whole = client.completions().create(params);
        Map<Long, StringBuilder> text = new HashMap<>();
        Map<Long, Integer> tokens = new HashMap<>();
        try (StreamResponse<Completion> stream = client.completions().createStreaming(params)) {
            stream.stream().forEach(chunk -> {
                for (CompletionChoice choice : chunk.choices()) {
                    text.computeIfAbsent(choice.index(), k -> new StringBuilder()).append(choice.text());
                    tokens.merge(choice.index(), choice.logprobs().orElseThrow().tokens().orElseThrow().size(), Integer::sum);
                }
            });
        }
        for (CompletionChoice choice : whole.choices()) {
            assertThat(text.get(choice.index()).toString()).isEqualTo(choice.text());
            assertThat(tokens.get(choice.index())).isEqualTo(choice.logprobs().orElseThrow().tokens().orElseThrow().size());
        }
    }

    @Test
    void errorsArriveAsTheSdksTypes() {
        assertThatThrownBy(() -> client.completions().create(completion().temperature(5.0).build()))
                .isInstanceOf(BadRequestException.class)
                .satisfies(e -> assertThat(((OpenAIServiceException) e).param()).contains("temperature"));
        OpenAIClient wrongKey = sdk("sk-wrong");
        try {
            assertThatThrownBy(() -> wrongKey.completions().create(completion().build()))
                    .isInstanceOf(UnauthorizedException.class)
                    .satisfies(e -> assertThat(((OpenAIServiceException) e).code()).contains("invalid_api_key"));
        } finally {
            wrongKey.close();
        }
        assertThatThrownBy(() -> client.completions().create(completion().model("gpt-nothing").build()))
                .isInstanceOf(NotFoundException.class)
                .satisfies(e -> assertThat(((OpenAIServiceException) e).code()).contains("model_not_found"));
        assertThatThrownBy(() -> client.completions().create(completion().prompt("a ".repeat(MAX_BODY)).build()))
                .isInstanceOf(UnexpectedStatusCodeException.class)
                .satisfies(e -> assertThat(((OpenAIServiceException) e).statusCode()).isEqualTo(413))
                .satisfies(e -> assertThat(((OpenAIServiceException) e).code()).contains("request_too_large"));
        assertThatThrownBy(() -> client.completions().create(completion().n(MAX_WAITING_ROWS + 2).build()))
                .isInstanceOf(RateLimitException.class)
                .satisfies(e -> assertThat(((OpenAIServiceException) e).headers().values("Retry-After")).containsExactly("1"));
    }
}
