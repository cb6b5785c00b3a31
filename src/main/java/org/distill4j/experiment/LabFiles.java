package org.distill4j.experiment;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.distill4j.eval.ProxyGoldenEvaluator;
import org.distill4j.generate.Sample;
import org.distill4j.util.Json;
import org.distill4j.util.Jsonl;
import org.distill4j.util.UserError;

/**
 * The lab's files in its run directory's data/, each written once and read by every job that needs it (whichever
 * worker runs it): prompt/response pairs, the teacher's offline draws of a seed, the validation samples and the
 * shared step-0 evaluation. Each line of a JSONL file is one of the records below.
 */
final class LabFiles {
    private LabFiles() {}

    /** One teacher draw: generation {@code sample} of prompt {@code promptIndex}, drawn at {@code temperature} (absent: 1). */
    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    record Draw(int promptIndex, int sample, Double temperature, long[] responseIds) {}

    /** The fixed samples of one validation prompt. */
    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    record ValidationRow(long[] promptIds, long[] oracleIds, long[] teacherIds) {}

    /** A prompt and its response (the grammar samples, the oracle dataset). */
    record Pair(String prompt, String response) {}

    /** One teacher draw per (prompt, generation), with the temperature it was drawn at. */
    static void writeDraws(Path file, List<Sample> draws, double temperature) {
        writeRows(file, draws.stream().map(d -> new Draw(d.promptIndex(), d.sampleIndex(), temperature, d.tokens())).toList());
    }

    /** Draws by prompt, then generation; null when the file lacks some of the P × G needed or was drawn at another temperature. */
    static long[][][] readDraws(Path file, int prompts, int generations, double temperature) {
        long[][][] out = new long[prompts][generations][];
        for (Jsonl.Line l : Jsonl.read(file)) {
            Draw d = row(file, l, Draw.class);
            if ((d.temperature() == null ? 1.0 : d.temperature()) != temperature) {
                return null;
            }
            int p = d.promptIndex();
            int g = d.sample();
            if (p >= 0 && p < prompts && g >= 0 && g < generations && d.responseIds() != null) {
                out[p][g] = d.responseIds();
            }
        }
        for (long[][] row : out) {
            for (long[] y : row) {
                if (y == null) {
                    return null;
                }
            }
        }
        return out;
    }

    static void writeValidation(Path file, ProxyGoldenEvaluator.Samples samples) {
        List<ValidationRow> rows = new ArrayList<>();
        for (int i = 0; i < samples.prompts().size(); i++) {
            rows.add(new ValidationRow(samples.prompts().get(i), samples.oracle().get(i), samples.teacher().get(i)));
        }
        writeRows(file, rows);
    }

    static ProxyGoldenEvaluator.Samples readValidation(Path file) {
        List<long[]> prompts = new ArrayList<>();
        List<long[]> oracle = new ArrayList<>();
        List<long[]> teacher = new ArrayList<>();
        for (Jsonl.Line l : Jsonl.read(file)) {
            ValidationRow r = row(file, l, ValidationRow.class);
            if (r.promptIds() == null || r.oracleIds() == null || r.teacherIds() == null) {
                throw new UserError(file + ":" + l.number() + ": needs prompt_ids, oracle_ids and teacher_ids");
            }
            prompts.add(r.promptIds());
            oracle.add(r.oracleIds());
            teacher.add(r.teacherIds());
        }
        return new ProxyGoldenEvaluator.Samples(prompts, oracle, teacher);
    }

    /** A metrics map (the step-0 evaluation) as one JSON object. */
    static void writeMetrics(Path file, Map<String, Double> metrics) {
        Json.write(file, metrics);
    }

    /** The metrics map written by {@link #writeMetrics}, or null when the file is missing. */
    static Map<String, Double> readMetrics(Path file) {
        if (!Files.exists(file)) {
            return null;
        }
        Map<String, Double> out = new LinkedHashMap<>();
        Json.read(file).fields().forEachRemaining(e -> out.put(e.getKey(), e.getValue().asDouble()));
        return out;
    }

    static void writePairs(Path file, List<String[]> pairs) {
        writeRows(file, pairs.stream().map(p -> new Pair(p[0], p[1])).toList());
    }

    static List<String[]> readPairs(Path file) {
        List<String[]> out = new ArrayList<>();
        for (Jsonl.Line l : Jsonl.read(file)) {
            out.add(new String[] {l.text(file, "prompt"), l.text(file, "response")});
        }
        return out;
    }

    /** Records as JSON Lines (through trees: util.Jsonl writes JSON nodes). */
    private static void writeRows(Path file, List<?> rows) {
        List<JsonNode> nodes = new ArrayList<>(rows.size());
        for (Object r : rows) {
            nodes.add(Json.MAPPER.valueToTree(r));
        }
        Jsonl.write(file, nodes);
    }

    private static <T> T row(Path file, Jsonl.Line l, Class<T> type) {
        try {
            return Json.MAPPER.treeToValue(l.value(), type);
        } catch (JsonProcessingException e) {
            throw new UserError(file + ":" + l.number() + ": " + e.getOriginalMessage());
        }
    }
}
