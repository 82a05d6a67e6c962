package io.caspian.app;

/** A bad command line: the message says what was wrong; {@link Main} prints it with the usage and exits 2. */
final class UsageException extends RuntimeException {
    UsageException(String message) {
        super(message);
    }
}
