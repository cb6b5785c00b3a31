package org.distill4j.teacher;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.distill4j.openai.Journal;
import org.distill4j.openai.JournalEntry;
import org.distill4j.util.Jsonl;

/** The finished data set: every prompt record n times, with "response" and "sample" added, prompt-major. */
public final class TeachOutput {
    private TeachOutput() {}

    /** Writes {@code out} atomically (temp file + rename) from a complete journal. */
    public static int write(Path out, List<ObjectNode> promptRecords, int n, Journal journal) {
        List<ObjectNode> rows = new ArrayList<>(promptRecords.size() * n);
        for (int p = 0; p < promptRecords.size(); p++) {
            for (int s = 0; s < n; s++) {
                JournalEntry e = journal.get(p, s);
                if (e == null) {
                    throw new IllegalStateException("prompt " + p + " sample " + s + " is not in the journal");
                }
                ObjectNode row = promptRecords.get(p).deepCopy(); // a tree: the prompt record's own fields stay
                row.put("response", e.response());
                row.put("sample", s);
                if (e.finishReason() != null) {
                    row.put("finish_reason", e.finishReason());
                }
                rows.add(row);
            }
        }
        Jsonl.write(out, rows);
        return rows.size();
    }
}
