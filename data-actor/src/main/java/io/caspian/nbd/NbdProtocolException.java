package io.caspian.nbd;

/** The peer broke NBD framing; the connection it came on is closed, nothing else. */
final class NbdProtocolException extends RuntimeException {

  NbdProtocolException(String message) {
    super(message, null, false, false);
  }
}
