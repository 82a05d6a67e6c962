package io.caspian.nbd;

/** What the server sends during the handshake, as encoded by {@link OptionReplyEncoder}. */
sealed interface OptionReply {

  /** NBDMAGIC, IHAVEOPT and the handshake flags. */
  record Greeting(int handshakeFlags) implements OptionReply {}

  /** A fixed-newstyle option reply: header plus data. */
  record Reply(int option, int type, byte[] data) implements OptionReply {
    static Reply ack(int option) {
      return new Reply(option, Nbd.REP_ACK, new byte[0]);
    }

    static Reply error(int option, int type, String message) {
      return new Reply(option, type, message.getBytes(java.nio.charset.StandardCharsets.UTF_8));
    }
  }

  /** The answer to NBD_OPT_EXPORT_NAME: size, flags and, unless NO_ZEROES, 124 zero bytes. */
  record ExportNameReply(long size, int transmissionFlags, boolean zeroes) implements OptionReply {}
}
