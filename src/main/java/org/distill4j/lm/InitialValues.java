package org.distill4j.lm;

import ai.djl.ndarray.types.Shape;
import java.util.SplittableRandom;

/**
 * The values of a freshly initialised model, drawn in Java from one seeded stream: linear and embedding weights
 * ~ N(0, 0.02²) (transformers' initializer_range), norms the identity (scale 1, or 0 where the norm scales by 1 + w),
 * biases 0. {@link Transformer#random} builds a model from them; bench real writes them as a checkpoint block by block.
 */
public final class InitialValues {
    private InitialValues() {}

    /**
     * The initial values of one parameter as {@link Transformer#random} draws them, the parameters taken in
     * {@link Transformer#parameterShapes} order from one {@code rng} (for writing a random checkpoint tensor by tensor).
     */
    public static float[] of(ModelConfig config, String name, long[] shape, SplittableRandom rng) {
        float[] data = new float[Math.toIntExact(new Shape(shape).size())];
        fill(config, name, data, rng);
        return data;
    }

    /**
     * The next {@code block.length} initial values of tensor {@code name}: filling a tensor block by block from one
     * stream gives the values {@link #of} gives it whole.
     */
    public static void fill(ModelConfig config, String name, float[] block, SplittableRandom rng) {
        if (WeightNames.isNormWeight(name)) {
            java.util.Arrays.fill(block, config.family().norm() == Family.NormKind.RMS_UNIT_OFFSET ? 0f : 1f);
        } else if (name.endsWith(".bias")) {
            java.util.Arrays.fill(block, 0f);
        } else {
            for (int i = 0; i < block.length; i++) {
                block[i] = (float) (0.02 * gaussian(rng));
            }
        }
    }

    private static double gaussian(SplittableRandom rng) {
        // Box-Muller: SplittableRandom has no nextGaussian before Java 17's RandomGenerator default, and
        // this keeps the stream explicit and reproducible across JDKs.
        double u1 = rng.nextDouble();
        double u2 = rng.nextDouble();
        return Math.sqrt(-2 * Math.log1p(-u1)) * Math.cos(2 * Math.PI * u2);
    }
}
