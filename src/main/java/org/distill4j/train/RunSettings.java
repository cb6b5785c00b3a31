package org.distill4j.train;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeSet;
import org.distill4j.lm.Checkpoint;
import org.distill4j.util.Json;
import org.distill4j.util.UserError;

/**
 * The settings a training run was started with, by flag name (every flag that can change what it
 * computes or logs), saved in each of its checkpoints. A resume with any other value is refused before
 * anything is written, naming the setting: a silently changed learning rate or batch size would give a
 * run that neither the old nor the new settings describe.
 */
public record RunSettings(Map<String, String> values) {
    /** The state key under which trainers save the settings. */
    public static final String STATE_KEY = "settings";

    public RunSettings {
        values = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(values));
    }

    /** A tree: the keys are the flags of whichever verb runs, an open set. */
    public ObjectNode toJson() {
        ObjectNode o = Json.object();
        values.forEach(o::put);
        return o;
    }

    /**
     * Refuses to resume the run in {@code outDir} when its checkpoint was written with other settings (a
     * checkpoint from before settings were saved is not checked). Reads only; call it before the run writes
     * anything (config.yaml, data, caches).
     */
    public void checkResume(Path outDir) {
        Path state = Checkpoint.recover(outDir.resolve(Trainer.CHECKPOINT_DIR)).resolve(Trainer.STATE_FILE);
        if (Files.isRegularFile(state)) {
            check(Json.read(state).get(STATE_KEY), state);
        }
    }

    /** Refuses saved settings that differ from these (null: nothing saved, nothing to check). */
    private void check(JsonNode saved, Path where) {
        if (saved == null || !saved.isObject()) {
            return;
        }
        TreeSet<String> names = new TreeSet<>(values.keySet());
        saved.fieldNames().forEachRemaining(names::add);
        for (String name : names) {
            String before = saved.has(name) && !saved.get(name).isNull() ? saved.get(name).asText() : null;
            String now = values.get(name);
            if (!java.util.Objects.equals(before, now)) {
                throw new UserError(where.getParent().getParent() + ": cannot resume with a changed setting: --" + name + " " + shown(before)
                        + " → " + shown(now) + " (resume with the run's settings, see its config.yaml, or choose another --out)");
            }
        }
    }

    private static String shown(String v) {
        return v == null ? "(not set)" : v;
    }
}
