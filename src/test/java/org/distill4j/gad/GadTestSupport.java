package org.distill4j.gad;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import org.distill4j.lm.Fixtures;
import org.distill4j.util.Json;

/** Fixture reading, array building, one evaluation with autograd, finite differences and tolerances. */
final class GadTestSupport {
    private GadTestSupport() {}

    /** The brief's relative tolerance against the float64 torch reference. */
    static final double RELATIVE = 1e-5;
    /**
     * The absolute floor added for float32 runs: O(1) terms carry float32 rounding of ~1e-7 each, and k3 =
     * exp(d) − d − 1 cancels catastrophically for small d (as it does in verl's float32 training).
     */
    static final double FLOAT32_FLOOR = 1e-6;
    /** For float64 runs the floor only has to cover exact zeros against −0.0 and rounding at 1e-16. */
    static final double FLOAT64_FLOOR = 1e-12;

    static JsonNode fixture(String name) {
        try {
            return Json.MAPPER.readTree(Fixtures.path("gad/" + name).toFile());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A JSON number, or a (nested) array of numbers, flattened in row-major order. */
    static double[] flat(JsonNode node) {
        if (node.isNumber()) {
            return new double[] {node.asDouble()};
        }
        List<Double> out = new ArrayList<>();
        collect(node, out);
        return out.stream().mapToDouble(Double::doubleValue).toArray();
    }

    private static void collect(JsonNode node, List<Double> out) {
        if (node.isArray()) {
            node.forEach(child -> collect(child, out));
        } else {
            out.add(node.asDouble());
        }
    }

    /** The shape of a rectangular nested JSON array. */
    static Shape shapeOf(JsonNode node) {
        List<Long> dims = new ArrayList<>();
        for (JsonNode n = node; n.isArray(); n = n.get(0)) {
            dims.add((long) n.size());
        }
        return new Shape(dims.stream().mapToLong(Long::longValue).toArray());
    }

    static NDArray array(NDManager m, JsonNode node, DataType type) {
        return array(m, flat(node), shapeOf(node), type);
    }

    /** The values (float32-exact in the fixtures) as an array of {@code type}. */
    static NDArray array(NDManager m, double[] values, Shape shape, DataType type) {
        return m.create(values, shape).toType(type, false);
    }

    static double[] host(NDArray a) {
        return a.toType(DataType.FLOAT64, false).toDoubleArray();
    }

    static double floor(DataType type) {
        return type == DataType.FLOAT64 ? FLOAT64_FLOOR : FLOAT32_FLOOR;
    }

    static void assertClose(double actual, double expected, DataType type, String what) {
        assertThat(Math.abs(actual - expected)).as("%s: %s vs torch %s (%s)", what, actual, expected, type)
                .isLessThanOrEqualTo(RELATIVE * Math.abs(expected) + floor(type));
    }

    static void assertClose(double[] actual, double[] expected, DataType type, String what) {
        assertThat(actual).as(what + " length").hasSameSizeAs(expected);
        for (int i = 0; i < actual.length; i++) {
            assertClose(actual[i], expected[i], type, what + "[" + i + "]");
        }
    }

    /** A scalar function's value and its gradients w.r.t. every input. */
    record Evaluated(double value, double[][] gradients) {}

    /**
     * Creates the inputs in {@code type}, marks the first {@code differentiable} as requiring gradient,
     * evaluates {@code f} inside a GradientCollector (closed before returning: only one may exist per JVM)
     * and backpropagates. The gradients are those of the differentiable inputs.
     */
    static Evaluated withGradient(NDManager base, DataType type, Function<NDList, NDArray> f, int differentiable, double[][] inputs,
                                  Shape... shapes) {
        try (NDManager m = base.newSubManager()) {
            NDList xs = new NDList();
            for (int i = 0; i < inputs.length; i++) {
                NDArray x = array(m, inputs[i], shapes[i], type);
                if (i < differentiable) {
                    x.setRequiresGradient(true);
                }
                xs.add(x);
            }
            double value;
            try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                NDArray y = f.apply(xs);
                value = host(y)[0];
                gc.backward(y);
            }
            double[][] gradients = new double[differentiable][];
            for (int i = 0; i < differentiable; i++) {
                gradients[i] = host(xs.get(i).getGradient());
            }
            return new Evaluated(value, gradients);
        }
    }

    /** The value of {@code f} at float64 inputs, no gradient recorded. */
    static double value(NDManager base, Function<NDList, NDArray> f, double[][] inputs, Shape... shapes) {
        try (NDManager m = base.newSubManager()) {
            NDList xs = new NDList();
            for (int i = 0; i < inputs.length; i++) {
                xs.add(array(m, inputs[i], shapes[i], DataType.FLOAT64));
            }
            return host(f.apply(xs))[0];
        }
    }

    /** Central finite differences of {@code f} w.r.t. input {@code which}, in float64. */
    static double[] finiteDifferences(NDManager base, Function<NDList, NDArray> f, int which, double h, double[][] inputs,
                                      Shape... shapes) {
        double[] grad = new double[inputs[which].length];
        for (int k = 0; k < grad.length; k++) {
            double[][] plus = copy(inputs);
            double[][] minus = copy(inputs);
            plus[which][k] += h;
            minus[which][k] -= h;
            grad[k] = (value(base, f, plus, shapes) - value(base, f, minus, shapes)) / (2 * h);
        }
        return grad;
    }

    private static double[][] copy(double[][] a) {
        double[][] out = new double[a.length][];
        for (int i = 0; i < a.length; i++) {
            out[i] = a[i].clone();
        }
        return out;
    }

    static boolean allFinite(double... values) {
        for (double v : values) {
            if (!Double.isFinite(v)) {
                return false;
            }
        }
        return true;
    }
}
