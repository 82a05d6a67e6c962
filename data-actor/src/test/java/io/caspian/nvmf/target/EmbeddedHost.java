package io.caspian.nvmf.target;

import static io.caspian.nvmf.Nvme.FABRICS;
import static io.caspian.nvmf.Nvme.FCTYPE_CONNECT;
import static io.caspian.nvmf.Nvme.SGL_INCAPSULE;
import static io.caspian.nvmf.Nvme.SGL_TRANSPORT;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.caspian.nvmf.ConnectData;
import io.caspian.nvmf.Pdu;
import io.caspian.nvmf.PduCodec;
import io.caspian.nvmf.PduFrameDecoder;
import io.caspian.nvmf.Records;
import io.caspian.nvmf.WireState;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/**
 * One host-side connection to a target pipeline on an {@link EmbeddedChannel}, driven PDU by PDU as
 * a host would, with no socket: what the target's tests send and read back.
 */
final class EmbeddedHost {
  final EmbeddedChannel target = new EmbeddedChannel();
  final WireState out = new WireState(false, 1 << 20);
  final WireState in = new WireState(false, 1 << 20);
  final EmbeddedChannel enc = new EmbeddedChannel(new PduCodec(out));
  final EmbeddedChannel dec = new EmbeddedChannel(new PduFrameDecoder(in), new PduCodec(in),
      new Records());
  int cid;

  /** Installs the pipeline over {@code exports} and negotiates the digests {@code hd}, {@code dd}. */
  EmbeddedHost(Exports exports, boolean hd, boolean dd) {
    NvmfTarget.pipeline(target, exports);
    sendRaw(new Pdu.IcReq(0, 0, hd, dd, 0));
    Pdu.IcResp r = (Pdu.IcResp) receive().get(0);
    out.negotiated(r.hdgst(), r.ddgst());
    in.negotiated(r.hdgst(), r.ddgst());
  }

  /** A PDU (encoded first) or raw bytes into the target; then runs what it posted to its loop. */
  void sendRaw(Object pduOrBytes) {
    if (pduOrBytes instanceof Pdu p) {
      enc.writeOutbound(p);
      for (ByteBuf b; (b = enc.readOutbound()) != null; ) {
        target.writeInbound(b);
      }
    } else {
      target.writeInbound(pduOrBytes);
    }
    target.runPendingTasks();
  }

  /** What the target sent, after running the tasks posted to its event loop since (notices). */
  List<Pdu> receive() {
    target.runPendingTasks();
    for (ByteBuf b; (b = target.readOutbound()) != null; ) {
      dec.writeInbound(b);
    }
    List<Pdu> got = new ArrayList<>();
    for (Object o; (o = dec.readInbound()) != null; ) {
      got.add((Pdu) o);
    }
    return got;
  }

  /** Sends a command and returns the PDUs that answer it (data first, response last). */
  List<Pdu> command(int opcode, int nsid, int sglId, int sglLen, int cdw10, int cdw11,
      int cdw12, ByteBuf data) {
    sendRaw(new Pdu.CapsuleCmd(opcode, 0x40, ++cid, nsid, 0, sglLen, sglId, cdw10, cdw11,
        cdw12, 0, 0, 0, data));
    return receive();
  }

  /** A command without data, answered by one response. */
  Pdu.CapsuleResp simple(int opcode, int nsid, int cdw10, int cdw11, int cdw12) {
    List<Pdu> r = command(opcode, nsid, SGL_TRANSPORT, 0, cdw10, cdw11, cdw12, null);
    assertEquals(1, r.size(), r.toString());
    return (Pdu.CapsuleResp) r.get(0);
  }

  /** A Fabrics Connect of queue {@code qid} to {@code subNqn} as {@code host}, with a new host id. */
  Pdu.CapsuleResp connect(String subNqn, int qid, int cntlid, String host, int kato) {
    ByteBuf d = new ConnectData(UUID.randomUUID(), cntlid, subNqn, host)
        .encode(Unpooled.buffer().alloc());
    List<Pdu> r = command(FABRICS, FCTYPE_CONNECT, SGL_INCAPSULE, 1024, qid << 16, 31, kato, d);
    return (Pdu.CapsuleResp) r.get(0);
  }

  void close() {
    target.finishAndReleaseAll();
    enc.finishAndReleaseAll();
    dec.finishAndReleaseAll();
  }
}
