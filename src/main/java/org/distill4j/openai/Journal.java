package org.distill4j.openai;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.distill4j.util.Json;
import org.distill4j.util.UserError;

/**
 * Append-only record of every response received, so a paid response is never lost nor paid for twice.
 * Each batch of entries is written and forced to disk (fsync) before the next request for those
 * samples could be considered; a rerun reads the journal and skips every (prompt, sample) in it.
 * <p>
 * Format: JSON Lines. The first line is a header holding a fingerprint of the prompts and settings
 * (resuming with other prompts would mix answers to different questions); every further line is a
 * {@link JournalEntry}. A process killed mid-write leaves at most a torn last line, which is cut off on
 * open. Without a file (in-memory journal) nothing survives the process, for library callers that
 * need no resume.
 */
public final class Journal implements AutoCloseable {
    private static final String FORMAT = "distill4j-teacher-journal";

    private final Path file;
    private final FileChannel channel;
    private final Map<JournalEntry.Key, JournalEntry> entries = new LinkedHashMap<>();
    private final int recoveredTornBytes;

    private Journal(Path file, FileChannel channel, int recoveredTornBytes) {
        this.file = file;
        this.channel = channel;
        this.recoveredTornBytes = recoveredTornBytes;
    }

    public static Journal inMemory() {
        return new Journal(null, null, 0);
    }

    /** Opens (creating, or resuming) the journal at {@code file}, which must have been written for {@code fingerprint}. */
    public static Journal open(Path file, String fingerprint) {
        try {
            Path dir = file.toAbsolutePath().getParent();
            Files.createDirectories(dir);
            byte[] bytes = Files.isRegularFile(file) ? Files.readAllBytes(file) : new byte[0];
            int end = lastNewline(bytes) + 1; // a line without its newline was torn by a crash
            FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
            Journal j = new Journal(file, ch, bytes.length - end);
            try {
                if (end < bytes.length) {
                    ch.truncate(end);
                    ch.force(true);
                }
                ch.position(end);
                if (end == 0) {
                    j.write(List.of(new Header(FORMAT, 1, fingerprint)));
                    forceDirectory(dir);
                } else {
                    j.load(new String(bytes, 0, end, StandardCharsets.UTF_8), fingerprint);
                }
            } catch (RuntimeException | IOException e) {
                ch.close();
                throw e;
            }
            return j;
        } catch (IOException e) {
            throw new UserError(file + ": cannot open the journal: " + e.getMessage(), e);
        }
    }

    private void load(String text, String fingerprint) {
        String[] lines = text.split("\n", -1);
        JsonNode header = parse(lines[0], 1);
        if (!FORMAT.equals(header.path("format").asText())) {
            throw new UserError(file + ":1: not a distill4j teacher journal");
        }
        if (!fingerprint.equals(header.path("fingerprint").asText())) {
            throw new UserError(file + ": this journal was written for other prompts or settings (model, chat, "
                    + "temperature, max tokens); delete it to start over, or pass another --journal");
        }
        for (int i = 1; i < lines.length; i++) {
            if (lines[i].isBlank()) {
                continue;
            }
            JournalEntry e = JournalEntry.fromJson(parse(lines[i], i + 1));
            if (e == null) {
                throw new UserError(file + ":" + (i + 1) + ": journal entry lacks prompt, sample or response");
            }
            entries.putIfAbsent(e.key(), e);
        }
    }

    private JsonNode parse(String line, int number) {
        try {
            return Json.MAPPER.readTree(line);
        } catch (JsonProcessingException e) {
            throw new UserError(file + ":" + number + ": malformed journal line: " + e.getOriginalMessage());
        }
    }

    /** Durably records entries: they are on disk when this returns. */
    public synchronized void append(List<JournalEntry> batch) {
        for (JournalEntry e : batch) {
            if (entries.containsKey(e.key())) {
                throw new IllegalStateException("sample " + e.key() + " is already journalled");
            }
        }
        if (channel != null) {
            try {
                write(batch);
            } catch (IOException e) {
                throw new UserError(file + ": cannot append to the journal: " + e.getMessage(), e);
            }
        }
        for (JournalEntry e : batch) {
            entries.put(e.key(), e);
        }
    }

    /** The journal's first line: what it is and which prompts and settings its answers belong to. */
    private record Header(String format, int version, String fingerprint) {}

    /** Lines are a {@link Header} or {@link JournalEntry} records. */
    private void write(List<?> lines) throws IOException {
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        for (Object line : lines) {
            buf.write(Json.bytes(line));
            buf.write('\n');
        }
        ByteBuffer b = ByteBuffer.wrap(buf.toByteArray());
        while (b.hasRemaining()) {
            channel.write(b);
        }
        channel.force(false);
    }

    public synchronized boolean contains(int prompt, int sample) {
        return entries.containsKey(new JournalEntry.Key(prompt, sample));
    }

    public synchronized JournalEntry get(int prompt, int sample) {
        return entries.get(new JournalEntry.Key(prompt, sample));
    }

    public synchronized List<JournalEntry> entries() {
        return new ArrayList<>(entries.values());
    }

    /** Bytes of a torn last line cut off when the journal was opened (0 after a clean stop). */
    public int recoveredTornBytes() {
        return recoveredTornBytes;
    }

    public Path file() {
        return file;
    }

    @Override
    public synchronized void close() {
        if (channel != null) {
            try {
                channel.close();
            } catch (IOException e) {
                throw new UserError(file + ": cannot close the journal: " + e.getMessage(), e);
            }
        }
    }

    private static int lastNewline(byte[] bytes) {
        for (int i = bytes.length - 1; i >= 0; i--) {
            if (bytes[i] == '\n') {
                return i;
            }
        }
        return -1;
    }

    /** Makes a newly created file's directory entry durable too. */
    private static void forceDirectory(Path dir) {
        try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
            d.force(true);
        } catch (IOException | UnsupportedOperationException e) {
            // not every file system lets a directory be opened; the data itself is already forced
        }
    }
}
