package org.distill4j.lm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.distill4j.util.Json;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * Real chat templates of ten families (fixtures/chat/templates, sources.json names where each was published)
 * render exactly what transformers' apply_chat_template renders (cases.json, from tools/fixtures/chat_template_fixtures.py),
 * including the errors the templates raise.
 */
class ChatTemplateParityTest {
    @TestFactory
    Stream<DynamicTest> everyTemplateMatchesTransformers() throws Exception {
        Path dir = Fixtures.path("chat/templates");
        JsonNode cases = Json.read(dir.resolve("cases.json"));
        JsonNode sources = Json.read(dir.resolve("sources.json"));
        Clock clock = Clock.fixed(LocalDateTime.parse(cases.get("now").asText()).toInstant(ZoneOffset.UTC), ZoneOffset.UTC);
        assertThat(sources.size()).isGreaterThanOrEqualTo(8);
        List<DynamicTest> tests = new ArrayList<>();
        for (var it = sources.fields(); it.hasNext(); ) {
            var source = it.next();
            String name = source.getKey();
            Map<String, String> specials = new HashMap<>();
            specials.put("bos_token", source.getValue().path("bos_token").textValue());
            specials.put("eos_token", source.getValue().path("eos_token").textValue());
            JinjaChatTemplate template = new JinjaChatTemplate(Files.readString(dir.resolve(name + ".jinja")), specials, clock);
            for (JsonNode row : cases.get("templates").get(name)) {
                List<Map<String, Object>> messages = Json.MAPPER.convertValue(
                        cases.get("conversations").get(row.get("conversation").asText()), new TypeReference<>() {});
                Map<String, Object> kwargs = Json.MAPPER.convertValue(row.get("kwargs"), new TypeReference<>() {});
                boolean generation = row.get("add_generation_prompt").asBoolean();
                tests.add(DynamicTest.dynamicTest(name + " " + row.get("conversation").asText() + " gen=" + generation + " " + kwargs, () -> {
                    if (row.has("error")) {
                        assertThatThrownBy(() -> template.render(messages, generation, kwargs))
                                .isInstanceOf(JinjaChatTemplate.TemplateException.class)
                                .hasMessage(row.get("error").asText());
                    } else {
                        assertThat(template.render(messages, generation, kwargs)).isEqualTo(row.get("text").asText());
                    }
                }));
            }
        }
        return tests.stream();
    }
}
