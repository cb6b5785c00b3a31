package org.distill4j.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The process's resident-set high-water mark (VmHWM), which Linux lets a process reset (writing 5 to
 * /proc/self/clear_refs): reset before a phase, read after it, and the figure is that phase's peak.
 */
final class PeakRss {
    private PeakRss() {}

    /** Starts a new high-water mark at the current RSS; false where the kernel does not allow it. */
    static boolean reset() {
        try {
            Files.writeString(Path.of("/proc/self/clear_refs"), "5");
            return true;
        } catch (IOException | UnsupportedOperationException e) {
            return false;
        }
    }

    /** Peak RSS in MiB since the last {@link #reset} (or process start), -1 where unavailable. */
    static double peakMegabytes() {
        return field("VmHWM:");
    }

    /** Current RSS in MiB, -1 where unavailable. */
    static double megabytes() {
        return field("VmRSS:");
    }

    /** MemAvailable of /proc/meminfo in MiB, -1 where unavailable. */
    static double availableMegabytes() {
        return field(Path.of("/proc/meminfo"), "MemAvailable:");
    }

    private static double field(String name) {
        return field(Path.of("/proc/self/status"), name);
    }

    /** A kB field of a /proc status-style file in MiB, -1 where unavailable. */
    static double field(Path file, String name) {
        try {
            for (String line : Files.readAllLines(file)) {
                if (line.startsWith(name)) {
                    return Long.parseLong(line.replaceAll("[^0-9]", "")) / 1024.0;
                }
            }
        } catch (IOException | NumberFormatException e) {
            return -1;
        }
        return -1;
    }
}
