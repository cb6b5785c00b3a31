package org.distill4j.util;

/**
 * A problem with the user's input (a file, a line, a field, a flag). The CLI prints its message alone
 * and exits with code 2; a stack trace is shown only with --verbose.
 */
public class UserError extends RuntimeException {
    public UserError(String message) {
        super(message);
    }

    public UserError(String message, Throwable cause) {
        super(message, cause);
    }
}
