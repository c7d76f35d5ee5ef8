package dev.iris.http;

import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.core.JsonValue;
import com.openai.core.http.StreamResponse;
import com.openai.errors.BadRequestException;
import com.openai.errors.OpenAIServiceException;
import com.openai.errors.UnauthorizedException;
import com.openai.models.chat.completions.ChatCompletion;
import com.openai.models.chat.completions.ChatCompletionChunk;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import com.openai.models.chat.completions.ChatCompletionStreamOptions;
import com.openai.models.chat.completions.ChatCompletionTokenLogprob;
import dev.iris.runtime.engine.EngineOptions;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The official OpenAI Java SDK against the server (text prompts; image parts need a vision family,
 * #7): what a client gets back must parse into the SDK's types with the reference tokens, and
 * every refusal must surface as the SDK's typed exception with the contract's status, type and message.
 */
class OpenAiJavaClientTest {

    private static TestServer s;
    private static OpenAIClient client;

    @BeforeAll
    static void start() throws IOException {
        s = new TestServer(ServerOptions.DEFAULTS.withApiKey("sk-iris"), new EngineOptions(4, 2048, 0, true, 16, 64));
        client = OpenAIOkHttpClient.builder().baseUrl(s.uri("/v1").toString()).apiKey("sk-iris").maxRetries(0).build();
    }

    @AfterAll
    static void stop() throws IOException {
        client.close();
        s.close();
    }

    private static String goldenUserText() {
        return s.golden.get("messages_openai").get(0).get("content").isTextual()
                ? s.golden.get("messages_openai").get(0).get("content").asText()
                : s.golden.get("messages_openai").get(0).get("content").get(0).get("text").asText();
    }

    private static ChatCompletionCreateParams.Builder greedy() {
        return ChatCompletionCreateParams.builder().model("default").addUserMessage(goldenUserText())
                .temperature(0.0).maxCompletionTokens(8)
                .putAdditionalBodyProperty("ignore_eos", JsonValue.from(true));
    }

    private static String goldenText() {
        return s.loaded.tokenizer().decode(s.goldenTokens(), true);
    }

    @Test
    void aChatCompletionParsesIntoTheSdkTypesWithTheReferenceText() {
        ChatCompletion c = client.chat().completions().create(greedy().build());
        assertEquals(goldenText(), c.choices().getFirst().message().content().orElseThrow());
        assertEquals(ChatCompletion.Choice.FinishReason.LENGTH, c.choices().getFirst().finishReason());
        assertEquals(71, c.usage().orElseThrow().promptTokens());
        assertEquals(8, c.usage().orElseThrow().completionTokens());
        assertEquals("default", c.model());
    }

    @Test
    void aStreamOfTwoChoicesWithUsageAddsUpToTheNonStreamedAnswer() {
        ChatCompletionCreateParams p = greedy().n(2)
                .streamOptions(ChatCompletionStreamOptions.builder().includeUsage(true).build()).build();
        StringBuilder[] text = {new StringBuilder(), new StringBuilder()};
        List<ChatCompletionChunk> usage = new ArrayList<>();
        try (StreamResponse<ChatCompletionChunk> stream = client.chat().completions().createStreaming(p)) {
            stream.stream().forEach(chunk -> {
                chunk.choices().forEach(ch -> ch.delta().content().ifPresent(t -> text[(int) ch.index()].append(t)));
                if (chunk.usage().isPresent()) {
                    usage.add(chunk);
                }
            });
        }
        assertEquals(goldenText(), text[0].toString());
        assertEquals(goldenText(), text[1].toString());
        assertEquals(1, usage.size());
        assertEquals(16, usage.getFirst().usage().orElseThrow().completionTokens());
    }

    @Test
    void logprobsAndStopStringsComeThroughTheSdk() {
        ChatCompletion c = client.chat().completions().create(greedy().logprobs(true).topLogprobs(2).build());
        List<ChatCompletionTokenLogprob> content = c.choices().getFirst().logprobs().orElseThrow().content().orElseThrow();
        assertEquals(8, content.size());
        content.forEach(t -> assertEquals(2, t.topLogprobs().size()));
        String stop = goldenText().substring(3, 5);
        ChatCompletion stopped = client.chat().completions().create(greedy().stop(stop).build());
        assertEquals(goldenText().substring(0, goldenText().indexOf(stop)),
                stopped.choices().getFirst().message().content().orElseThrow());
        assertEquals(ChatCompletion.Choice.FinishReason.STOP, stopped.choices().getFirst().finishReason());
    }

    @Test
    void refusalsArriveAsTypedExceptionsWithStatusTypeAndMessage() {
        BadRequestException temperature = assertThrows(BadRequestException.class,
                () -> client.chat().completions().create(greedy().temperature(-1.0).build()));
        assertEquals(400, temperature.statusCode());
        assertEquals("BadRequestError", temperature.type().orElseThrow());
        assertTrue(temperature.getMessage().contains("temperature must be non-negative, got -1.0."), temperature.getMessage());

        BadRequestException part = assertThrows(BadRequestException.class, () -> client.chat().completions().create(
                greedy().putAdditionalBodyProperty("messages", JsonValue.from(List.of(java.util.Map.of("role", "user",
                        "content", List.of(java.util.Map.of("type", "video_url")))))).build()));
        assertTrue(part.getMessage().contains("Unknown content part type: video_url"), part.getMessage());

        String tooLong = "word ".repeat(40_000);
        BadRequestException length = assertThrows(BadRequestException.class, () -> client.chat().completions().create(
                ChatCompletionCreateParams.builder().model("m").addUserMessage(tooLong).build()));
        assertTrue(length.getMessage().contains("is longer than the model's context length (32768 tokens)"), length.getMessage());

        OpenAIClient wrongKey = OpenAIOkHttpClient.builder().baseUrl(s.uri("/v1").toString()).apiKey("sk-wrong")
                .maxRetries(0).build();
        try {
            OpenAIServiceException auth = assertThrows(UnauthorizedException.class,
                    () -> wrongKey.chat().completions().create(greedy().build()));
            assertEquals(401, auth.statusCode());
        } finally {
            wrongKey.close();
        }
    }

    /** What the SDK's structured outputs read an answer into: its JSON Schema comes from this record. */
    record Verdict(boolean approved, Level level, int score) {
        enum Level { LOW, MEDIUM, HIGH }
    }

    @Test
    void theSdksStructuredOutputsReadTheAnswerIntoARecord() {
        var params = ChatCompletionCreateParams.builder().model("default").addUserMessage("Rate this.")
                .temperature(1.0).seed(5L).maxCompletionTokens(300).responseFormat(Verdict.class).build();
        var completion = client.chat().completions().create(params);
        var choice = completion.choices().getFirst();
        assertEquals(ChatCompletion.Choice.FinishReason.STOP, choice.finishReason());
        Verdict v = choice.message().content().orElseThrow(); // the SDK parsed the JSON into the record
        assertTrue(List.of(Verdict.Level.values()).contains(v.level()), v.toString());
    }
}
