package io.caspian.nbd;

import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;

/** Builds the handshake-phase pipeline of a new connection. */
final class ConnectionInitializer extends ChannelInitializer<Channel> {

  private final Exports exports;
  private final int maxInFlight;

  ConnectionInitializer(Exports exports, int maxInFlight) {
    this.exports = exports;
    this.maxInFlight = maxInFlight;
  }

  @Override
  protected void initChannel(Channel ch) {
    ch.pipeline().addLast("nbd-options", new OptionDecoder());
    ch.pipeline().addLast("nbd-option-replies", new OptionReplyEncoder());
    ch.pipeline().addLast("nbd-handshake", new HandshakeHandler(exports, maxInFlight));
  }
}
