package org.distill4j.generate;

import ai.djl.ndarray.NDManager;
import java.util.Arrays;
import org.distill4j.lm.KvCache;
import org.distill4j.lm.ModelConfig;
import org.distill4j.lm.SharedPrefixes;

/**
 * Which rows of a decoding batch share a prompt stored once ({@link SharedPrefixes}): the group of each slot, and each
 * group's prompt length and member count. The groups in use are kept at the front of the store (a group whose last row
 * leaves takes the last group's place), so a step reads exactly the groups it needs.
 */
final class PromptGroups implements AutoCloseable {
    private final SharedPrefixes store;
    /** groupOf[slot]: the slot's group, or -1 when its row holds its whole sequence in its own cache entries. */
    private int[] groupOf = new int[0];
    private int[] length = new int[0];
    private int[] members = new int[0];
    private int count;

    PromptGroups(NDManager parent, ModelConfig config) {
        this.store = new SharedPrefixes(parent, config);
    }

    /** Slots after a compaction: {@code newSlotOf[old]} is the old slot's new index, or -1 for a slot that is dropped. */
    void reseat(int[] newSlotOf, int slots) {
        int[] fresh = new int[slots];
        Arrays.fill(fresh, -1);
        for (int old = 0; old < newSlotOf.length && old < groupOf.length; old++) {
            if (newSlotOf[old] >= 0) {
                fresh[newSlotOf[old]] = groupOf[old];
            }
        }
        groupOf = fresh;
    }

    /**
     * A new group: positions {@code at .. at + len - 1} of row {@code row} of a prefill's cache, for {@code memberCount}
     * rows that {@link #assign} then seats. Returns its index.
     */
    int create(KvCache prefill, int row, int at, int len, int memberCount) {
        store.ensure(count + 1, len);
        store.write(count, prefill, row, at, len);
        if (count == length.length) {
            length = Arrays.copyOf(length, Math.max(4, 2 * count));
            members = Arrays.copyOf(members, length.length);
        }
        length[count] = len;
        members[count] = memberCount;
        return count++;
    }

    void assign(int slot, int group) {
        groupOf[slot] = group;
    }

    /** The group of the slot, or -1. */
    int group(int slot) {
        return slot < groupOf.length ? groupOf[slot] : -1;
    }

    int length(int group) {
        return length[group];
    }

    /** The slot's row has left: its group loses a member, and a group without members gives its place to the last one. */
    void leave(int slot) {
        int g = group(slot);
        if (g < 0) {
            return;
        }
        groupOf[slot] = -1;
        if (--members[g] > 0) {
            return;
        }
        int last = count - 1;
        if (g != last) {
            store.move(last, g, length[last]);
            for (int s = 0; s < groupOf.length; s++) {
                if (groupOf[s] == last) {
                    groupOf[s] = g;
                }
            }
            length[g] = length[last];
            members[g] = members[last];
        }
        count--;
    }

    /** The longest prompt of the groups in use, 0 when there are none. */
    int prefixLength() {
        int p = 0;
        for (int g = 0; g < count; g++) {
            p = Math.max(p, length[g]);
        }
        return p;
    }

    /** What a decoding step over the slots reads ({@code slotRow[s]}: slot s's row, or null), or null when no group is in use. */
    SharedPrefixes.Step step(NDManager m, StepDecoder.Row[] slotRow) {
        int slots = slotRow.length;
        if (count == 0) {
            return null;
        }
        int width = 0;
        for (int g = 0; g < count; g++) {
            width = Math.max(width, members[g]);
        }
        long[] groupRows = new long[count * width];
        long[] slotPosition = new long[slots];
        boolean[] grouped = new boolean[slots];
        int[] filled = new int[count];
        for (int s = 0; s < slots; s++) {
            int g = group(s);
            grouped[s] = g >= 0 || slotRow[s] == null; // an empty slot's output is never read
            if (g >= 0) {
                int at = g * width + filled[g]++;
                groupRows[at] = s;
                slotPosition[s] = at;
            }
        }
        return store.step(m, count, prefixLength(), width, groupRows, slotPosition, grouped);
    }

    /** Drops every group (the store keeps its memory for the next ones). */
    void clear() {
        count = 0;
        Arrays.fill(groupOf, -1);
    }

    @Override
    public void close() {
        store.close();
    }
}
