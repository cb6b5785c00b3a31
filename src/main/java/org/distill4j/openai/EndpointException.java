package org.distill4j.openai;

/** Some responses could not be obtained (after every retry); the message summarises what failed. */
public class EndpointException extends RuntimeException {
    public EndpointException(String message) {
        super(message);
    }
}
