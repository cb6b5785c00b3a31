package org.distill4j.experiment;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
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

/**
 * The lab's files in its run directory's data/, each written once and read by every job that needs it (whichever
 * worker runs it): prompt/response pairs, the teacher's offline draws of a seed, the validation samples and the
 * shared step-0 evaluation.
 */
final class LabFiles {
    private LabFiles() {}

    /** One teacher draw per (prompt, generation), with the temperature it was drawn at. */
    static void writeDraws(Path file, List<Sample> draws, double temperature) {
        List<ObjectNode> rows = new ArrayList<>();
        for (Sample d : draws) {
            ObjectNode r = Json.object();
            r.put("prompt_index", d.promptIndex());
            r.put("sample", d.sampleIndex());
            r.put("temperature", temperature);
            putIds(r, "response_ids", d.tokens());
            rows.add(r);
        }
        Jsonl.write(file, rows);
    }

    /** Draws by prompt, then generation; null when the file lacks some of the P × G needed or was drawn at another temperature. */
    static long[][][] readDraws(Path file, int prompts, int generations, double temperature) {
        long[][][] out = new long[prompts][generations][];
        for (Jsonl.Line l : Jsonl.read(file)) {
            if (l.value().path("temperature").asDouble(1.0) != temperature) {
                return null;
            }
            int p = l.value().path("prompt_index").asInt(-1);
            int g = l.value().path("sample").asInt(-1);
            if (p >= 0 && p < prompts && g >= 0 && g < generations) {
                out[p][g] = ids(l.value().get("response_ids"));
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
        List<ObjectNode> rows = new ArrayList<>();
        for (int i = 0; i < samples.prompts().size(); i++) {
            ObjectNode r = Json.object();
            putIds(r, "prompt_ids", samples.prompts().get(i));
            putIds(r, "oracle_ids", samples.oracle().get(i));
            putIds(r, "teacher_ids", samples.teacher().get(i));
            rows.add(r);
        }
        Jsonl.write(file, rows);
    }

    static ProxyGoldenEvaluator.Samples readValidation(Path file) {
        List<long[]> prompts = new ArrayList<>();
        List<long[]> oracle = new ArrayList<>();
        List<long[]> teacher = new ArrayList<>();
        for (Jsonl.Line l : Jsonl.read(file)) {
            prompts.add(ids(l.value().get("prompt_ids")));
            oracle.add(ids(l.value().get("oracle_ids")));
            teacher.add(ids(l.value().get("teacher_ids")));
        }
        return new ProxyGoldenEvaluator.Samples(prompts, oracle, teacher);
    }

    /** A metrics map (the step-0 evaluation) as one JSON object. */
    static void writeMetrics(Path file, Map<String, Double> metrics) {
        ObjectNode o = Json.object();
        metrics.forEach(o::put);
        Json.write(file, o);
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

    private static void putIds(ObjectNode r, String field, long[] ids) {
        var a = r.putArray(field);
        for (long t : ids) {
            a.add(t);
        }
    }

    private static long[] ids(JsonNode a) {
        long[] out = new long[a.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = a.get(i).asLong();
        }
        return out;
    }

    static void writePairs(Path file, List<String[]> pairs) {
        List<ObjectNode> rows = new ArrayList<>();
        for (String[] p : pairs) {
            ObjectNode r = Json.object();
            r.put("prompt", p[0]);
            r.put("response", p[1]);
            rows.add(r);
        }
        Jsonl.write(file, rows);
    }

    static List<String[]> readPairs(Path file) {
        List<String[]> out = new ArrayList<>();
        for (Jsonl.Line l : Jsonl.read(file)) {
            out.add(new String[] {l.text(file, "prompt"), l.text(file, "response")});
        }
        return out;
    }
}
