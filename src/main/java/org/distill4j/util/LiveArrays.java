package org.distill4j.util;

import ai.djl.ndarray.BaseNDManager;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDResource;
import java.lang.reflect.Field;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The number of engine arrays alive in this process (every manager under DJL's system manager): the
 * {@code live_arrays} column of metrics.jsonl, flat over a healthy run and growing by the arrays of each
 * step when something keeps them.
 *
 * <p>Work that runs on another thread while the training thread logs (a teacher's next forward pass) holds
 * a varying number of temporaries at that moment; such work creates its arrays under a manager registered
 * with {@link #transientRoot}, which is left out of the count, so that the column is a function of the step.
 */
public final class LiveArrays {
    private static final Set<NDManager> TRANSIENT = ConcurrentHashMap.newKeySet();
    private static final Field RESOURCES = resourcesField();

    private LiveArrays() {}

    /** A base manager whose arrays are not counted; closing it frees them and forgets it. */
    public record TransientRoot(NDManager manager) implements AutoCloseable {
        @Override
        public void close() {
            TRANSIENT.remove(manager);
            manager.close();
        }
    }

    /** A new base manager whose arrays are not counted. */
    public static TransientRoot transientRoot() {
        NDManager root = NDManager.newBaseManager();
        TRANSIENT.add(root);
        return new TransientRoot(root);
    }

    /** Live arrays under the engine's system manager, except those under transient roots. */
    public static int count() {
        try (NDManager probe = NDManager.newBaseManager()) {
            return count(probe.getParentManager());
        }
    }

    /** Live arrays under {@code manager} (recursively), except those under transient roots. */
    public static int count(NDManager manager) {
        if (TRANSIENT.contains(manager)) {
            return 0;
        }
        BaseNDManager base = (BaseNDManager) manager; // every DJL manager is one
        if (RESOURCES == null) {
            return base.getManagedArrays().size();
        }
        int n = 0;
        for (AutoCloseable r : resources(base).values()) {
            if (r instanceof NDArray) {
                n++;
            } else if (r instanceof NDManager child) {
                n += count(child);
            } else if (r instanceof NDResource resource) {
                n += resource.getResourceNDArrays().size();
            }
        }
        return n;
    }

    @SuppressWarnings("unchecked")
    private static Map<String, AutoCloseable> resources(BaseNDManager m) {
        try {
            return (Map<String, AutoCloseable>) RESOURCES.get(m);
        } catch (IllegalAccessException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * DJL lists a manager's arrays only all at once ({@code getManagedArrays}, recursively); leaving one subtree
     * out needs its children, which only the protected {@code resources} map holds.
     */
    private static Field resourcesField() {
        try {
            Field f = BaseNDManager.class.getDeclaredField("resources");
            f.setAccessible(true);
            return f;
        } catch (ReflectiveOperationException | RuntimeException e) {
            return null; // then transient roots are counted too
        }
    }
}
