package io.caspian.nvmf;

import static org.junit.jupiter.api.Assertions.*;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.DecoderException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.CRC32C;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The frame decoder and codec on byte fixtures, with paranoid leak detection. */
class PduCodecTest {

  private final LeakWatch leaks = new LeakWatch();

  @AfterEach
  void noLeaks() throws InterruptedException {
    leaks.check();
  }

  /** ICReq exactly as the probe in nvmf-vm.sh packs it: pfv 0, hpda 0, no digests, maxr2t 0. */
  private static ByteBuf icReqFixture(int digests) {
    ByteBuf b = Unpooled.buffer(128);
    b.writeByte(0).writeByte(0).writeByte(128).writeByte(0).writeIntLE(128);
    b.writeShortLE(0).writeByte(0).writeByte(digests).writeIntLE(0).writeZero(112);
    return b;
  }

  /** A Write command capsule with 512 bytes of in-capsule data, optionally with digests. */
  private static ByteBuf writeCapsuleFixture(boolean hd, boolean dd, byte fill) {
    int hlen = 72;
    int pdo = hlen + (hd ? 4 : 0);
    int plen = pdo + 512 + (dd ? 4 : 0);
    ByteBuf b = Unpooled.buffer(plen);
    b.writeByte(0x04).writeByte((hd ? 1 : 0) | (dd ? 2 : 0)).writeByte(hlen).writeByte(pdo)
        .writeIntLE(plen);
    b.writeByte(0x01).writeByte(0x40).writeShortLE(7).writeIntLE(1).writeZero(16);
    b.writeLongLE(0).writeIntLE(512).writeZero(3).writeByte(0x01);
    b.writeIntLE(8).writeIntLE(0).writeIntLE(0).writeZero(12);
    if (hd) {
      b.writeIntLE(crc(b, 0, hlen));
    }
    int at = b.writerIndex();
    for (int i = 0; i < 512; i++) {
      b.writeByte(fill + i);
    }
    if (dd) {
      b.writeIntLE(crc(b, at, 512));
    }
    return b;
  }

  private static int crc(ByteBuf b, int at, int len) {
    CRC32C c = new CRC32C();
    byte[] bytes = new byte[len];
    b.getBytes(at, bytes);
    c.update(bytes);
    return (int) c.getValue();
  }

  private static EmbeddedChannel target(WireState w) {
    return new EmbeddedChannel(new PduFrameDecoder(w), new PduCodec(w), new Records());
  }

  private static List<Pdu> feedSplit(EmbeddedChannel ch, ByteBuf whole, int split) {
    ch.writeInbound(whole.retainedSlice(0, split));
    ch.writeInbound(whole.retainedSlice(split, whole.readableBytes() - split));
    List<Pdu> out = new ArrayList<>();
    for (Object o; (o = ch.readInbound()) != null; ) {
      out.add((Pdu) o);
    }
    return out;
  }

  @Test
  void icReqSplitAtEveryByte() {
    ByteBuf fx = icReqFixture(3);
    for (int split = 1; split < fx.readableBytes(); split++) {
      EmbeddedChannel ch = target(new WireState(true, 128));
      List<Pdu> got = feedSplit(ch, fx, split);
      assertEquals(List.of(new Pdu.IcReq(0, 0, true, true, 0)), got, "split at " + split);
      assertFalse(ch.finish());
    }
    fx.release();
  }

  @Test
  void commandCapsuleWithDataSplitAtEveryByteWithAndWithoutDigests() {
    for (int mode = 0; mode < 4; mode++) {
      boolean hd = (mode & 1) != 0;
      boolean dd = (mode & 2) != 0;
      ByteBuf fx = writeCapsuleFixture(hd, dd, (byte) mode);
      for (int split = 1; split < fx.readableBytes(); split++) {
        WireState w = new WireState(true, 8192);
        w.negotiated(hd, dd);
        EmbeddedChannel ch = target(w);
        List<Pdu> got = feedSplit(ch, fx, split);
        assertEquals(1, got.size(), "split at " + split);
        Pdu.CapsuleCmd c = (Pdu.CapsuleCmd) got.get(0);
        assertEquals(0x01, c.opcode());
        assertEquals(7, c.cid());
        assertEquals(1, c.nsid());
        assertEquals(0x01, c.sglId());
        assertEquals(512, c.sglLength());
        assertEquals(8, c.cdw10());
        assertEquals(512, c.data().readableBytes());
        assertEquals((byte) (mode + 100), c.data().getByte(c.data().readerIndex() + 100));
        Pdu.release(c);
        assertFalse(ch.finish());
      }
      fx.release();
    }
  }

  /** Every PDU type our encoder writes decodes back to itself, split at every byte. */
  @Test
  void everyPduTypeRoundTripsSplitAtEveryByte() {
    for (int mode = 0; mode < 4; mode++) {
      boolean hd = (mode & 1) != 0;
      boolean dd = (mode & 2) != 0;
      List<Pdu> toController = List.of(
          new Pdu.CapsuleCmd(0x06, 0x40, 3, 0, 0, 4096, 0x5A, 1, 0, 0, 0, 0, 0, null),
          new Pdu.H2CData(5, 2, 4096, true, data(1000)),
          new Pdu.TermReq(false, 1, 2));
      List<Pdu> toHost = List.of(
          new Pdu.CapsuleResp(1, 2, 3, 4, 5, 0x4002),
          new Pdu.C2HData(9, 512, true, true, data(777)),
          new Pdu.R2T(4, 1, 0, 65536),
          new Pdu.TermReq(true, 3, 0));
      roundTrip(true, hd, dd, toController);
      roundTrip(false, hd, dd, toHost);
    }
    roundTripIc(new Pdu.IcReq(0, 0, true, false, 0), true);
    roundTripIc(new Pdu.IcResp(0, 0, false, true, 131072), false);
  }

  private static ByteBuf data(int n) {
    ByteBuf b = Unpooled.directBuffer(n);
    for (int i = 0; i < n; i++) {
      b.writeByte(i * 7);
    }
    return b;
  }

  private static ByteBuf encode(WireState w, Object p) {
    EmbeddedChannel enc = new EmbeddedChannel(new PduCodec(w));
    assertTrue(enc.writeOutbound(p));
    ByteBuf all = Unpooled.buffer();
    for (ByteBuf b; (b = enc.readOutbound()) != null; ) {
      all.writeBytes(b);
      b.release();
    }
    assertFalse(enc.finish());
    return all;
  }

  /**
   * The reusable PDUs of the I/O path encode byte for byte like the records they stand for
   * (which the round trip above checks), and reading the caller's data leaves its indexes alone.
   */
  @Test
  void reusablePdusEncodeExactlyLikeTheirRecords() {
    ByteBuffer src = ByteBuffer.allocateDirect(4096);
    for (int i = 0; i < 4096; i++) {
      src.put(i, (byte) (i * 31));
    }
    src.position(5).limit(9);
    for (int mode = 0; mode < 4; mode++) {
      WireState w = new WireState(false, 1 << 20);
      w.negotiated((mode & 1) != 0, (mode & 2) != 0);
      sameBytes(w, new CommandPdu().set(0x01, 0x40, 9, 1, 0, 2048, 0x01, 8, 0, 3, 0, 0, 0)
          .data(src, 100, 2048),
          new Pdu.CapsuleCmd(0x01, 0x40, 9, 1, 0, 2048, 0x01, 8, 0, 3, 0, 0, 0, copy(src, 100, 2048)));
      sameBytes(w, new CommandPdu().set(0x02, 0x40, 10, 1, 0, 4096, 0x5A, 8, 1, 7, 2, 3, 4),
          new Pdu.CapsuleCmd(0x02, 0x40, 10, 1, 0, 4096, 0x5A, 8, 1, 7, 2, 3, 4, null));
      sameBytes(w, new ResponsePdu().set(1, 2, 3, 4, 5, 0x4002),
          new Pdu.CapsuleResp(1, 2, 3, 4, 5, 0x4002));
      sameBytes(w, new DataPdu().h2c(5, 2, 4096, true, src, 7, 1000),
          new Pdu.H2CData(5, 2, 4096, true, copy(src, 7, 1000)));
      sameBytes(w, new DataPdu().c2h(9, 512, false, true, src, 0, 777),
          new Pdu.C2HData(9, 512, false, true, copy(src, 0, 777)));
      sameBytes(w, new R2tPdu().set(4, 1, 0, 65536), new Pdu.R2T(4, 1, 0, 65536));
    }
    assertEquals(5, src.position());
    assertEquals(9, src.limit());
  }

  private static ByteBuf copy(ByteBuffer src, int at, int len) {
    ByteBuffer all = src.duplicate().clear();
    ByteBuf b = Unpooled.buffer(len);
    for (int i = 0; i < len; i++) {
      b.writeByte(all.get(at + i));
    }
    return b;
  }

  private static void sameBytes(WireState w, Object reusable, Pdu record) {
    ByteBuf a = encode(w, reusable);
    ByteBuf b = encode(w, record);
    assertEquals(b, a, reusable.toString());
    a.release();
    b.release();
  }

  /** PDUs that arrive in one read are each decoded whole, however the bytes are cut. */
  @Test
  void severalPdusInOneReadAreEachSeenWhole() {
    List<Pdu> pdus = List.of(new Pdu.C2HData(1, 0, true, false, data(4096)),
        new Pdu.CapsuleResp(0, 0, 1, 1, 1, 0), new Pdu.R2T(2, 3, 0, 8192),
        new Pdu.C2HData(4, 0, true, true, data(100)));
    for (int mode = 0; mode < 4; mode++) {
      WireState sender = new WireState(true, 1 << 20);
      sender.negotiated((mode & 1) != 0, (mode & 2) != 0);
      ByteBuf all = Unpooled.buffer();
      List<Pdu> expected = new ArrayList<>();
      for (Pdu p : pdus) {
        expected.add(p instanceof Pdu.C2HData d
            ? new Pdu.C2HData(d.cccid(), d.offset(), d.last(), d.success(), d.data().copy()) : p);
        ByteBuf b = encode(sender, p instanceof Pdu.C2HData d
            ? new Pdu.C2HData(d.cccid(), d.offset(), d.last(), d.success(), d.data().retainedDuplicate()) : p);
        all.writeBytes(b);
        b.release();
      }
      for (int split : new int[] {1, 30, 4120, all.readableBytes() - 3}) {
        WireState w = new WireState(false, 1 << 20);
        w.negotiated((mode & 1) != 0, (mode & 2) != 0);
        EmbeddedChannel ch = target(w);
        List<Pdu> got = feedSplit(ch, all, split);
        assertEquals(expected, got, "mode " + mode + " split " + split);
        got.forEach(Pdu::release);
        assertFalse(ch.finish());
      }
      all.release();
      expected.forEach(Pdu::release);
    }
    pdus.forEach(Pdu::release);
  }

  private static void roundTripIc(Pdu p, boolean controllerReceives) {
    ByteBuf bytes = encode(new WireState(!controllerReceives, 128), p);
    for (int split = 1; split < bytes.readableBytes(); split++) {
      EmbeddedChannel ch = target(new WireState(controllerReceives, 128));
      assertEquals(List.of(p), feedSplit(ch, bytes, split));
      assertFalse(ch.finish());
    }
    bytes.release();
  }

  private static void roundTrip(boolean controllerReceives, boolean hd, boolean dd, List<Pdu> pdus) {
    for (Pdu p : pdus) {
      WireState sender = new WireState(!controllerReceives, 1 << 20);
      sender.negotiated(hd, dd);
      ByteBuf expectedData = p instanceof Pdu.WithData wd && wd.data() != null
          ? wd.data().copy() : null;
      ByteBuf bytes = encode(sender, p);
      for (int split = 1; split < bytes.readableBytes(); split++) {
        WireState w = new WireState(controllerReceives, 1 << 20);
        w.negotiated(hd, dd);
        EmbeddedChannel ch = target(w);
        List<Pdu> got = feedSplit(ch, bytes, split);
        assertEquals(1, got.size());
        Pdu q = got.get(0);
        if (expectedData != null) {
          assertEquals(expectedData, ((Pdu.WithData) q).data(), p + " data at split " + split);
          assertEquals(stripData(p), stripData(q), "split " + split);
        } else {
          assertEquals(p, q, "split " + split);
        }
        Pdu.release(q);
        assertFalse(ch.finish());
      }
      bytes.release();
      if (expectedData != null) {
        expectedData.release();
      }
    }
  }

  private static Pdu stripData(Pdu p) {
    if (p instanceof Pdu.H2CData d) {
      return new Pdu.H2CData(d.cccid(), d.ttag(), d.offset(), d.last(), null);
    }
    if (p instanceof Pdu.C2HData d) {
      return new Pdu.C2HData(d.cccid(), d.offset(), d.last(), d.success(), null);
    }
    return p;
  }

  private static void assertClosedWith(EmbeddedChannel ch, ByteBuf bytes, String why) {
    DecoderException e = assertThrows(DecoderException.class, () -> ch.writeInbound(bytes), why);
    assertInstanceOf(PduException.class, e.getCause(), why);
    ch.finishAndReleaseAll();
  }

  @Test
  void badTypeBadHlenAndOversizedPlenAreFatal() {
    WireState w = new WireState(true, 8192);
    w.negotiated(false, false);
    ByteBuf badType = Unpooled.buffer().writeByte(0x08).writeByte(0).writeByte(24).writeByte(0)
        .writeIntLE(24).writeZero(16);
    assertClosedWith(target(w), badType, "unknown PDU type");

    ByteBuf badHlen = writeCapsuleFixture(false, false, (byte) 0);
    badHlen.setByte(2, 64);
    assertClosedWith(target(w), badHlen, "bad hlen");

    ByteBuf huge = Unpooled.buffer().writeByte(0x04).writeByte(0).writeByte(72).writeByte(72)
        .writeIntLE(0x7FFF_FFF0);
    assertClosedWith(target(w), huge, "oversized plen");

    WireState fresh = new WireState(true, 128);
    ByteBuf cmdFirst = writeCapsuleFixture(false, false, (byte) 0);
    assertClosedWith(target(fresh), cmdFirst, "command before ICReq");

    ByteBuf wrongDirection = Unpooled.buffer().writeByte(0x05).writeByte(0).writeByte(24)
        .writeByte(0).writeIntLE(24).writeZero(16);
    assertClosedWith(target(w), wrongDirection, "a response sent to the target");
  }

  @Test
  void digestMismatchIsFatal() {
    WireState w = new WireState(true, 8192);
    w.negotiated(true, true);
    ByteBuf badHeader = writeCapsuleFixture(true, true, (byte) 1);
    badHeader.setByte(20, badHeader.getByte(20) ^ 1);
    assertClosedWith(target(w), badHeader, "header digest");

    ByteBuf badData = writeCapsuleFixture(true, true, (byte) 1);
    badData.setByte(100, badData.getByte(100) ^ 0x40);
    assertClosedWith(target(w), badData, "data digest");

    ByteBuf missingDigest = writeCapsuleFixture(false, false, (byte) 1);
    assertClosedWith(target(w), missingDigest, "digest flags absent");
  }

  @Test
  void connectDataRoundTrips() {
    ConnectData d = new ConnectData(java.util.UUID.randomUUID(), 0xFFFF,
        "nqn.2019-05.io.caspian:x", "nqn.2014-08.org.nvmexpress:uuid:y");
    ByteBuf b = d.encode(io.netty.buffer.ByteBufAllocator.DEFAULT);
    assertEquals(d, ConnectData.parse(b));
    assertEquals("nqn.2019-05.io.caspian:x",
        b.toString(256, 24, StandardCharsets.UTF_8));
    b.release();
  }
}
