package org.distill4j.util;

import com.sun.jna.Function;
import com.sun.jna.NativeLibrary;
import com.sun.jna.Platform;

/**
 * Hands the memory that glibc's malloc keeps after a burst of frees back to the kernel ({@code malloc_trim(0)}).
 *
 * <p>The launcher makes malloc keep freed memory on purpose (./distill's GLIBC_TUNABLES), so that the activations of
 * every step are not page-faulted in again. A one-off burst then stays resident for good: folding a model's decoding
 * form ({@code Transformer.fuseForInference}) frees intermediates in holes between the arrays it keeps, which the
 * allocator does not reuse for arrays of the same size (the engine's aligned allocations ask for a little more), and
 * Qwen3-0.6B's process kept 0.9 GB of them (VmRSS 4.74 GB, 3.83 GB after a trim). Called through JNA, which DJL
 * already brings; where the C library has no malloc_trim (not glibc) {@link #trim} does nothing and returns false.
 */
public final class NativeMemory {
    private static final Function MALLOC_TRIM = lookUpMallocTrim();

    private NativeMemory() {}

    /** Returns freed heap memory to the kernel; true if the C library released any. */
    public static boolean trim() {
        return MALLOC_TRIM != null && MALLOC_TRIM.invokeInt(new Object[] {0L}) != 0;
    }

    /** True where {@link #trim} can call malloc_trim. */
    public static boolean available() {
        return MALLOC_TRIM != null;
    }

    private static Function lookUpMallocTrim() {
        if (!Platform.isLinux()) {
            return null;
        }
        try {
            return NativeLibrary.getInstance(Platform.C_LIBRARY_NAME).getFunction("malloc_trim");
        } catch (UnsatisfiedLinkError e) {
            return null; // a C library without it (musl)
        }
    }
}
