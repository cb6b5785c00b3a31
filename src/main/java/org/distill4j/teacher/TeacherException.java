package org.distill4j.teacher;

/** Some responses could not be obtained (after every retry); the message summarises what failed. */
public class TeacherException extends RuntimeException {
    public TeacherException(String message) {
        super(message);
    }
}
