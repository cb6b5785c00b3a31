package org.distill4j.lm;

import java.beans.FeatureDescriptor;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import jinjava.javax.el.ELContext;
import jinjava.javax.el.ELResolver;

/**
 * Python's string and dict methods for chat templates ({@code content.strip('\n')},
 * {@code content.split('</think>')[-1]}, {@code message.content.startswith('<tool_response>')},
 * {@code tool.items()}): jinjava resolves method calls on Java objects, and {@link String} has none of these
 * names (or, like {@code strip()}, not with a characters argument). Methods a published template calls are
 * here; any other name falls through to jinjava.
 */
final class PythonMethods extends ELResolver {
    @Override
    public Object invoke(ELContext context, Object base, Object method, Class<?>[] paramTypes, Object[] params) {
        if (method == null) {
            return null;
        }
        String name = method.toString();
        Object[] args = params == null ? new Object[0] : params;
        Object result;
        if (base instanceof String s) {
            result = string(s, name, args);
        } else if (base instanceof Map<?, ?> m) {
            result = map(m, name, args);
        } else {
            return null;
        }
        if (result == NONE) {
            return null;
        }
        context.setPropertyResolved(true);
        return result;
    }

    private static final Object NONE = new Object();

    private static Object string(String s, String name, Object[] a) {
        return switch (name) {
            case "strip" -> a.length == 0 || a[0] == null ? s.strip() : rstrip(lstrip(s, a[0].toString()), a[0].toString());
            case "lstrip" -> a.length == 0 || a[0] == null ? s.stripLeading() : lstrip(s, a[0].toString());
            case "rstrip" -> a.length == 0 || a[0] == null ? s.stripTrailing() : rstrip(s, a[0].toString());
            case "startswith" -> anyOf(a[0], s::startsWith);
            case "endswith" -> anyOf(a[0], s::endsWith);
            case "split" -> a.length == 0 || a[0] == null ? whitespaceSplit(s) : split(s, a[0].toString(),
                    a.length > 1 ? ((Number) a[1]).intValue() : -1);
            case "upper" -> s.toUpperCase(java.util.Locale.ROOT);
            case "lower" -> s.toLowerCase(java.util.Locale.ROOT);
            case "replace" -> s.replace(a[0].toString(), a[1].toString());
            case "find" -> s.indexOf(a[0].toString());
            case "count" -> (s.length() - s.replace(a[0].toString(), "").length()) / Math.max(1, a[0].toString().length());
            case "join" -> join(s, a[0]);
            default -> NONE;
        };
    }

    private static Object map(Map<?, ?> m, String name, Object[] a) {
        return switch (name) {
            case "items" -> {
                List<List<Object>> out = new ArrayList<>();
                m.forEach((k, v) -> out.add(Arrays.asList(k, v)));
                yield out;
            }
            case "keys" -> new ArrayList<>(m.keySet());
            case "values" -> new ArrayList<>(m.values());
            case "get" -> m.containsKey(a[0]) ? m.get(a[0]) : (a.length > 1 ? a[1] : null);
            default -> NONE;
        };
    }

    private static boolean anyOf(Object prefixes, java.util.function.Predicate<String> test) {
        if (prefixes instanceof Iterable<?> it) { // Python accepts a tuple of prefixes
            for (Object p : it) {
                if (test.test(p.toString())) {
                    return true;
                }
            }
            return false;
        }
        return test.test(prefixes.toString());
    }

    private static String lstrip(String s, String chars) {
        int i = 0;
        while (i < s.length() && chars.indexOf(s.charAt(i)) >= 0) {
            i++;
        }
        return s.substring(i);
    }

    private static String rstrip(String s, String chars) {
        int j = s.length();
        while (j > 0 && chars.indexOf(s.charAt(j - 1)) >= 0) {
            j--;
        }
        return s.substring(0, j);
    }

    /** {@code str.split(sep, maxsplit)}: empty pieces kept, unlike Java's split. */
    private static List<String> split(String s, String sep, int max) {
        List<String> out = new ArrayList<>();
        int from = 0;
        int at;
        while ((max < 0 || out.size() < max) && (at = s.indexOf(sep, from)) >= 0) {
            out.add(s.substring(from, at));
            from = at + sep.length();
        }
        out.add(s.substring(from));
        return out;
    }

    private static List<String> whitespaceSplit(String s) {
        String t = s.strip();
        return t.isEmpty() ? new ArrayList<>() : new ArrayList<>(Arrays.asList(t.split("\\s+")));
    }

    private static String join(String sep, Object items) {
        StringBuilder b = new StringBuilder();
        Iterator<?> it = ((Iterable<?>) items).iterator();
        while (it.hasNext()) {
            b.append(it.next());
            if (it.hasNext()) {
                b.append(sep);
            }
        }
        return b.toString();
    }

    // The resolver handles only method calls; property access is jinjava's.

    @Override
    public Object getValue(ELContext context, Object base, Object property) {
        return null;
    }

    @Override
    public Class<?> getType(ELContext context, Object base, Object property) {
        return null;
    }

    @Override
    public void setValue(ELContext context, Object base, Object property, Object value) {}

    @Override
    public boolean isReadOnly(ELContext context, Object base, Object property) {
        return true;
    }

    @Override
    public Iterator<FeatureDescriptor> getFeatureDescriptors(ELContext context, Object base) {
        return null;
    }

    @Override
    public Class<?> getCommonPropertyType(ELContext context, Object base) {
        return null;
    }
}
