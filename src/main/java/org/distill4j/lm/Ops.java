package org.distill4j.lm;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import org.distill4j.lm.Weights.Adapter;
import org.distill4j.lm.Weights.Linear;
import org.distill4j.lm.Weights.Norm;
import org.distill4j.util.Scalars;

/** The per-family building blocks of the forward pass: projections, norms, activations, soft-capping. */
final class Ops {
    private Ops() {}

    /** x·Wᵀ + b, plus scale·dropout(x)·Aᵀ·Bᵀ when the projection has a LoRA adapter (PEFT's order of operations). */
    static NDArray linear(NDArray x, Linear l) {
        NDArray y;
        if (l.conv1d()) {
            y = x.matMul(l.weight());
            y = l.bias() == null ? y : y.add(l.bias());
        } else {
            y = x.getNDArrayInternal().linear(x, l.weight(), l.bias()).singletonOrThrow();
        }
        Adapter a = l.adapter();
        if (a == null) {
            return y;
        }
        NDArray in = a.dropout().apply(x);
        NDArray low = in.getNDArrayInternal().linear(in, a.a(), null).singletonOrThrow();
        NDArray up = low.getNDArrayInternal().linear(low, a.b(), null).singletonOrThrow();
        return y.add(Scalars.mul(up, a.scale()));
    }

    /** The family's norm over the last axis. */
    static NDArray norm(ModelConfig c, NDArray x, Norm n) {
        if (n.plainScale() && c.family().norm() != Family.NormKind.LAYER_NORM) {
            NDArray r = rms(x, c.rmsNormEps());
            return n.weight() == null ? r : r.muli(n.weight()); // r is this call's own temporary: no autograd on these
        }
        return switch (c.family().norm()) {
            case RMS -> rms(x, c.rmsNormEps()).mul(n.weight());
            case RMS_UNIT_OFFSET -> {
                NDArray r = rms(x, c.rmsNormEps());
                yield r.add(r.mul(n.weight())); // r·(1 + w) without a constant on the graph
            }
            case LAYER_NORM -> x.getNDArrayInternal().layerNorm(x, new Shape(x.getShape().getLastDimension()), n.weight(), n.bias(),
                    (float) c.rmsNormEps()).singletonOrThrow();
        };
    }

    private static NDArray rms(NDArray x, double eps) {
        NDArray variance = x.square().mean(new int[] {-1}, true);
        return x.div(variance.add(eps).sqrt());
    }

    /** SiLU, or GELU with the tanh approximation for the families that use it. */
    static NDArray activation(ModelConfig c, NDArray x) {
        if (!c.family().geluTanh()) {
            return x.mul(x.getNDArrayInternal().sigmoid());
        }
        // ½x·(1 + tanh(√(2/π)·(x + 0.044715x³))), written as ½x + ½x·tanh(…) so that no constant is added on the graph
        NDArray inner = Scalars.mul(x.add(Scalars.mul(x.mul(x).mul(x), 0.044715)), Math.sqrt(2 / Math.PI));
        NDArray half = Scalars.mul(x, 0.5);
        return half.add(half.mul(inner.tanh()));
    }

    /** cap·tanh(x / cap), or x when cap is 0. */
    static NDArray softcap(NDArray x, double cap) {
        return cap > 0 ? Scalars.mul(Scalars.div(x, cap).tanh(), cap) : x;
    }
}
