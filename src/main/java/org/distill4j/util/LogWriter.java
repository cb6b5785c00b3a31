package org.distill4j.util;

import java.io.PrintWriter;
import java.io.Writer;
import org.slf4j.Logger;

/**
 * A PrintWriter whose lines go to a logger at INFO: for library code that reports through a {@code PrintWriter}
 * (the CLI passes its own stderr) when it runs inside another library job.
 */
public final class LogWriter extends Writer {
    private final Logger log;
    private final StringBuilder line = new StringBuilder();

    private LogWriter(Logger log) {
        this.log = log;
    }

    public static PrintWriter to(Logger log) {
        return new PrintWriter(new LogWriter(log), true);
    }

    @Override
    public synchronized void write(char[] buf, int off, int len) {
        for (int i = off; i < off + len; i++) {
            char c = buf[i];
            if (c == '\n') {
                flushLine();
            } else if (c != '\r') {
                line.append(c);
            }
        }
    }

    private void flushLine() {
        if (!line.isEmpty()) {
            log.info(line.toString());
            line.setLength(0);
        }
    }

    @Override
    public synchronized void flush() {
        // a line goes out when it ends; a partial one waits for its end
    }

    @Override
    public synchronized void close() {
        flushLine();
    }
}
