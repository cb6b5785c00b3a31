package org.distill4j.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import org.distill4j.lm.Safetensors;
import org.distill4j.util.UserError;

/**
 * AdamW with decoupled weight decay, computing what torch.optim.AdamW (single-tensor path, the one torch
 * takes on CPU) computes in the same operation order, so that the float32 roundings agree:
 * <pre>
 *   step += 1
 *   p  ← p · (1 − lr·wd)                      (only for parameters the decay policy selects)
 *   m  ← m + (1 − β1)·(g − m)                 (torch's lerp_)
 *   v  ← v·β2 + ((1 − β2)·g)·g                (mul_ then addcmul_)
 *   p  ← p + (−lr / (1 − β1^step)) · m / (√v / √(1 − β2^step) + eps)
 * </pre>
 * Scalars are computed in double and rounded to float32 where torch's kernels round them. torch's CPU
 * kernels fuse the lerp and the addcmul into fused multiply-adds (one rounding), which DJL cannot express,
 * so the moments may differ from torch's in the last bit; parameters agree to ~1e-7 relative over a run
 * (see AdamWTorchParityTest), and this class is deterministic, so it agrees with itself bit for bit.
 *
 * <p>It owns its state (moments and per-parameter step counts, like torch's state_dict) in its own
 * NDManager, updates the parameters in place with autograd recording off, creates its temporaries in a
 * per-parameter sub-manager so nothing accumulates, and saves/restores that state as safetensors so a resumed
 * run continues bit for bit. A parameter without a gradient is skipped (no decay, no moment update), as
 * torch skips parameters whose .grad is None.
 */
public final class AdamW implements AutoCloseable {
    static final String FORMAT = "distill4j.AdamW";
    private static final String EXP_AVG = ".exp_avg";
    private static final String EXP_AVG_SQ = ".exp_avg_sq";
    private static final String STEP = ".step";

    /** torch's state for one parameter: first and second moments and its own step count. */
    private static final class ParamState {
        final NDArray expAvg;
        final NDArray expAvgSq;
        long step;

        ParamState(NDArray expAvg, NDArray expAvgSq, long step) {
            this.expAvg = expAvg;
            this.expAvgSq = expAvgSq;
            this.step = step;
        }

        void close() {
            expAvg.close();
            expAvgSq.close();
        }
    }

    private final Map<String, NDArray> params;
    private final AdamWConfig config;
    private final NDManager manager;
    private final Map<String, ParamState> state = new LinkedHashMap<>();
    private long steps;

    /** Optimizes {@code params} (float32, by Hugging Face name); the map is copied, the arrays are not. */
    public AdamW(Map<String, NDArray> params, AdamWConfig config) {
        if (params.isEmpty()) {
            throw new IllegalArgumentException("no parameters to optimize");
        }
        for (Map.Entry<String, NDArray> e : params.entrySet()) {
            if (e.getValue().getDataType() != DataType.FLOAT32) {
                throw new IllegalArgumentException("parameter " + e.getKey() + " is " + e.getValue().getDataType()
                        + "; AdamW keeps float32 parameters only");
            }
        }
        this.params = Collections.unmodifiableMap(new LinkedHashMap<>(params));
        this.config = config;
        this.manager = NDManager.newBaseManager(params.values().iterator().next().getDevice());
        this.manager.setName("AdamW state");
    }

    public AdamWConfig config() {
        return config;
    }

    /** Number of {@link #step} calls so far (restored by {@link #load}). */
    public long steps() {
        return steps;
    }

    /**
     * One update of every parameter that has a gradient, with learning rate {@code lr}. Gradients are read,
     * not cleared: call {@link #zeroGradients} before the next accumulation. Safe inside or outside an open
     * GradientCollector.
     */
    public void step(double lr) {
        if (!(lr >= 0) || Double.isInfinite(lr)) {
            throw new IllegalArgumentException("learning rate must be finite and >= 0, got " + lr);
        }
        Gradients.withoutGradMode(() -> {
            for (Map.Entry<String, NDArray> e : params.entrySet()) {
                // one scope per parameter: temporaries (a few copies of the largest tensor) never pile up
                try (NDManager scope = manager.newSubManager()) {
                    NDArray param = e.getValue();
                    NDArray grad = Gradients.view(param, scope);
                    if (grad == null) {
                        continue;
                    }
                    ParamState s = state.computeIfAbsent(e.getKey(), name -> new ParamState(
                            manager.zeros(param.getShape(), DataType.FLOAT32),
                            manager.zeros(param.getShape(), DataType.FLOAT32), 0));
                    update(param, grad, s, lr, config.decayPolicy().decays(e.getKey()), scope);
                }
            }
        });
        steps++;
    }

    private void update(NDArray param, NDArray grad, ParamState s, double lr, boolean decays, NDManager scope) {
        // while attached to the scope, every op that starts from a moment puts its result there
        scope.tempAttachAll(s.expAvg, s.expAvgSq);
        NDArray m = s.expAvg;
        NDArray v = s.expAvgSq;
        s.step++;

        if (decays && config.weightDecay() != 0) {
            param.muli((float) (1 - lr * config.weightDecay()));
        }

        // exp_avg.lerp_(grad, 1 − β1): torch's lerp takes the form that is exact at its nearer end
        float weight = (float) (1 - config.beta1());
        if (Math.abs(weight) < 0.5f) {
            m.addi(grad.sub(m).muli(weight));
        } else {
            m.subi(grad).muli(1f - weight).addi(grad); // grad − (grad − m)·(1 − weight)
        }

        // exp_avg_sq.mul_(β2).addcmul_(grad, grad, value = 1 − β2), addcmul evaluating (value·grad)·grad
        v.muli((float) config.beta2());
        v.addi(grad.mul((float) (1 - config.beta2())).muli(grad));

        // StrictMath: the same doubles on every JVM, so a resumed run on another machine stays bit-identical
        double biasCorrection1 = 1 - StrictMath.pow(config.beta1(), s.step);
        double biasCorrection2 = 1 - StrictMath.pow(config.beta2(), s.step);
        double stepSize = lr / biasCorrection1;
        double biasCorrection2Sqrt = StrictMath.sqrt(biasCorrection2);

        NDArray denom = v.sqrt().divi((float) biasCorrection2Sqrt).addi((float) config.eps());
        // param.addcdiv_(m, denom, value = −step_size) evaluates p + ((value·m) / denom)
        param.addi(m.mul((float) -stepSize).divi(denom));
    }

    /** Sets every parameter's gradient to 0 in place (DJL's GradientCollector never does). */
    public void zeroGradients() {
        Gradients.zero(params);
    }

    /**
     * Writes the state (moments, per-parameter step counts, the step() count) to a safetensors file,
     * atomically: tensors {@code <name>.exp_avg}, {@code <name>.exp_avg_sq} (F32) and {@code <name>.step}
     * (I64 scalar) for every parameter that has been updated; the hyperparameters go to the metadata for
     * the record but are not restored (the configuration comes from the run's config).
     */
    public void save(Path file) {
        Safetensors.Writer w = new Safetensors.Writer()
                .metadata("format_version", FORMAT + "/1")
                .metadata("steps", Long.toString(steps))
                .metadata("beta1", Double.toString(config.beta1()))
                .metadata("beta2", Double.toString(config.beta2()))
                .metadata("eps", Double.toString(config.eps()))
                .metadata("weight_decay", Double.toString(config.weightDecay()))
                .metadata("decay_policy", config.decayPolicy().toString());
        for (Map.Entry<String, ParamState> e : state.entrySet()) {
            ParamState s = e.getValue();
            long[] shape = s.expAvg.getShape().getShape();
            w.add(e.getKey() + EXP_AVG, s.expAvg.toFloatArray(), shape, Safetensors.DType.F32);
            w.add(e.getKey() + EXP_AVG_SQ, s.expAvgSq.toFloatArray(), shape, Safetensors.DType.F32);
            w.addLongs(e.getKey() + STEP, new long[] {s.step}, new long[0]);
        }
        w.write(file);
    }

    /** Replaces the state with one written by {@link #save}; the file must match these parameters. */
    public void load(Path file) {
        Map<String, ParamState> loaded = new LinkedHashMap<>();
        long loadedSteps;
        try (Safetensors.Reader r = Safetensors.open(file)) {
            String format = r.metadata().getOrDefault("format_version", "");
            if (!format.startsWith(FORMAT + "/")) {
                throw new UserError(file + ": not an AdamW state file (format_version '" + format + "')");
            }
            loadedSteps = parseSteps(file, r.metadata().get("steps"));
            for (String tensor : r.tensors().keySet()) {
                if (!(tensor.endsWith(STEP) || tensor.endsWith(EXP_AVG) || tensor.endsWith(EXP_AVG_SQ))) {
                    throw new UserError(file + ": unexpected tensor '" + tensor + "' in an AdamW state file");
                }
                if (!tensor.endsWith(STEP)) {
                    continue;
                }
                String name = tensor.substring(0, tensor.length() - STEP.length());
                NDArray param = params.get(name);
                if (param == null) {
                    throw new UserError(file + ": has optimizer state for '" + name + "', which is not a parameter of this model");
                }
                long[] step = r.readLongs(tensor);
                NDArray expAvg = r.load(name + EXP_AVG, manager);
                NDArray expAvgSq;
                try {
                    expAvgSq = r.load(name + EXP_AVG_SQ, manager);
                } catch (RuntimeException e) {
                    expAvg.close();
                    throw e;
                }
                ParamState s = new ParamState(expAvg, expAvgSq, step.length == 1 ? step[0] : -1);
                loaded.put(name, s);
                checkShape(file, name + EXP_AVG, s.expAvg.getShape(), param.getShape());
                checkShape(file, name + EXP_AVG_SQ, s.expAvgSq.getShape(), param.getShape());
                if (s.step < 1) {
                    throw new UserError(file + ": '" + tensor + "' must be one positive step count");
                }
            }
            for (String tensor : r.tensors().keySet()) {
                String name = tensor.endsWith(EXP_AVG_SQ)
                        ? tensor.substring(0, tensor.length() - EXP_AVG_SQ.length())
                        : tensor.endsWith(EXP_AVG) ? tensor.substring(0, tensor.length() - EXP_AVG.length()) : null;
                if (name != null && !loaded.containsKey(name)) {
                    throw new UserError(file + ": '" + tensor + "' has no matching '" + name + STEP + "'");
                }
            }
        } catch (RuntimeException e) {
            loaded.values().forEach(ParamState::close);
            throw e;
        }
        state.values().forEach(ParamState::close);
        state.clear();
        // keep the parameters' order, which is the order step() visits them in
        for (String name : params.keySet()) {
            ParamState s = loaded.get(name);
            if (s != null) {
                state.put(name, s);
            }
        }
        steps = loadedSteps;
    }

    private static long parseSteps(Path file, String value) {
        try {
            long n = Long.parseLong(value);
            if (n >= 0) {
                return n;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new UserError(file + ": metadata 'steps' must be a non-negative integer, got '" + value + "'");
    }

    private static void checkShape(Path file, String tensor, Shape actual, Shape expected) {
        if (!actual.equals(expected)) {
            throw new UserError(file + ": '" + tensor + "' has shape " + actual + " but the parameter has shape " + expected);
        }
    }

    /** First moment of a parameter (null before its first update); for tests. */
    NDArray expAvg(String name) {
        ParamState s = state.get(name);
        return s == null ? null : s.expAvg;
    }

    /** Second moment of a parameter (null before its first update); for tests. */
    NDArray expAvgSq(String name) {
        ParamState s = state.get(name);
        return s == null ? null : s.expAvgSq;
    }

    /** The optimizer's own manager, which holds exactly two arrays per updated parameter; for tests. */
    NDManager manager() {
        return manager;
    }

    @Override
    public void close() {
        state.clear();
        manager.close();
    }
}
