package io.caspian.nbd;

import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelPipeline;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/**
 * The server side of the fixed newstyle handshake: EXPORT_NAME, ABORT, LIST, INFO, GO,
 * STRUCTURED_REPLY and the metadata-context options for {@code base:allocation}; every other
 * option is answered with NBD_REP_ERR_UNSUP. When the client enters
 * transmission, this handler rebuilds the pipeline for the transmission phase.
 */
final class HandshakeHandler extends ChannelInboundHandlerAdapter {

  private static final System.Logger LOG = System.getLogger(HandshakeHandler.class.getName());

  private final Exports exports;
  private final int maxInFlight;
  private boolean greeted;
  private boolean flagsSeen;
  private boolean noZeroes;
  private boolean structured;
  /** The export for which base:allocation was selected by the last SET_META_CONTEXT, or null. */
  private NbdExport allocationContextFor;

  HandshakeHandler(Exports exports, int maxInFlight) {
    this.exports = exports;
    this.maxInFlight = maxInFlight;
  }

  @Override
  public void handlerAdded(ChannelHandlerContext ctx) {
    if (ctx.channel().isActive()) {
      greet(ctx);
    }
  }

  @Override
  public void channelActive(ChannelHandlerContext ctx) {
    greet(ctx);
    ctx.fireChannelActive();
  }

  private void greet(ChannelHandlerContext ctx) {
    if (!greeted) {
      greeted = true;
      ctx.writeAndFlush(new OptionReply.Greeting(Nbd.FLAG_FIXED_NEWSTYLE | Nbd.FLAG_NO_ZEROES));
    }
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    NbdServer.connectionFailed(ctx, cause);
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (msg instanceof NbdOption.ClientFlags f) {
      clientFlags(ctx, f.flags());
    } else if (msg instanceof NbdOption.Option o) {
      option(ctx, o.code(), ByteBuffer.wrap(o.data()));
    } else if (msg instanceof NbdOption.Oversized o) {
      reply(ctx, OptionReply.Reply.error(o.code(), Nbd.REP_ERR_TOO_BIG,
          "option data of " + o.length() + " bytes is larger than " + Nbd.MAX_OPTION_LENGTH));
    }
  }

  private void clientFlags(ChannelHandlerContext ctx, int flags) {
    if ((flags & ~Nbd.CLIENT_FLAGS_KNOWN) != 0) {
      // The spec requires a hard disconnect here: the client expects something we do not have.
      LOG.log(System.Logger.Level.WARNING, "{0}: unknown NBD client flags 0x{1}; closing",
          ctx.channel().remoteAddress(), Integer.toHexString(flags));
      ctx.close();
      return;
    }
    flagsSeen = true;
    noZeroes = (flags & Nbd.FLAG_NO_ZEROES) != 0;
  }

  private void option(ChannelHandlerContext ctx, int code, ByteBuffer data) {
    if (!flagsSeen) {
      return;
    }
    switch (code) {
      case Nbd.OPT_EXPORT_NAME -> exportName(ctx, new String(data.array(), StandardCharsets.UTF_8));
      case Nbd.OPT_ABORT -> ctx.writeAndFlush(OptionReply.Reply.ack(code))
          .addListener(ChannelFutureListener.CLOSE);
      case Nbd.OPT_LIST -> list(ctx, data);
      case Nbd.OPT_INFO, Nbd.OPT_GO -> infoOrGo(ctx, code, data);
      case Nbd.OPT_STRUCTURED_REPLY -> {
        if (data.hasRemaining()) {
          reply(ctx, OptionReply.Reply.error(code, Nbd.REP_ERR_INVALID,
              "NBD_OPT_STRUCTURED_REPLY takes no data"));
        } else {
          structured = true;
          reply(ctx, OptionReply.Reply.ack(code));
        }
      }
      case Nbd.OPT_LIST_META_CONTEXT, Nbd.OPT_SET_META_CONTEXT -> metaContext(ctx, code, data);
      default -> reply(ctx, OptionReply.Reply.error(code, Nbd.REP_ERR_UNSUP,
          "option " + code + " is not supported by this server"));
    }
  }

  private void exportName(ChannelHandlerContext ctx, String name) {
    NbdExport export = exports.find(name);
    if (export == null) {
      // EXPORT_NAME cannot carry an error: the only answer the protocol allows is to hang up.
      LOG.log(System.Logger.Level.WARNING, "{0}: NBD_OPT_EXPORT_NAME for unknown export ''{1}''",
          ctx.channel().remoteAddress(), name);
      ctx.close();
      return;
    }
    ctx.write(new OptionReply.ExportNameReply(export.device().size(),
        export.transmissionFlags(structured), !noZeroes));
    enterTransmission(ctx, export);
  }

  private void list(ChannelHandlerContext ctx, ByteBuffer data) {
    if (data.hasRemaining()) {
      reply(ctx, OptionReply.Reply.error(Nbd.OPT_LIST, Nbd.REP_ERR_INVALID,
          "NBD_OPT_LIST takes no data"));
      return;
    }
    for (NbdExport e : exports.all()) {
      byte[] name = e.name().getBytes(StandardCharsets.UTF_8);
      ByteBuffer b = ByteBuffer.allocate(4 + name.length).putInt(name.length).put(name);
      ctx.write(new OptionReply.Reply(Nbd.OPT_LIST, Nbd.REP_SERVER, b.array()));
    }
    reply(ctx, OptionReply.Reply.ack(Nbd.OPT_LIST));
  }

  private void infoOrGo(ChannelHandlerContext ctx, int code, ByteBuffer data) {
    String what = code == Nbd.OPT_GO ? "NBD_OPT_GO" : "NBD_OPT_INFO";
    if (data.remaining() < 6) {
      reply(ctx, OptionReply.Reply.error(code, Nbd.REP_ERR_INVALID, what + " data too short"));
      return;
    }
    long nameLength = Integer.toUnsignedLong(data.getInt());
    if (nameLength > data.remaining() - 2) {
      reply(ctx, OptionReply.Reply.error(code, Nbd.REP_ERR_INVALID,
          what + " export name length " + nameLength + " exceeds the option data"));
      return;
    }
    String name = new String(data.array(), data.position(), (int) nameLength, StandardCharsets.UTF_8);
    data.position(data.position() + (int) nameLength);
    int count = Short.toUnsignedInt(data.getShort());
    if (data.remaining() != 2 * count) {
      reply(ctx, OptionReply.Reply.error(code, Nbd.REP_ERR_INVALID,
          what + " lists " + count + " information requests but carries "
              + data.remaining() + " bytes for them"));
      return;
    }
    boolean wantName = false;
    for (int i = 0; i < count; i++) {
      int info = Short.toUnsignedInt(data.getShort());
      wantName |= info == Nbd.INFO_NAME;
    }
    NbdExport export = exports.find(name);
    if (export == null) {
      reply(ctx, OptionReply.Reply.error(code, Nbd.REP_ERR_UNKNOWN,
          "no export named '" + name + "' on this server"));
      return;
    }
    ByteBuffer info = ByteBuffer.allocate(12).putShort((short) Nbd.INFO_EXPORT)
        .putLong(export.device().size()).putShort((short) export.transmissionFlags(structured));
    ctx.write(new OptionReply.Reply(code, Nbd.REP_INFO, info.array()));
    // Sent whether or not it was asked for: the constraints are the defaults anyway (minimum 1).
    ByteBuffer sizes = ByteBuffer.allocate(14).putShort((short) Nbd.INFO_BLOCK_SIZE).putInt(1)
        .putInt(export.preferredBlockSize()).putInt(Nbd.MAX_PAYLOAD);
    ctx.write(new OptionReply.Reply(code, Nbd.REP_INFO, sizes.array()));
    if (wantName) {
      byte[] canonical = export.name().getBytes(StandardCharsets.UTF_8);
      ByteBuffer b = ByteBuffer.allocate(2 + canonical.length).putShort((short) Nbd.INFO_NAME)
          .put(canonical);
      ctx.write(new OptionReply.Reply(code, Nbd.REP_INFO, b.array()));
    }
    ctx.write(OptionReply.Reply.ack(code));
    if (code == Nbd.OPT_GO) {
      enterTransmission(ctx, export);
    } else {
      ctx.flush();
    }
  }

  /**
   * LIST_META_CONTEXT and SET_META_CONTEXT. The only context is {@code base:allocation}, answered
   * from {@link io.caspian.bdev.BlockDevice#mayHoldData}; queries in other namespaces are ignored.
   */
  private void metaContext(ChannelHandlerContext ctx, int code, ByteBuffer data) {
    boolean set = code == Nbd.OPT_SET_META_CONTEXT;
    String what = set ? "NBD_OPT_SET_META_CONTEXT" : "NBD_OPT_LIST_META_CONTEXT";
    if (set) {
      allocationContextFor = null; // replaced by this request, even when it fails
    }
    if (!structured) {
      reply(ctx, OptionReply.Reply.error(code, Nbd.REP_ERR_INVALID,
          what + " needs NBD_OPT_STRUCTURED_REPLY first"));
      return;
    }
    String name = lengthPrefixed(data);
    if (name == null || data.remaining() < 4) {
      reply(ctx, OptionReply.Reply.error(code, Nbd.REP_ERR_INVALID, what + " data is malformed"));
      return;
    }
    long count = Integer.toUnsignedLong(data.getInt());
    boolean selected = count == 0 && !set; // listing with no query lists everything
    for (long i = 0; i < count; i++) {
      String query = lengthPrefixed(data);
      if (query == null) {
        reply(ctx, OptionReply.Reply.error(code, Nbd.REP_ERR_INVALID,
            what + " query " + i + " runs past the option data"));
        return;
      }
      selected |= query.equals(Nbd.BASE_ALLOCATION) || (!set && query.equals("base:"));
    }
    NbdExport export = exports.find(name);
    if (export == null) {
      reply(ctx, OptionReply.Reply.error(code, Nbd.REP_ERR_UNKNOWN,
          "no export named '" + name + "' on this server"));
      return;
    }
    if (selected) {
      byte[] context = Nbd.BASE_ALLOCATION.getBytes(StandardCharsets.UTF_8);
      ByteBuffer b = ByteBuffer.allocate(4 + context.length)
          .putInt(set ? Nbd.BASE_ALLOCATION_ID : 0).put(context);
      ctx.write(new OptionReply.Reply(code, Nbd.REP_META_CONTEXT, b.array()));
      if (set) {
        allocationContextFor = export;
      }
    }
    reply(ctx, OptionReply.Reply.ack(code));
  }

  /** A string with a 32-bit length in front, or null when it does not fit in {@code data}. */
  private static String lengthPrefixed(ByteBuffer data) {
    if (data.remaining() < 4) {
      return null;
    }
    long length = Integer.toUnsignedLong(data.getInt());
    if (length > data.remaining()) {
      return null;
    }
    String s = new String(data.array(), data.position(), (int) length, StandardCharsets.UTF_8);
    data.position(data.position() + (int) length);
    return s;
  }

  private void reply(ChannelHandlerContext ctx, OptionReply reply) {
    ctx.writeAndFlush(reply);
  }

  /** Swaps the handshake handlers for the transmission ones; the order of steps matters. */
  private void enterTransmission(ChannelHandlerContext ctx, NbdExport export) {
    // Joined before the reply is flushed, so that an unexport the client may see as later than
    // its connect does close this connection; and checked again in case it was just removed.
    export.channels().add(ctx.channel());
    if (!exports.isCurrent(export)) {
      ctx.close();
      return;
    }
    RequestPool pool = new RequestPool(maxInFlight, Math.max(4096, export.device().bufferAlignment()));
    ChannelPipeline p = ctx.pipeline();
    String decoder = p.context(OptionDecoder.class).name();
    p.addAfter(decoder, "nbd-requests", new RequestDecoder(pool));
    p.addAfter("nbd-requests", "nbd-replies", new ReplyEncoder(pool, structured));
    p.remove(OptionReplyEncoder.class);
    if (p.get(ConnectionInitializer.HANDSHAKE_TIMEOUT) != null) {
      p.remove(ConnectionInitializer.HANDSHAKE_TIMEOUT);
    }
    p.replace(this, "nbd-transmission", new TransmissionHandler(export, pool, structured,
        allocationContextFor == export));
    // Removed last: it hands any bytes the client already sent to the request decoder.
    p.remove(OptionDecoder.class);
    ctx.channel().flush();
    LOG.log(System.Logger.Level.DEBUG, "{0}: transmission on export ''{1}'' (structured={2})",
        ctx.channel().remoteAddress(), export.name(), structured);
  }
}
