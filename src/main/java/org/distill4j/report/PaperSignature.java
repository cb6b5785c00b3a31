package org.distill4j.report;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;
import java.util.List;
import org.distill4j.eval.HackingDetector;

/**
 * The paper's Fig. 4 signature on one run (issue #24): the golden metric ends well above its minimum while the
 * held-out proxy is still lower than it was at that minimum — the student kept getting closer to the teacher while it
 * got further from the oracle. Shown when all hold:
 * <ul>
 *   <li>the golden metric first fell: its minimum is after the first evaluation;</li>
 *   <li>the golden metric rose by at least the golden detector's {@code k} noise units and stayed there: the detector's
 *       own test on the run's last three evaluations ({@link HackingDetector#goldenRiseAtEnd});</li>
 *   <li>the held-out proxy's last evaluation is below its value at the step of the golden minimum.</li>
 * </ul>
 * Overfitting of a small offline set fails the second: there the held-out proxy turns up with the golden metric.
 *
 * @param goldenRiseNoiseUnits null when the golden minimum is among the last evaluations (no rise)
 * @param proxyAtGoldenMin the held-out proxy at the step of the golden minimum (null if not evaluated there)
 * @param trainProxyAtGoldenMin the proxy on training prompts at the golden minimum (null for runs without it)
 */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
@JsonInclude(JsonInclude.Include.NON_NULL)
public record PaperSignature(long goldenMinStep, double goldenMin, double goldenNoise, Double goldenRiseNoiseUnits,
                             Double proxyAtGoldenMin, double proxyEnd, Double trainProxyAtGoldenMin, Double trainProxyEnd,
                             boolean shown) {

    /** The signature of a run's golden, held-out proxy and training-prompt proxy curves (the latter may be empty). */
    static PaperSignature of(List<HackingDetector.Point> golden, List<HackingDetector.Point> proxy,
                             List<HackingDetector.Point> trainProxy, HackingDetector detector) {
        HackingDetector.Point min = golden.get(0);
        for (HackingDetector.Point p : golden) {
            if (p.value() < min.value()) {
                min = p;
            }
        }
        double rise = detector.goldenRiseAtEnd(golden);
        double proxyAtMin = valueAt(proxy, min.step());
        double proxyEnd = proxy.get(proxy.size() - 1).value();
        // a U falls before it rises: a golden metric that never went below its start is not the signature; false for NaN
        boolean shown = min.step() > golden.get(0).step() && rise >= detector.noiseUnits() && proxyEnd < proxyAtMin;
        Double trainAtMin = trainProxy.isEmpty() ? null : nullIfNaN(valueAt(trainProxy, min.step()));
        Double trainEnd = trainProxy.isEmpty() ? null : trainProxy.get(trainProxy.size() - 1).value();
        return new PaperSignature(min.step(), min.value(), HackingDetector.goldenNoise(golden), nullIfNaN(rise), nullIfNaN(proxyAtMin), proxyEnd,
                trainAtMin, trainEnd, shown);
    }

    private static double valueAt(List<HackingDetector.Point> curve, long step) {
        return curve.stream().filter(p -> p.step() == step).mapToDouble(HackingDetector.Point::value).findFirst().orElse(Double.NaN);
    }

    private static Double nullIfNaN(double v) {
        return Double.isNaN(v) ? null : v;
    }
}
