package io.caspian.nbd;

import io.caspian.bdev.BlockDevice;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.ServerChannel;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.timeout.ReadTimeoutException;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * An NBD server: listens on one address and serves any number of named exports, each backed by a
 * {@link BlockDevice}, to any number of connections (several per export are fine: every
 * connection submits to the same device, so flushes and FUA are coherent across them and the
 * server advertises NBD_FLAG_CAN_MULTI_CONN).
 *
 * <p>Exports are added and removed while the server runs; removing one closes its connections.
 * A client asking for the default export (the empty name) gets the export named "" if there is
 * one, otherwise the only export if there is exactly one. The transport is epoll when the native
 * library loads, NIO otherwise.
 *
 * <p>What clients are told: minimum block size 1 (requests that do not fall on device blocks are
 * served by read-modify-write, atomic against all other writes to the export), preferred block
 * size 4096 (or the device's, if larger), maximum payload 32 MiB; larger READ/WRITE requests get
 * an NBD error and the connection stays usable. Structured replies, FUA, FLUSH, TRIM,
 * WRITE_ZEROES, multi-connection and the {@code base:allocation} context (from {@link
 * BlockDevice#mayHoldData}) are offered; read-only exports advertise READ_ONLY and refuse writes.
 *
 * <pre>{@code
 * try (NbdServer server = NbdServer.start("127.0.0.1", 0)) {
 *   server.export("disk1", device, false);
 *   int port = server.port();   // nbd://127.0.0.1:<port>/disk1
 * }
 * }</pre>
 */
public final class NbdServer implements AutoCloseable {

  private static final System.Logger LOG = System.getLogger(NbdServer.class.getName());

  /** Requests tracked per connection; more pipelined requests wait in the socket. */
  public static final int DEFAULT_MAX_IN_FLIGHT = 128;

  private final Exports exports = new Exports();
  private final EventLoopGroup group;
  private final Channel listener;

  private NbdServer(String host, int port, int threads, int maxInFlight, boolean allowEpoll)
      throws IOException {
    boolean epoll = allowEpoll && Epoll.isAvailable();
    IoHandlerFactory io = epoll ? EpollIoHandler.newFactory() : NioIoHandler.newFactory();
    Class<? extends ServerChannel> channelType =
        epoll ? EpollServerSocketChannel.class : NioServerSocketChannel.class;
    group = new MultiThreadIoEventLoopGroup(threads, new DefaultThreadFactory("nbd"), io);
    try {
      listener = new ServerBootstrap()
          .group(group)
          .channel(channelType)
          .option(ChannelOption.SO_REUSEADDR, true)
          .childOption(ChannelOption.TCP_NODELAY, true)
          .childHandler(new ConnectionInitializer(exports, maxInFlight))
          .bind(host, port)
          .syncUninterruptibly()
          .channel();
    } catch (Exception e) { // bind failures arrive as undeclared checked exceptions
      group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
      throw new IOException("NBD server cannot listen on " + host + ":" + port + ": " + e, e);
    }
    LOG.log(System.Logger.Level.INFO, "NBD server listening on {0} ({1})", listener.localAddress(),
        epoll ? "epoll" : "nio");
  }

  /**
   * Starts a server on {@code host:port} ({@code port} 0 picks a free port, see {@link #port()}),
   * with one event loop per core up to four.
   */
  public static NbdServer start(String host, int port) throws IOException {
    return start(host, port, Math.min(4, Runtime.getRuntime().availableProcessors()),
        DEFAULT_MAX_IN_FLIGHT);
  }

  public static NbdServer start(String host, int port, int threads, int maxInFlight)
      throws IOException {
    if (port < 0 || port > 65535) {
      throw new IllegalArgumentException("NBD port must be 0..65535, not " + port);
    }
    if (threads < 1 || maxInFlight < 1) {
      throw new IllegalArgumentException(
          "NBD server needs threads >= 1 and maxInFlight >= 1, not " + threads + "/" + maxInFlight);
    }
    return new NbdServer(host, port, threads, maxInFlight, true);
  }

  /** A server on NIO even where epoll works, so that tests cover the fallback transport too. */
  static NbdServer startNio(String host, int port) throws IOException {
    return new NbdServer(host, port, 2, DEFAULT_MAX_IN_FLIGHT, false);
  }

  /** The bound address. */
  public InetSocketAddress address() {
    return (InetSocketAddress) listener.localAddress();
  }

  /** The bound port (the ephemeral one when started with port 0). */
  public int port() {
    return address().getPort();
  }

  /**
   * Exports {@code device} as {@code name}.
   *
   * @throws IllegalArgumentException if the name is taken or longer than 4096 bytes
   */
  public void export(String name, BlockDevice device, boolean readOnly) {
    exports.add(name, device, readOnly);
    LOG.log(System.Logger.Level.INFO, "NBD export ''{0}'' -> {1}{2}", name, device.uri(),
        readOnly ? " (read-only)" : "");
  }

  /** Removes an export and closes its connections; the device stays open. */
  public boolean unexport(String name) {
    return exports.remove(name);
  }

  /** Names of the current exports. */
  public List<String> exportNames() {
    return exports.all().stream().map(NbdExport::name).sorted().toList();
  }

  /**
   * Connections and requests in flight of every export, by name; read from the live connections,
   * so the I/O path does nothing for it.
   */
  public List<NbdExportStats> exportStats() {
    return exports.all().stream().map(NbdServer::stats)
        .sorted(Comparator.comparing(NbdExportStats::name)).toList();
  }

  private static NbdExportStats stats(NbdExport e) {
    int connections = 0;
    int inFlight = 0;
    for (Channel ch : e.channels()) {
      TransmissionHandler h = ch.pipeline().get(TransmissionHandler.class);
      if (h != null) {
        connections++;
        inFlight += h.inFlight();
      }
    }
    return new NbdExportStats(e.name(), connections, inFlight);
  }

  /** Stops listening and closes every connection. The devices stay open. */
  @Override
  public void close() {
    listener.close().syncUninterruptibly();
    exports.closeAll();
    group.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
  }

  /** What every handler does with an exception: log it and close only this connection. */
  static void connectionFailed(ChannelHandlerContext ctx, Throwable cause) {
    String what = "NBD connection " + ctx.channel().remoteAddress() + ": ";
    if (cause instanceof ReadTimeoutException) {
      LOG.log(System.Logger.Level.INFO, what + "no handshake within the timeout; closing it");
    } else if (cause instanceof NbdProtocolException || cause instanceof IOException) {
      System.Logger.Level level = cause instanceof IOException
          ? System.Logger.Level.DEBUG : System.Logger.Level.WARNING;
      LOG.log(level, what + cause.getMessage() + " (closing this connection)");
    } else {
      LOG.log(System.Logger.Level.WARNING, what + cause + " (closing this connection)", cause);
    }
    ctx.close();
  }
}
