package io.caspian.nbd;

import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.handler.timeout.ReadTimeoutHandler;

/** Builds the handshake-phase pipeline of a new connection. */
final class ConnectionInitializer extends ChannelInitializer<Channel> {

  /** Name of the handler that bounds the handshake; removed when transmission starts. */
  static final String HANDSHAKE_TIMEOUT = "nbd-handshake-timeout";
  private static final int HANDSHAKE_SECONDS = 60;

  private final Exports exports;
  private final int maxInFlight;

  ConnectionInitializer(Exports exports, int maxInFlight) {
    this.exports = exports;
    this.maxInFlight = maxInFlight;
  }

  @Override
  protected void initChannel(Channel ch) {
    // A client that connects and then says nothing must not hold the connection forever.
    ch.pipeline().addLast(HANDSHAKE_TIMEOUT, new ReadTimeoutHandler(HANDSHAKE_SECONDS));
    ch.pipeline().addLast("nbd-options", new OptionDecoder());
    ch.pipeline().addLast("nbd-option-replies", new OptionReplyEncoder());
    ch.pipeline().addLast("nbd-handshake", new HandshakeHandler(exports, maxInFlight));
  }
}
