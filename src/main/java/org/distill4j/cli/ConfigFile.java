package org.distill4j.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.distill4j.train.RunSettings;
import org.distill4j.util.AtomicFiles;
import org.distill4j.util.Yaml;
import org.distill4j.util.UserError;
import picocli.CommandLine;
import picocli.CommandLine.Model.ArgSpec;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;

/**
 * {@code --config FILE.yaml}: a YAML map whose keys are the verb's long flags without dashes
 * ({@code lr: 3e-4}, {@code batch-size: 16}; {@code batch_size} works too). Flags on the command line
 * win over the file; keys that are no flag of the verb are an error naming the file and the key.
 */
public final class ConfigFile implements CommandLine.IDefaultValueProvider {
    private final Path file;
    private final Map<String, String> values;

    private ConfigFile(Path file, Map<String, String> values) {
        this.file = file;
        this.values = values;
    }

    /** The file named by {@code --config} in {@code args}, or null. */
    static ConfigFile fromArgs(String[] args) {
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            String path = null;
            if (a.equals("--config") && i + 1 < args.length) {
                path = args[i + 1];
            } else if (a.startsWith("--config=")) {
                path = a.substring("--config=".length());
            }
            if (path != null) {
                return read(Path.of(path));
            }
        }
        return null;
    }

    static ConfigFile read(Path file) {
        if (!Files.isRegularFile(file)) {
            throw new UserError(file + ": config file not found");
        }
        JsonNode root;
        try {
            root = Yaml.MAPPER.readTree(file.toFile());
        } catch (IOException e) {
            throw new UserError(file + ": malformed YAML: " + e.getMessage().lines().findFirst().orElse(""));
        }
        Map<String, String> values = new LinkedHashMap<>();
        if (root != null && !root.isNull()) {
            if (!root.isObject()) {
                throw new UserError(file + ": expected a YAML map of flag: value");
            }
            root.fields().forEachRemaining(e -> {
                JsonNode v = e.getValue();
                String text;
                if (v.isArray()) {
                    List<String> parts = new ArrayList<>();
                    v.forEach(x -> parts.add(x.asText()));
                    text = String.join(",", parts);
                } else {
                    text = v.asText();
                }
                values.put(e.getKey().replace('_', '-'), text);
            });
        }
        return new ConfigFile(file, values);
    }

    @Override
    public String defaultValue(ArgSpec arg) {
        if (arg instanceof OptionSpec o) {
            return values.get(o.longestName().replaceFirst("^--", ""));
        }
        return null;
    }

    /** Rejects keys that are not flags of the verb being run. */
    void validate(CommandSpec spec) {
        for (String key : values.keySet()) {
            String hint = RenamedFlags.hint(spec.qualifiedName().replaceFirst("^distill ", ""), key);
            if (hint != null) {
                throw new UserError(file + ": " + hint);
            }
            if (spec.findOption("--" + key) == null || key.equals("config")) {
                throw new UserError(file + ": '" + key + "' is not a flag of '" + spec.qualifiedName() + "'");
            }
        }
    }

    /** Every option value of {@code spec} by long name (the resolved configuration of a run). */
    private static Map<String, Object> resolved(CommandSpec spec) {
        Map<String, Object> out = new LinkedHashMap<>();
        runOptions(spec).forEach((name, v) -> out.put(name,
                v == null ? null : v instanceof Path p ? p.toString() : v instanceof List<?> l ? l.stream().map(String::valueOf).toList() : v));
        return out;
    }

    /** Every option's value by long name, but for --help, --version and --config (which are no part of a run). */
    private static Map<String, Object> runOptions(CommandSpec spec) {
        Map<String, Object> out = new LinkedHashMap<>();
        for (OptionSpec o : spec.options()) {
            String name = o.longestName().replaceFirst("^--", "");
            if (!o.usageHelp() && !o.versionHelp() && !name.equals("config")) {
                out.put(name, o.getValue());
            }
        }
        return out;
    }

    /** Flags that change nothing a run computes or writes, so a resume may change them. */
    private static final java.util.Set<String> NOT_SETTINGS = java.util.Set.of("resume", "verbose");

    /**
     * The run's settings as a resume compares them: every flag's value (paths made absolute, so that a resume
     * from another directory is judged by the files it names) except --resume and --verbose.
     */
    static RunSettings settings(CommandSpec spec) {
        Map<String, String> values = new LinkedHashMap<>();
        runOptions(spec).forEach((name, v) -> {
            if (v != null && !NOT_SETTINGS.contains(name)) {
                values.put(name, v instanceof Path p ? p.toAbsolutePath().normalize().toString()
                        : v instanceof List<?> l ? String.join(",", l.stream().map(String::valueOf).toList()) : String.valueOf(v));
            }
        });
        return new RunSettings(values);
    }

    /**
     * The settings of a training verb, checked against the checkpoint in {@code out} when resuming (before the run
     * writes anything), then its config.yaml written.
     */
    static RunSettings startRun(CommandSpec spec, Path out, boolean resume) {
        RunSettings settings = settings(spec);
        if (resume) {
            settings.checkResume(out);
        }
        writeResolved(spec, out.resolve("config.yaml"));
        return settings;
    }

    /** Writes every option value of {@code spec} as YAML (the resolved configuration of a run). */
    static void writeResolved(CommandSpec spec, Path target) {
        try {
            String yaml = Yaml.MAPPER.writeValueAsString(resolved(spec));
            AtomicFiles.writeString(target, yaml);
        } catch (IOException e) {
            throw new UserError(target + ": cannot write: " + e.getMessage(), e);
        }
    }
}
