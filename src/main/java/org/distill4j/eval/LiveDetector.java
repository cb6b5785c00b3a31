package org.distill4j.eval;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import java.util.function.Predicate;

/**
 * Runs the oracle-free detector on the proxy curve during a distillation run: warns once when the
 * proxy leaves its power law, and stops the run if asked to ({@code --on-hacking stop}).
 */
public final class LiveDetector implements Predicate<ObjectNode> {
    private static final Logger LOG = LoggerFactory.getLogger(LiveDetector.class);

    private final HackingDetector detector;
    private final boolean stop;
    private final List<HackingDetector.Point> curve = new ArrayList<>();
    private boolean warned;

    public LiveDetector(HackingDetector detector, boolean stop) {
        this.detector = detector;
        this.stop = stop;
    }

    @Override
    public boolean test(ObjectNode row) {
        if (!row.has("proxy_fkl")) {
            return true;
        }
        curve.add(new HackingDetector.Point(row.get("step").asLong(), row.get("proxy_fkl").asDouble(),
                row.path("proxy_fkl_se").asDouble(0)));
        HackingDetector.Verdict v = detector.proxy(curve);
        if (v.hacking() && !warned) {
            warned = true;
            LOG.warn("possible teacher hacking: " + v.reason());
        }
        return !(v.hacking() && stop);
    }
}
