package org.distill4j.lm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import java.time.Clock;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.distill4j.util.Json;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/**
 * Each Jinja feature that published templates use and jinjava lacks or parses differently, alone, against what
 * transformers' Jinja environment renders (features.json from tools/fixtures/chat_template_fixtures.py).
 */
class JinjaChatTemplateTest {
    @TestFactory
    Stream<DynamicTest> featuresRenderAsInTransformers() {
        JsonNode fixture = Json.read(Fixtures.path("chat/templates/features.json"));
        Clock clock = Clock.fixed(LocalDateTime.parse(fixture.get("now").asText()).toInstant(ZoneOffset.UTC), ZoneOffset.UTC);
        List<Map<String, Object>> messages = Json.MAPPER.convertValue(fixture.get("messages"), new TypeReference<>() {});
        Map<String, Object> kwargs = Map.of();
        List<DynamicTest> tests = new ArrayList<>();
        fixture.get("features").fields().forEachRemaining(f -> tests.add(DynamicTest.dynamicTest(f.getKey(), () -> {
            JinjaChatTemplate t = new JinjaChatTemplate(f.getValue().get("template").asText(), Map.of(), clock);
            if (f.getValue().has("error")) {
                assertThatThrownBy(() -> t.render(messages, false, kwargs)).hasMessage(f.getValue().get("error").asText());
            } else {
                assertThat(t.render(messages, false, kwargs)).isEqualTo(f.getValue().get("text").asText());
            }
        })));
        return tests.stream();
    }

    @Test
    void aTemplateThatCannotBeRenderedFailsWithItsLine() {
        JinjaChatTemplate t = new JinjaChatTemplate("ok\n{{ messages[0].content.nosuchmethod() }}", Map.of(), Clock.systemUTC());
        assertThatThrownBy(() -> t.render(List.of(Map.of("role", "user", "content", "x")), true, Map.of()))
                .isInstanceOf(JinjaChatTemplate.TemplateException.class).hasMessageContaining("line 2");
    }
}
