package org.distill4j.lm;

import java.net.URISyntaxException;
import java.nio.file.Path;

/** Test fixtures under src/test/resources/fixtures (made by tools/*.py). */
public final class Fixtures {
    private Fixtures() {}

    public static Path path(String relative) {
        try {
            return Path.of(Fixtures.class.getResource("/fixtures/" + relative).toURI());
        } catch (URISyntaxException | NullPointerException e) {
            throw new IllegalStateException("fixture not found: " + relative, e);
        }
    }

    public static double maxAbsDiff(float[] a, float[] b) {
        if (a.length != b.length) {
            throw new AssertionError("length " + a.length + " != " + b.length);
        }
        double m = 0;
        for (int i = 0; i < a.length; i++) {
            m = Math.max(m, Math.abs(a[i] - b[i]));
        }
        return m;
    }
}
