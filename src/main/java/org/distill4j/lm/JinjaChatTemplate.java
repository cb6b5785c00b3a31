package org.distill4j.lm;

import com.hubspot.jinjava.Jinjava;
import com.hubspot.jinjava.JinjavaConfig;
import com.hubspot.jinjava.LegacyOverrides;
import com.hubspot.jinjava.el.JinjavaInterpreterResolver;
import com.hubspot.jinjava.interpret.JinjavaInterpreter;
import com.hubspot.jinjava.interpret.RenderResult;
import com.hubspot.jinjava.interpret.TemplateError;
import com.hubspot.jinjava.lib.filter.Filter;
import com.hubspot.jinjava.lib.fn.ELFunctionDefinition;
import java.time.Clock;
import java.time.LocalDateTime;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import jinjava.javax.el.CompositeELResolver;

/**
 * A checkpoint's own chat template (Jinja source from tokenizer_config.json or chat_template.jinja), rendered
 * with HubSpot's jinjava the way transformers' {@code apply_chat_template} renders it: {@code trim_blocks} and
 * {@code lstrip_blocks} on, the tokenizer's special tokens ({@code bos_token}, {@code eos_token}, ...),
 * {@code add_generation_prompt}, {@code raise_exception}, {@code strftime_now} and any keyword arguments the
 * template reads (Qwen3's {@code enable_thinking}).
 *
 * <p>What jinjava lacks is added here, each piece because a published template uses it: Python's string
 * methods ({@code .strip('\n')}, {@code .startswith(...)}, {@code .split(...)}: {@link PythonMethods}),
 * {@code tojson} with Python's separators ({@link PythonJson}), the two functions above, and reversed slices
 * {@code x[::-1]} (rewritten to {@code x|reverse|list}: jinjava's parser has no slice step). Everything else
 * ({@code loop.last}, {@code namespace()}, {@code is string}, {@code messages[1:]}, {@code |trim}) is jinjava's.
 * Rendering is tested against transformers on real templates of ten families (ChatTemplateParityTest). One
 * difference remains: a boolean printed as such is {@code true} here and {@code True} in Python; no published
 * template prints one.
 */
public final class JinjaChatTemplate {
    /**
     * A template's {@code raise_exception(message)} (the conversation is one the template refuses), or a template
     * that cannot be rendered at all ({@link #refusal()} false).
     */
    public static final class TemplateException extends RuntimeException {
        private final boolean refusal;

        public TemplateException(String message, boolean refusal) {
            super(message);
            this.refusal = refusal;
        }

        /** Whether the template itself refused the conversation (its raise_exception), rather than failing. */
        public boolean refusal() {
            return refusal;
        }
    }

    private static final String CLOCK = "__distill4j_clock";
    /** A variable with attributes and subscripts: {@code messages[0].content}, {@code message['role']}. */
    private static final String NAME = "[A-Za-z_]\\w*(?:\\.\\w+|\\[[^\\[\\]]*\\])*";
    private static final Pattern REVERSED = Pattern.compile("(" + NAME + ")\\[::-1\\]");
    private static final Pattern NOT_IS = Pattern.compile("\\bnot\\s+(" + NAME + ")\\s+is\\s+(not\\s+)?(\\w+)");

    private final String source;
    private final Map<String, Object> specialTokens;
    private final Clock clock;
    private final Jinjava jinjava;

    /**
     * @param source        the template as published
     * @param specialTokens {@code bos_token}, {@code eos_token}, ... as the tokenizer config names them (null values
     *                      are left out)
     * @param clock         what {@code strftime_now} reads (local date and time of the clock's zone)
     */
    public JinjaChatTemplate(String source, Map<String, String> specialTokens, Clock clock) {
        this.source = rewrite(source);
        this.specialTokens = new HashMap<>();
        specialTokens.forEach((k, v) -> {
            if (v != null) {
                this.specialTokens.put(k, v);
            }
        });
        this.clock = clock;
        CompositeELResolver resolver = new CompositeELResolver();
        resolver.add(new PythonMethods());
        resolver.add(JinjavaInterpreterResolver.DEFAULT_RESOLVER_READ_ONLY);
        JinjavaConfig config = JinjavaConfig.newBuilder()
                .withTrimBlocks(true)
                .withLstripBlocks(true)
                .withElResolver(resolver)
                // Python's semantics where jinjava has kept its historical ones: filters bind tighter than '+',
                // `for k in dict` iterates keys, dict literal keys are expressions
                .withLegacyOverrides(LegacyOverrides.newBuilder()
                        .withUseNaturalOperatorPrecedence(true)
                        .withIterateOverMapKeys(true)
                        .withEvaluateMapKeys(true)
                        .withUsePyishObjectMapper(true)
                        .withParseWhitespaceControlStrictly(true)
                        .withUseTrimmingForNotesAndExpressions(true)
                        .build())
                .build();
        this.jinjava = new Jinjava(config);
        jinjava.registerFilter(new PythonJson());
        try {
            jinjava.registerFunction(new ELFunctionDefinition("", "raise_exception",
                    JinjaChatTemplate.class.getDeclaredMethod("raiseException", String.class)));
            jinjava.registerFunction(new ELFunctionDefinition("", "strftime_now",
                    JinjaChatTemplate.class.getDeclaredMethod("strftimeNow", String.class)));
        } catch (NoSuchMethodException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * Rewrites the three constructs jinjava parses differently from Jinja into equivalents it parses as Jinja does:
     * {@code x[::-1]} (no slice step in jinjava) becomes {@code (x|reverse|list)}; {@code not x is defined} (jinjava
     * binds {@code not} tighter than {@code is}) becomes {@code not (x is defined)}; and the values of
     * {@code namespace(a=expr, ...)} are parenthesised (jinjava ends a named argument at a filter:
     * {@code last_query_index=messages|length - 1} in Qwen3's template).
     */
    static String rewrite(String source) {
        String s = REVERSED.matcher(source).replaceAll(m -> Matcher.quoteReplacement("(" + m.group(1) + "|reverse|list)"));
        s = NOT_IS.matcher(s).replaceAll(m -> Matcher.quoteReplacement("not (" + m.group(1) + " is "
                + (m.group(2) == null ? "" : "not ") + m.group(3) + ")"));
        StringBuilder out = new StringBuilder();
        int from = 0;
        int at;
        while ((at = s.indexOf("namespace(", from)) >= 0) {
            int open = at + "namespace(".length();
            int close = closing(s, open);
            out.append(s, from, open);
            List<String> args = topLevelSplit(s.substring(open, close));
            for (int i = 0; i < args.size(); i++) {
                String a = args.get(i);
                int eq = a.indexOf('=');
                boolean named = eq > 0 && a.substring(0, eq).strip().matches("\\w+") && !a.startsWith("==", eq);
                out.append(i == 0 ? "" : ",").append(named ? a.substring(0, eq + 1) + "(" + a.substring(eq + 1) + ")" : a);
            }
            from = close;
        }
        return out.append(s.substring(from)).toString();
    }

    /** Index of the parenthesis closing the one before {@code open}, skipping quoted strings. */
    private static int closing(String s, int open) {
        int depth = 1;
        char quote = 0;
        for (int i = open; i < s.length(); i++) {
            char c = s.charAt(i);
            if (quote != 0) {
                if (c == '\\') {
                    i++;
                } else if (c == quote) {
                    quote = 0;
                }
            } else if (c == '\'' || c == '"') {
                quote = c;
            } else if (c == '(' || c == '[' || c == '{') {
                depth++;
            } else if ((c == ')' || c == ']' || c == '}') && --depth == 0) {
                return i;
            }
        }
        return s.length();
    }

    private static List<String> topLevelSplit(String args) {
        List<String> out = new ArrayList<>();
        int start = 0;
        int i = 0;
        while (i < args.length()) {
            char c = args.charAt(i);
            if (c == '(' || c == '[' || c == '{' || c == '\'' || c == '"') {
                i = c == '\'' || c == '"' ? endOfString(args, i) : closing(args, i + 1) + 1;
                continue;
            }
            if (c == ',') {
                out.add(args.substring(start, i));
                start = i + 1;
            }
            i++;
        }
        if (start < args.length() || !out.isEmpty()) {
            out.add(args.substring(start));
        }
        return out;
    }

    private static int endOfString(String s, int at) {
        char quote = s.charAt(at);
        for (int i = at + 1; i < s.length(); i++) {
            if (s.charAt(i) == '\\') {
                i++;
            } else if (s.charAt(i) == quote) {
                return i + 1;
            }
        }
        return s.length();
    }

    public String source() {
        return source;
    }

    /** The special token named {@code name} ("eos_token"), if the tokenizer config has one. */
    public String specialToken(String name) {
        Object v = specialTokens.get(name);
        return v == null ? null : v.toString();
    }

    /**
     * Renders {@code messages} (role, content, and any other fields a template reads).
     *
     * @throws TemplateException when the template raises (e.g. roles that do not alternate) or cannot be rendered
     */
    public String render(List<? extends Map<String, ?>> messages, boolean addGenerationPrompt, Map<String, ?> kwargs) {
        Map<String, Object> context = new HashMap<>(specialTokens);
        context.putAll(kwargs);
        List<Map<String, Object>> copies = new ArrayList<>();
        for (Map<String, ?> m : messages) {
            copies.add(new LinkedHashMap<>(m));
        }
        context.put("messages", copies);
        context.put("add_generation_prompt", addGenerationPrompt);
        // transformers defines strftime_now as a global, so templates test `strftime_now is defined` before calling
        // it; jinjava's functions are not variables, hence the marker
        context.put("strftime_now", Boolean.TRUE);
        context.put(CLOCK, clock);
        RenderResult result = jinjava.renderForResult(source, context);
        for (TemplateError e : result.getErrors()) {
            Throwable cause = e.getException();
            while (cause != null) {
                if (cause instanceof TemplateException t) {
                    throw t;
                }
                cause = cause.getCause();
            }
        }
        for (TemplateError e : result.getErrors()) {
            if (e.getSeverity() == TemplateError.ErrorType.FATAL) {
                throw new TemplateException("chat template line " + e.getLineno() + ": " + e.getMessage(), false);
            }
        }
        return result.getOutput();
    }

    /** {@code raise_exception(message)}, as transformers defines it. */
    public static String raiseException(String message) {
        throw new TemplateException(message, true);
    }

    /** {@code strftime_now(format)}: the clock's local time in C's strftime format (the codes templates use). */
    public static String strftimeNow(String format) {
        Clock clock = (Clock) JinjavaInterpreter.getCurrent().getContext().get(CLOCK);
        return Strftime.format(LocalDateTime.now(clock), format);
    }

    /** {@code tojson} as transformers overrides it: {@code json.dumps(x, ensure_ascii=False, indent=...)}. */
    private static final class PythonJson implements Filter {
        @Override
        public String getName() {
            return "tojson";
        }

        @Override
        public Object filter(Object var, JinjavaInterpreter interpreter, String... args) {
            return PythonJson.dumps(var, null);
        }

        @Override
        public Object filter(Object var, JinjavaInterpreter interpreter, Object[] args, Map<String, Object> kwargs) {
            Object indent = kwargs.getOrDefault("indent", args.length > 0 ? args[0] : null);
            return dumps(var, indent == null ? null : ((Number) indent).intValue());
        }

        static String dumps(Object value, Integer indent) {
            StringBuilder s = new StringBuilder();
            write(value, indent, 0, s);
            return s.toString();
        }

        private static void write(Object v, Integer indent, int depth, StringBuilder s) {
            if (v == null) {
                s.append("null");
            } else if (v instanceof Boolean || v instanceof Number) {
                s.append(v);
            } else if (v instanceof Map<?, ?> m) {
                s.append('{');
                int i = 0;
                for (Map.Entry<?, ?> e : m.entrySet()) {
                    separator(i++, indent, depth + 1, s);
                    write(String.valueOf(e.getKey()), indent, depth + 1, s);
                    s.append(": ");
                    write(e.getValue(), indent, depth + 1, s);
                }
                close(m.isEmpty(), indent, depth, s).append('}');
            } else if (v instanceof Iterable<?> list) {
                s.append('[');
                int i = 0;
                for (Object x : list) {
                    separator(i++, indent, depth + 1, s);
                    write(x, indent, depth + 1, s);
                }
                close(i == 0, indent, depth, s).append(']');
            } else {
                string(v.toString(), s);
            }
        }

        private static void separator(int i, Integer indent, int depth, StringBuilder s) {
            if (i > 0) {
                s.append(indent == null ? ", " : ",");
            }
            if (indent != null) {
                s.append('\n').append(" ".repeat(indent * depth));
            }
        }

        private static StringBuilder close(boolean empty, Integer indent, int depth, StringBuilder s) {
            if (indent != null && !empty) {
                s.append('\n').append(" ".repeat(indent * depth));
            }
            return s;
        }

        /** A JSON string as Python writes it with ensure_ascii=False: only quotes, backslashes and controls escaped. */
        private static void string(String t, StringBuilder s) {
            s.append('"');
            for (int i = 0; i < t.length(); i++) {
                char c = t.charAt(i);
                switch (c) {
                    case '"' -> s.append("\\\"");
                    case '\\' -> s.append("\\\\");
                    case '\n' -> s.append("\\n");
                    case '\r' -> s.append("\\r");
                    case '\t' -> s.append("\\t");
                    case '\b' -> s.append("\\b");
                    case '\f' -> s.append("\\f");
                    default -> {
                        if (c < 0x20) {
                            s.append(String.format("\\u%04x", (int) c));
                        } else {
                            s.append(c);
                        }
                    }
                }
            }
            s.append('"');
        }
    }
}
