package io.caspian.nbd;

/** What a client sends during the handshake, as decoded by {@link OptionDecoder}. */
sealed interface NbdOption {

  /** The 32-bit client flags that open the handshake. */
  record ClientFlags(int flags) implements NbdOption {}

  /** One option with its data. */
  record Option(int code, byte[] data) implements NbdOption {}

  /** An option whose data was longer than the server accepts; the data has been skipped. */
  record Oversized(int code, long length) implements NbdOption {}
}
