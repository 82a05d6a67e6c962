package io.caspian.nbd;

import static io.caspian.nbd.NbdFrames.clientFlags;
import static io.caspian.nbd.NbdFrames.concat;
import static io.caspian.nbd.NbdFrames.goData;
import static io.caspian.nbd.NbdFrames.handshake;
import static io.caspian.nbd.NbdFrames.option;
import static io.caspian.nbd.NbdFrames.request;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.caspian.bdev.BdevException;
import io.caspian.bdev.BlockDevice;
import io.caspian.bdev.ErrorInjectionDevice;
import io.caspian.bdev.Injection;
import io.caspian.bdev.IoType;
import io.caspian.bdev.MallocDevice;
import io.caspian.bdev.SyncIo;
import io.caspian.nbd.NbdFrames.OptReply;
import io.caspian.nbd.NbdFrames.Reply;
import io.caspian.nbd.NbdFrames.ServerStream;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.util.ResourceLeakDetector;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The NBD codecs and handlers on byte fixtures, through an {@link EmbeddedChannel}, with Netty
 * leak detection at PARANOID (a reported leak fails the test).
 */
class NbdCodecTest {

  private static final int SIZE = 64 * 1024;

  private MallocDevice malloc;
  private Exports exports;

  private static ResourceLeakDetector.Level previousLevel;

  @BeforeAll
  static void paranoid() {
    previousLevel = ResourceLeakDetector.getLevel();
    LeakCheck.install();
  }

  @AfterAll
  static void restoreLevel() {
    ResourceLeakDetector.setLevel(previousLevel);
  }

  @BeforeEach
  void setUp() {
    malloc = new MallocDevice("malloc:///codec", SIZE, 512);
    exports = new Exports();
  }

  @AfterEach
  void noLeaks() throws InterruptedException {
    LeakCheck.assertNoLeaks();
  }

  private EmbeddedChannel open(BlockDevice dev, int maxInFlight) {
    if (exports.find("disk") == null) {
      exports.add("disk", dev, false);
    }
    return channel(maxInFlight);
  }

  private EmbeddedChannel channel(int maxInFlight) {
    return new EmbeddedChannel(new ConnectionInitializer(exports, maxInFlight));
  }

  private static void feed(EmbeddedChannel ch, byte[] bytes, int from, int to) {
    if (to > from) {
      ByteBuf b = PooledByteBufAllocator.DEFAULT.directBuffer(to - from);
      b.writeBytes(bytes, from, to - from);
      ch.writeInbound(b);
    }
  }

  private static void feed(EmbeddedChannel ch, byte[]... parts) {
    byte[] all = concat(parts);
    feed(ch, all, 0, all.length);
  }

  private static byte[] drain(EmbeddedChannel ch) {
    ch.runPendingTasks();
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (ByteBuf b; (b = ch.readOutbound()) != null; ) {
      byte[] a = new byte[b.readableBytes()];
      b.readBytes(a);
      b.release();
      out.writeBytes(a);
    }
    return out.toByteArray();
  }

  /** A connection in transmission phase, handshake replies consumed. */
  private EmbeddedChannel transmission(BlockDevice dev, boolean structured, int maxInFlight) {
    EmbeddedChannel ch = open(dev, maxInFlight);
    feed(ch, handshake("disk", structured));
    ServerStream s = new ServerStream(drain(ch));
    s.greeting();
    if (structured) {
      assertEquals(Nbd.REP_ACK, s.optReply().type());
    }
    List<OptReply> go = s.optReplies();
    assertEquals(Nbd.REP_ACK, go.get(go.size() - 1).type());
    assertEquals(0, s.remaining());
    return ch;
  }

  private static byte[] pattern(int n, int seed) {
    byte[] b = new byte[n];
    new Random(seed).nextBytes(b);
    return b;
  }

  // ---------------------------------------------------------------- framing

  @Test
  void everyFrameSplitAtEveryByteGivesTheSameReplies() {
    exports.add("disk", malloc, false);
    for (boolean structured : new boolean[] {true, false}) {
      byte[] data = pattern(1024, 1);
      byte[] fixture = concat(
          handshake("disk", structured),
          request(0, Nbd.CMD_WRITE, 1, 4096, 1024, data),
          request(Nbd.CMD_READ, 2, 4096, 1024),
          request(Nbd.CMD_READ, 3, 4100, 700),
          request(Nbd.CMD_FLUSH, 4, 0, 0),
          request(Nbd.CMD_WRITE_ZEROES, 5, 4096, 512),
          request(Nbd.CMD_READ, 6, 4096, 1024),
          request(Nbd.CMD_TRIM, 7, 8192, 4096),
          request(Nbd.CMD_READ, 8, SIZE, 512),
          request(9, 9, 0, 0),
          request(Nbd.CMD_DISC, 10, 0, 0));

      EmbeddedChannel whole = channel(8);
      feed(whole, fixture, 0, fixture.length);
      byte[] expected = drain(whole);
      assertFalse(whole.isOpen(), "NBD_CMD_DISC closes the connection");
      checkReference(expected, structured, data);

      for (int cut = 1; cut < fixture.length; cut++) {
        EmbeddedChannel ch = channel(8);
        feed(ch, fixture, 0, cut);
        feed(ch, fixture, cut, fixture.length);
        assertArrayEquals(expected, drain(ch), "split at byte " + cut);
        assertFalse(ch.isOpen());
      }
      EmbeddedChannel bytewise = channel(8);
      for (int i = 0; i < fixture.length; i++) {
        feed(bytewise, fixture, i, i + 1);
      }
      assertArrayEquals(expected, drain(bytewise), "one byte at a time");
    }
  }

  private static void checkReference(byte[] out, boolean structured, byte[] data) {
    ServerStream s = new ServerStream(out);
    assertEquals(Nbd.FLAG_FIXED_NEWSTYLE | Nbd.FLAG_NO_ZEROES, s.greeting());
    if (structured) {
      assertEquals(Nbd.REP_ACK, s.optReply().type());
    }
    List<OptReply> go = s.optReplies();
    assertEquals(Nbd.REP_ACK, go.get(go.size() - 1).type());
    ByteBuffer export = ByteBuffer.wrap(infoOf(go, Nbd.INFO_EXPORT));
    export.getShort();
    assertEquals(SIZE, export.getLong());
    int flags = export.getShort();
    int want = Nbd.FLAG_HAS_FLAGS | Nbd.FLAG_SEND_FLUSH | Nbd.FLAG_SEND_FUA | Nbd.FLAG_SEND_TRIM
        | Nbd.FLAG_SEND_WRITE_ZEROES | Nbd.FLAG_CAN_MULTI_CONN | (structured ? Nbd.FLAG_SEND_DF : 0);
    assertEquals(want, flags);
    ByteBuffer sizes = ByteBuffer.wrap(infoOf(go, Nbd.INFO_BLOCK_SIZE));
    sizes.getShort();
    assertEquals(1, sizes.getInt());
    assertEquals(4096, sizes.getInt());
    assertEquals(Nbd.MAX_PAYLOAD, sizes.getInt());

    assertOk(s.reply(), 1);
    assertData(s.reply(1024), 2, data);
    assertData(s.reply(700), 3, Arrays.copyOfRange(data, 4, 704));
    assertOk(s.reply(), 4);
    assertOk(s.reply(), 5);
    byte[] zeroed = data.clone();
    Arrays.fill(zeroed, 0, 512, (byte) 0);
    assertData(s.reply(1024), 6, zeroed);
    assertOk(s.reply(), 7);
    assertError(s.reply(), 8, Nbd.EINVAL);
    assertError(s.reply(), 9, Nbd.EINVAL);
    assertEquals(0, s.remaining());
  }

  private static byte[] infoOf(List<OptReply> replies, int infoType) {
    for (OptReply r : replies) {
      if (r.type() == Nbd.REP_INFO && ByteBuffer.wrap(r.data()).getShort() == infoType) {
        return r.data();
      }
    }
    throw new AssertionError("no NBD_INFO " + infoType + " in " + replies);
  }

  private static void assertOk(Reply r, long cookie) {
    assertEquals(cookie, r.cookie());
    assertEquals(0, r.error(), () -> "error reply " + r);
  }

  private static void assertData(Reply r, long cookie, byte[] data) {
    assertOk(r, cookie);
    if (r.structured()) {
      assertEquals(Nbd.REPLY_TYPE_OFFSET_DATA, r.chunkType());
      assertEquals(Nbd.REPLY_FLAG_DONE, r.flags());
    }
    assertArrayEquals(data, r.data());
  }

  private static void assertError(Reply r, long cookie, int errno) {
    assertEquals(cookie, r.cookie());
    assertEquals(errno, r.error(), () -> "reply " + r);
    if (r.structured()) {
      assertEquals(Nbd.REPLY_TYPE_ERROR, r.chunkType());
      assertEquals(Nbd.REPLY_FLAG_DONE, r.flags());
    }
  }

  @Test
  void badOptionMagicClosesTheConnection() {
    EmbeddedChannel ch = open(malloc, 8);
    feed(ch, clientFlags(Nbd.FLAG_FIXED_NEWSTYLE), new byte[16]);
    drain(ch);
    assertFalse(ch.isOpen());
  }

  @Test
  void aSilentClientIsDroppedAfterTheHandshakeTimeoutButNotInTransmission() {
    EmbeddedChannel silent = open(malloc, 8);
    drain(silent);
    silent.advanceTimeBy(61, TimeUnit.SECONDS);
    silent.runScheduledPendingTasks();
    assertFalse(silent.isOpen());

    EmbeddedChannel idle = transmission(malloc, true, 8);
    idle.advanceTimeBy(120, TimeUnit.SECONDS);
    idle.runScheduledPendingTasks();
    assertTrue(idle.isOpen(), "an idle client in transmission keeps its connection");
  }

  @Test
  void unknownClientFlagsCloseTheConnection() {
    EmbeddedChannel ch = open(malloc, 8);
    feed(ch, clientFlags(1 << 7));
    drain(ch);
    assertFalse(ch.isOpen());
  }

  @Test
  void garbledRequestHeaderClosesOnlyThatConnection() {
    EmbeddedChannel bad = transmission(malloc, true, 8);
    EmbeddedChannel good = transmission(malloc, true, 8);
    byte[] garbage = request(Nbd.CMD_READ, 1, 0, 512);
    garbage[0] ^= 0x55;
    feed(bad, garbage);
    assertEquals(0, drain(bad).length);
    assertFalse(bad.isOpen());

    feed(good, request(Nbd.CMD_READ, 2, 0, 512));
    assertData(new ServerStream(drain(good)).reply(), 2, new byte[512]);
    assertTrue(good.isOpen());
  }

  // ---------------------------------------------------------------- handshake

  @Test
  void unknownAndOversizedOptionsAreRefusedAndTheHandshakeGoesOn() {
    EmbeddedChannel ch = open(malloc, 8);
    feed(ch, clientFlags(Nbd.FLAG_FIXED_NEWSTYLE), option(42, new byte[] {1, 2, 3}));
    byte[] big = new byte[Nbd.MAX_OPTION_LENGTH + 1];
    byte[] bigOption = option(Nbd.OPT_LIST, big);
    for (int i = 0; i < bigOption.length; i += 7000) {
      feed(ch, bigOption, i, Math.min(bigOption.length, i + 7000));
    }
    feed(ch, option(Nbd.OPT_STRUCTURED_REPLY, new byte[] {1}));
    feed(ch, option(Nbd.OPT_GO, new byte[] {0, 0, 0, 9, 'x'}));
    feed(ch, option(Nbd.OPT_GO, goData("nope")));
    feed(ch, option(Nbd.OPT_GO, goData("disk")));
    ServerStream s = new ServerStream(drain(ch));
    s.greeting();
    assertEquals(new OptReplyType(42, Nbd.REP_ERR_UNSUP), OptReplyType.of(s.optReply()));
    assertEquals(new OptReplyType(Nbd.OPT_LIST, Nbd.REP_ERR_TOO_BIG), OptReplyType.of(s.optReply()));
    assertEquals(Nbd.REP_ERR_INVALID, s.optReply().type());
    assertEquals(Nbd.REP_ERR_INVALID, s.optReply().type());
    OptReply unknown = s.optReply();
    assertEquals(Nbd.REP_ERR_UNKNOWN, unknown.type());
    assertTrue(new String(unknown.data(), StandardCharsets.UTF_8).contains("nope"));
    List<OptReply> go = s.optReplies();
    assertEquals(Nbd.REP_ACK, go.get(go.size() - 1).type());
    assertTrue(ch.isOpen());
    feed(ch, request(Nbd.CMD_READ, 7, 0, 512));
    assertData(new ServerStream(drain(ch)).reply(512), 7, new byte[512]);
  }

  private record OptReplyType(int option, int type) {
    static OptReplyType of(OptReply r) {
      return new OptReplyType(r.option(), r.type());
    }
  }

  @Test
  void listInfoAbortAndTheDefaultExport() {
    exports.add("disk", malloc, false);
    exports.add("other", new MallocDevice("malloc:///other", 8192, 4096), true);
    EmbeddedChannel ch = channel(8);
    feed(ch, clientFlags(Nbd.FLAG_FIXED_NEWSTYLE), option(Nbd.OPT_LIST, new byte[0]),
        option(Nbd.OPT_INFO, goData("other", Nbd.INFO_NAME)), option(Nbd.OPT_INFO, goData("")),
        option(Nbd.OPT_ABORT, new byte[0]));
    ServerStream s = new ServerStream(drain(ch));
    s.greeting();
    List<OptReply> list = s.optReplies();
    assertEquals(3, list.size());
    List<String> names = list.subList(0, 2).stream()
        .map(r -> new String(r.data(), 4, r.data().length - 4, StandardCharsets.UTF_8)).sorted()
        .toList();
    assertEquals(List.of("disk", "other"), names);
    List<OptReply> info = s.optReplies();
    ByteBuffer export = ByteBuffer.wrap(infoOf(info, Nbd.INFO_EXPORT));
    export.getShort();
    assertEquals(8192, export.getLong());
    int flags = export.getShort();
    assertEquals(Nbd.FLAG_READ_ONLY, flags & Nbd.FLAG_READ_ONLY);
    assertEquals(0, flags & (Nbd.FLAG_SEND_TRIM | Nbd.FLAG_SEND_WRITE_ZEROES | Nbd.FLAG_SEND_FUA));
    assertEquals("other", new String(infoOf(info, Nbd.INFO_NAME), 2, 5, StandardCharsets.UTF_8));
    // "" is ambiguous with two exports
    assertEquals(Nbd.REP_ERR_UNKNOWN, s.optReply().type());
    assertEquals(Nbd.REP_ACK, s.optReply().type());
    assertFalse(ch.isOpen(), "NBD_OPT_ABORT closes after the ack");

    exports.remove("other");
    EmbeddedChannel single = channel(8);
    feed(single, clientFlags(Nbd.FLAG_FIXED_NEWSTYLE), option(Nbd.OPT_INFO, goData("")));
    ServerStream s2 = new ServerStream(drain(single));
    s2.greeting();
    ByteBuffer e = ByteBuffer.wrap(infoOf(s2.optReplies(), Nbd.INFO_EXPORT));
    e.getShort();
    assertEquals(SIZE, e.getLong(), "the only export is the default one");
  }

  @Test
  void exportNameWithAndWithoutZeroes() {
    exports.add("disk", malloc, false);
    for (boolean noZeroes : new boolean[] {true, false}) {
      EmbeddedChannel ch = channel(8);
      int flags = Nbd.FLAG_FIXED_NEWSTYLE | (noZeroes ? Nbd.FLAG_NO_ZEROES : 0);
      feed(ch, clientFlags(flags), option(Nbd.OPT_EXPORT_NAME,
          "disk".getBytes(StandardCharsets.UTF_8)), request(Nbd.CMD_READ, 3, 512, 512));
      byte[] out = drain(ch);
      ServerStream s = new ServerStream(out);
      s.greeting();
      assertEquals(18 + 10 + (noZeroes ? 0 : 124) + 16 + 512, out.length);
      ByteBuffer b = ByteBuffer.wrap(out, 18, 10);
      assertEquals(SIZE, b.getLong());
    }
    EmbeddedChannel unknown = channel(8);
    feed(unknown, clientFlags(Nbd.FLAG_FIXED_NEWSTYLE),
        option(Nbd.OPT_EXPORT_NAME, "zzz".getBytes(StandardCharsets.UTF_8)));
    drain(unknown);
    assertFalse(unknown.isOpen(), "EXPORT_NAME of an unknown export can only hang up");
  }

  @Test
  void baseAllocationContextAnswersBlockStatusFromMayHoldData() {
    MallocDevice big = new MallocDevice("malloc:///thin", 4 << 20, 512);
    exports.add("disk", new ThinDevice(big, 1 << 20), false);
    EmbeddedChannel ch = channel(8);
    feed(ch, clientFlags(Nbd.FLAG_FIXED_NEWSTYLE),
        option(Nbd.OPT_SET_META_CONTEXT, NbdFrames.metaData("disk", Nbd.BASE_ALLOCATION)),
        option(Nbd.OPT_STRUCTURED_REPLY, new byte[0]),
        option(Nbd.OPT_LIST_META_CONTEXT, NbdFrames.metaData("disk")),
        option(Nbd.OPT_LIST_META_CONTEXT, NbdFrames.metaData("disk", "other:x")),
        option(Nbd.OPT_SET_META_CONTEXT, new byte[] {0, 0, 0, 4, 'd'}),
        option(Nbd.OPT_SET_META_CONTEXT, NbdFrames.metaData("disk", Nbd.BASE_ALLOCATION)),
        option(Nbd.OPT_GO, goData("disk")),
        request(Nbd.CMD_BLOCK_STATUS, 1, 0, 4 << 20),
        request(Nbd.CMD_FLAG_REQ_ONE, Nbd.CMD_BLOCK_STATUS, 2, 512 << 10, 2 << 20, new byte[0]),
        request(Nbd.CMD_BLOCK_STATUS, 3, 3 << 20, 2 << 20));
    ServerStream s = new ServerStream(drain(ch));
    s.greeting();
    assertEquals(Nbd.REP_ERR_INVALID, s.optReply().type(), "needs structured replies first");
    assertEquals(Nbd.REP_ACK, s.optReply().type());
    OptReply listed = s.optReply();
    assertEquals(Nbd.REP_META_CONTEXT, listed.type());
    assertEquals(Nbd.BASE_ALLOCATION, new String(listed.data(), 4, 15, StandardCharsets.UTF_8));
    assertEquals(Nbd.REP_ACK, s.optReply().type());
    assertEquals(Nbd.REP_ACK, s.optReply().type(), "unknown namespaces are ignored");
    assertEquals(Nbd.REP_ERR_INVALID, s.optReply().type());
    OptReply set = s.optReply();
    assertEquals(Nbd.REP_META_CONTEXT, set.type());
    assertEquals(Nbd.BASE_ALLOCATION_ID, ByteBuffer.wrap(set.data()).getInt());
    assertEquals(Nbd.REP_ACK, s.optReply().type());
    List<OptReply> go = s.optReplies();
    assertEquals(Nbd.REP_ACK, go.get(go.size() - 1).type());

    assertExtents(s.reply(), 1, 1 << 20, 0, 3 << 20, 3);
    assertExtents(s.reply(), 2, 512 << 10, 0);
    assertError(s.reply(), 3, Nbd.EINVAL);
  }

  private static void assertExtents(Reply r, long cookie, int... pairs) {
    assertOk(r, cookie);
    assertEquals(Nbd.REPLY_TYPE_BLOCK_STATUS, r.chunkType());
    ByteBuffer b = ByteBuffer.wrap(r.data());
    assertEquals(Nbd.BASE_ALLOCATION_ID, b.getInt());
    int[] got = new int[b.remaining() / 4];
    for (int i = 0; i < got.length; i++) {
      got[i] = b.getInt();
    }
    assertArrayEquals(pairs, got);
  }

  @Test
  void blockStatusWithoutAContextIsRefused() {
    EmbeddedChannel ch = transmission(malloc, true, 8);
    feed(ch, request(Nbd.CMD_BLOCK_STATUS, 1, 0, 4096), request(Nbd.CMD_READ, 2, 0, 512));
    ServerStream s = new ServerStream(drain(ch));
    assertError(s.reply(), 1, Nbd.EINVAL);
    assertData(s.reply(), 2, new byte[512]);
  }

  // ---------------------------------------------------------------- transmission errors

  @Test
  void oversizedWriteIsRefusedItsPayloadSkippedAndTheConnectionUsable() {
    EmbeddedChannel ch = transmission(malloc, true, 8);
    long length = Nbd.MAX_PAYLOAD + 4096L;
    feed(ch, request(0, Nbd.CMD_WRITE, 1, 0, length, new byte[0]));
    byte[] chunk = new byte[1 << 20];
    Arrays.fill(chunk, (byte) 0x5a);
    for (long sent = 0; sent < length; sent += chunk.length) {
      feed(ch, chunk, 0, (int) Math.min(chunk.length, length - sent));
    }
    feed(ch, request(Nbd.CMD_READ, 2, 0, 4096), request(Nbd.CMD_READ, 3, 0, Nbd.MAX_PAYLOAD + 1L));
    ServerStream s = new ServerStream(drain(ch));
    Reply refused = s.reply();
    assertError(refused, 1, Nbd.EINVAL);
    assertTrue(refused.message().contains("maximum payload"), refused.message());
    assertData(s.reply(), 2, new byte[4096]);
    assertError(s.reply(), 3, Nbd.EOVERFLOW);
    assertTrue(ch.isOpen());
  }

  @Test
  void outOfRangeUnknownAndBadFlagsGetErrorsAndTheConnectionStaysUsable() {
    for (boolean structured : new boolean[] {true, false}) {
      EmbeddedChannel ch = transmission(malloc, structured, 8);
      feed(ch,
          request(Nbd.CMD_READ, 1, SIZE - 512, 1024),
          request(0, Nbd.CMD_WRITE, 2, SIZE, 512, new byte[512]),
          request(Nbd.CMD_TRIM, 3, -4096L, 8192),
          request(Nbd.CMD_WRITE_ZEROES, 4, SIZE - 512, 1024),
          request(77, 5, 0, 512),
          request(Nbd.CMD_FLAG_NO_HOLE, Nbd.CMD_READ, 6, 0, 512, new byte[0]),
          request(Nbd.CMD_READ, 7, 0, Nbd.MAX_PAYLOAD + 1L),
          request(Nbd.CMD_READ, 8, SIZE - 512, 512));
      ServerStream s = new ServerStream(drain(ch));
      assertError(s.reply(), 1, Nbd.EINVAL);
      assertError(s.reply(), 2, Nbd.ENOSPC);
      assertError(s.reply(), 3, Nbd.EINVAL);
      assertError(s.reply(), 4, Nbd.ENOSPC);
      assertError(s.reply(), 5, Nbd.EINVAL);
      assertError(s.reply(), 6, Nbd.EINVAL);
      assertError(s.reply(), 7, structured ? Nbd.EOVERFLOW : Nbd.EINVAL);
      assertData(s.reply(512), 8, new byte[512]);
      assertEquals(0, s.remaining());
      assertTrue(ch.isOpen());
    }
  }

  @Test
  void readOnlyExportRefusesWrites() {
    exports.add("disk", malloc, true);
    EmbeddedChannel ch = channel(8);
    feed(ch, handshake("disk", true));
    drain(ch);
    feed(ch, request(0, Nbd.CMD_WRITE, 1, 0, 512, new byte[512]),
        request(Nbd.CMD_WRITE_ZEROES, 2, 0, 512), request(Nbd.CMD_TRIM, 3, 0, 512),
        request(Nbd.CMD_FLUSH, 4, 0, 0));
    ServerStream s = new ServerStream(drain(ch));
    assertError(s.reply(), 1, Nbd.EPERM);
    assertError(s.reply(), 2, Nbd.EPERM);
    assertError(s.reply(), 3, Nbd.EPERM);
    assertOk(s.reply(), 4);
  }

  @Test
  void deviceErrorsBecomeNbdErrorsWithTheDeviceNamed() {
    ErrorInjectionDevice faulty = new ErrorInjectionDevice(malloc);
    faulty.inject(Injection.always(IoType.READ));
    faulty.inject(new Injection(IoType.WRITE, Injection.Stage.SUBMIT, 0, 512, 1,
        BdevException.Kind.NO_SPACE));
    EmbeddedChannel ch = transmission(faulty, true, 8);
    feed(ch, request(Nbd.CMD_READ, 1, 0, 512), request(0, Nbd.CMD_WRITE, 2, 0, 512, new byte[512]),
        request(0, Nbd.CMD_WRITE, 3, 0, 512, new byte[512]));
    ServerStream s = new ServerStream(drain(ch));
    Reply read = s.reply();
    assertError(read, 1, Nbd.EIO);
    assertTrue(read.message().contains("malloc:///codec"), read.message());
    assertError(s.reply(), 2, Nbd.ENOSPC);
    assertOk(s.reply(), 3);
  }

  // ---------------------------------------------------------------- semantics

  @Test
  void fuaWriteIsAnsweredOnlyAfterTheDeviceFlushed() {
    ManualDevice dev = new ManualDevice(malloc);
    EmbeddedChannel ch = transmission(dev, true, 8);
    feed(ch, request(Nbd.CMD_FLAG_FUA, Nbd.CMD_WRITE, 1, 0, 512, pattern(512, 2)));
    assertEquals(List.of("write 0+512"), dev.log);
    dev.completeOne();
    assertEquals(List.of("write 0+512", "flush"), dev.log);
    assertEquals(0, drain(ch).length, "no reply before the flush completed");
    dev.completeOne();
    assertOk(new ServerStream(drain(ch)).reply(), 1);
  }

  @Test
  void repliesGoOutInCompletionOrderAndAFullPoolStallsDecodingUntilOneFrees() {
    ManualDevice dev = new ManualDevice(malloc);
    EmbeddedChannel ch = transmission(dev, true, 2);
    feed(ch, request(Nbd.CMD_READ, 1, 0, 512), request(Nbd.CMD_READ, 2, 512, 512),
        request(Nbd.CMD_READ, 3, 1024, 512), request(Nbd.CMD_READ, 4, 1536, 512));
    assertEquals(2, dev.pending(), "only as many requests as the pool holds reach the device");
    assertFalse(ch.config().isAutoRead(), "reading stops while every request is in flight");
    dev.completeNewest();
    assertEquals(2, new ServerStream(drain(ch)).reply(512).cookie(), "replies need not wait");
    assertEquals(2, dev.pending(), "request 3 was decoded once request 2 freed its slot");
    dev.completeAll();
    ch.runPendingTasks();
    dev.completeAll();
    ServerStream s = new ServerStream(drain(ch));
    long seen = 0;
    while (s.remaining() > 0) {
      seen |= 1L << s.reply(512).cookie();
    }
    assertEquals((1L << 1) | (1L << 3) | (1L << 4), seen);
    assertTrue(ch.config().isAutoRead());
  }

  @Test
  void leakDetectionIsLive() throws InterruptedException {
    PooledByteBufAllocator.DEFAULT.directBuffer(64).writeLong(1);
    assertFalse(LeakCheck.collect().isEmpty(), "a dropped buffer must be reported");
  }

  @Test
  void unalignedWritesAndZeroesAreReadModifyWrite() throws BdevException {
    for (int blockSize : new int[] {512, 4096}) {
      exports = new Exports();
      unalignedWritesAndZeroes(blockSize);
    }
  }

  private void unalignedWritesAndZeroes(int blockSize) throws BdevException {
    BlockDevice dev = new MallocDevice("malloc:///rmw", SIZE, blockSize);
    byte[] base = pattern(SIZE, 3);
    SyncIo.write(dev, 0, ByteBuffer.allocateDirect(SIZE).put(base).flip());
    EmbeddedChannel ch = transmission(dev, true, 8);
    byte[] patch = pattern(777, 4);
    feed(ch, request(0, Nbd.CMD_WRITE, 1, 12345, 777, patch),
        request(Nbd.CMD_WRITE_ZEROES, 2, 100, 10000),
        request(Nbd.CMD_WRITE_ZEROES, 3, 20000, 100),
        request(Nbd.CMD_READ, 4, 0, SIZE));
    byte[] want = base.clone();
    System.arraycopy(patch, 0, want, 12345, 777);
    Arrays.fill(want, 100, 10100, (byte) 0);
    Arrays.fill(want, 20000, 20100, (byte) 0);
    ServerStream s = new ServerStream(drain(ch));
    assertOk(s.reply(), 1);
    assertOk(s.reply(), 2);
    assertOk(s.reply(), 3);
    assertData(s.reply(), 4, want);
  }
}
