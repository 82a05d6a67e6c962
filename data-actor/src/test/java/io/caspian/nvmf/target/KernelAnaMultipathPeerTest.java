package io.caspian.nvmf.target;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.caspian.bdev.DirectMemory;
import io.caspian.bdev.MallocDevice;
import io.caspian.bdev.SyncIo;
import io.caspian.nvmf.Nvme;
import io.caspian.nvmf.PeerScript;
import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * Failover of one volume between two targets, proven with the Linux 6.1 kernel host in a VM
 * ({@code java-vm.sh run}): two of our targets on two ports export the same subsystem NQN and
 * namespace uuid over one device, A optimized and B inaccessible. The kernel must join them into
 * one multipath namespace with two controllers and send I/O down A; then the test flips the states
 * (B optimized, A inaccessible) while the guest writes, and the kernel must see the change
 * (through the ANA change notices, or the path errors of A) and keep every byte. A last flip back
 * with no I/O running shows the notices alone suffice.
 */
class KernelAnaMultipathPeerTest {

  private static final long TIMEOUT_S = 420;
  private static final int MB = 1 << 20;
  private static final String FLIP_MARKER = "ana-guest: FLIP-NOW";
  private static final String SEEN_MARKER = "ana-guest: SEEN after";
  private static final String FLIP_BACK_MARKER = "ana-guest: FLIP-BACK-NOW";

  /**
   * The guest's part, with the host's 127.0.0.1 as 10.0.2.2. Polls sysfs with bash builtins and
   * {@code read -t} on a fifo rather than forks, which cost 30-150 ms each under TCG.
   */
  private static final String GUEST = """
      set -u
      NQN=$1; PA=$2; PB=$3
      log() { echo "ana-guest: $*"; }
      fail() { log "FAIL $*"; nvme list-subsys 2>&1; dmesg | grep -i nvme | tail -n 30; \
        nvme disconnect -n "$NQN" >/dev/null 2>&1; exit 1; }
      mkfifo /tmp/tick; exec 9<>/tmp/tick
      nap() { read -t "$1" -u 9 || true; }
      log "multipath=$(cat /sys/module/nvme_core/parameters/multipath)"
      nvme connect -t tcp -a 10.0.2.2 -s "$PA" -n "$NQN" -i 1 || fail "connect A"
      nvme connect -t tcp -a 10.0.2.2 -s "$PB" -n "$NQN" -i 1 || fail "connect B"
      SUB=""; HEAD=""
      for i in $(seq 100); do
        for s in /sys/class/nvme-subsystem/nvme-subsys*; do
          read -r q < "$s/subsysnqn" && [ "$q" = "$NQN" ] && SUB=$s
        done
        if [ -n "$SUB" ]; then
          for e in "$SUB"/nvme*; do [[ ${e##*/} =~ ^nvme[0-9]+n[0-9]+$ ]] && HEAD=${e##*/}; done
        fi
        [ -n "$HEAD" ] && [ -b "/dev/$HEAD" ] && break
        nap 0.1
      done
      [ -n "$HEAD" ] && [ -b "/dev/$HEAD" ] || fail "no multipath namespace for $NQN"
      CTRLS=0
      for e in "$SUB"/nvme*; do [[ ${e##*/} =~ ^nvme[0-9]+$ ]] && CTRLS=$((CTRLS + 1)); done
      log "subsystem ${SUB##*/} head /dev/$HEAD controllers $CTRLS"
      nvme list-subsys 2>&1
      for e in "$SUB"/nvme*; do
        [[ ${e##*/} =~ ^nvme[0-9]+$ ]] && log "${e##*/} id-ctrl: $(nvme id-ctrl "/dev/${e##*/}"           | grep -E '^(cntlid|cmic|oaes|anatt|anacap|anagrpmax|nanagrpid|mnan) ' | tr -s ' ' | tr '\n' ' ')"
      done
      [ "$CTRLS" = 2 ] || fail "expected 2 controllers in ${SUB##*/}, saw $CTRLS"
      NHEADS=0
      for e in "$SUB"/nvme*; do [[ ${e##*/} =~ ^nvme[0-9]+n[0-9]+$ ]] && NHEADS=$((NHEADS + 1)); done
      [ "$NHEADS" = 1 ] || fail "expected one namespace head, saw $NHEADS"
      # st PORT: the ana_state of the path through the controller connected to PORT, in $ST
      st() {
        ST=none
        local c d a
        for c in "$SUB"/nvme*; do
          [[ ${c##*/} =~ ^nvme[0-9]+$ ]] || continue
          read -r a < "$c/address" || continue
          [[ $a == *"trsvcid=$1"* ]] || continue
          for d in "$c"/nvme*c*n*; do
            [ -r "$d/ana_state" ] && { read -r ST < "$d/ana_state"; return; }
          done
        done
      }
      states() { st "$PA"; SA=$ST; st "$PB"; SB=$ST; }
      for i in $(seq 100); do states; [ "$SA" = optimized ] && [ "$SB" = inaccessible ] && break; nap 0.1; done
      log "before: A=$SA B=$SB"
      [ "$SA" = optimized ] && [ "$SB" = inaccessible ] || fail "states before the flip"
      dd if=/dev/urandom of=/tmp/p1 bs=1M count=4 status=none
      dd if=/tmp/p1 of="/dev/$HEAD" bs=1M oflag=direct conv=fsync status=none || fail "write 1"
      dd if="/dev/$HEAD" of=/tmp/r1 bs=1M count=4 iflag=direct status=none || fail "read 1"
      cmp /tmp/p1 /tmp/r1 || fail "data 1 differs"
      log "phase1 md5 $(md5sum < /tmp/p1 | cut -c1-32) verified through A"
      # Writes that run across the flip: 8 MiB at 8 MiB in 4 KiB direct writes (~10 s under TCG).
      dd if=/dev/urandom of=/tmp/p2 bs=1M count=8 status=none
      dd if=/tmp/p2 of="/dev/$HEAD" bs=4k seek=2048 oflag=direct conv=fsync status=none &
      DD=$!
      T0=$EPOCHREALTIME
      log "FLIP-NOW"
      for i in $(seq 1200); do states; [ "$SA" = inaccessible ] && [ "$SB" = optimized ] && break; nap 0.05; done
      T1=$EPOCHREALTIME
      MS=$(( (${T1/./} - ${T0/./}) / 1000 ))
      log "SEEN after: A=$SA B=$SB ${MS} ms after the marker (guest clock)"
      [ "$SA" = inaccessible ] && [ "$SB" = optimized ] || fail "the kernel did not see the flip"
      kill -0 $DD 2>/dev/null && log "writes still running when the flip was seen" || log "writes had ended before the flip was seen"
      wait $DD || fail "writes across the flip failed"
      log "writes across the flip done after $(( (${EPOCHREALTIME/./} - ${T0/./}) / 1000 )) ms"
      dd if="/dev/$HEAD" of=/tmp/r2 bs=4k skip=2048 count=2048 iflag=direct status=none || fail "read 2"
      cmp /tmp/p2 /tmp/r2 || fail "data written across the flip differs"
      for e in "$SUB"/nvme*; do
        [[ ${e##*/} =~ ^nvme[0-9]+$ ]] && { log "${e##*/} ana-log:"; nvme ana-log "/dev/${e##*/}" 2>&1; }
      done
      # The same writes after the flip, to compare their time with the writes across it.
      dd if=/dev/urandom of=/tmp/p3 bs=1M count=8 status=none
      T2=$EPOCHREALTIME
      dd if=/tmp/p3 of="/dev/$HEAD" bs=4k oflag=direct conv=fsync status=none || fail "write 3"
      log "the same writes after the flip took $(( (${EPOCHREALTIME/./} - ${T2/./}) / 1000 )) ms"
      dd if="/dev/$HEAD" of=/tmp/r3 bs=1M count=8 iflag=direct status=none || fail "read 3"
      cmp /tmp/p3 /tmp/r3 || fail "data 3 differs"
      log "across md5 $(md5sum < /tmp/p2 | cut -c1-32) phase3 md5 $(md5sum < /tmp/p3 | cut -c1-32) verified through B"
      # Back again with no I/O running: no path error can tell the kernel, only the notices.
      T0=$EPOCHREALTIME
      log "FLIP-BACK-NOW"
      for i in $(seq 1200); do states; [ "$SA" = optimized ] && [ "$SB" = inaccessible ] && break; nap 0.05; done
      log "SEEN back: A=$SA B=$SB $(( (${EPOCHREALTIME/./} - ${T0/./}) / 1000 )) ms after the marker, with no I/O running"
      [ "$SA" = optimized ] && [ "$SB" = inaccessible ] || fail "the kernel did not see the flip back"
      dd if="/dev/$HEAD" of=/tmp/r4 bs=1M count=8 iflag=direct status=none || fail "read 4"
      cmp /tmp/p3 /tmp/r4 || fail "data 3 differs when read through A"
      dmesg | grep -iE "nvme|ana" | tail -n 20
      nvme disconnect -n "$NQN" || fail "disconnect"
      log "PASS"
      """;

  @Test
  void linuxMultipathFollowsAnaStatesAcrossTwoTargets() throws Exception {
    PeerScript.peersDir();
    MallocDevice dev = new MallocDevice("malloc:///ana-shared", 64L * MB, 512);
    UUID uuid = UUID.randomUUID();
    String nqn = Nvme.nqnFor(uuid);
    try (NvmfTarget a = NvmfTarget.bind("127.0.0.1", 0, TargetConfig.defaults(), 1);
        NvmfTarget b = NvmfTarget.bind("127.0.0.1", 0, TargetConfig.defaults(), 1)) {
      // Linux refuses a second controller whose id it already has in the subsystem.
      a.controllerIds(1, 999);
      b.controllerIds(1000, 1999);
      a.addSubsystem(nqn, dev, Set.of(), uuid, Pages.MODEL);
      b.addSubsystem(nqn, dev, Set.of(), uuid, Pages.MODEL);
      b.setAnaState(nqn, AnaState.INACCESSIBLE);
      try (PeerScript p = PeerScript.start(Map.of("BP_TIMEOUT", Long.toString(TIMEOUT_S)),
          "java-vm.sh", "run", "--", "bash", "-c", GUEST, "ana-guest", nqn,
          Integer.toString(a.port()), Integer.toString(b.port()))) {
        long deadline = System.nanoTime() + TIMEOUT_S * 1_000_000_000L;
        while (!p.printed(FLIP_MARKER) && p.alive() && System.nanoTime() < deadline) {
          Thread.sleep(50);
        }
        assertTrue(p.printed(FLIP_MARKER), "the guest never reached the flip: " + p.verdict());
        long flipped = System.nanoTime();
        // B first, so the namespace always has a usable path.
        b.setAnaState(nqn, AnaState.OPTIMIZED);
        a.setAnaState(nqn, AnaState.INACCESSIBLE);
        System.out.println("host: flipped the ANA states (A inaccessible, B optimized)");
        while (!p.printed(SEEN_MARKER) && p.alive() && System.nanoTime() < deadline) {
          Thread.sleep(20);
        }
        System.out.printf("host: the guest reported the flip %d ms after the host made it"
            + " (includes ~0.2 s of output polling)%n", (System.nanoTime() - flipped) / 1_000_000);
        while (!p.printed(FLIP_BACK_MARKER) && p.alive() && System.nanoTime() < deadline) {
          Thread.sleep(50);
        }
        assertTrue(p.printed(FLIP_BACK_MARKER), "the guest never reached the flip back: " + p.verdict());
        a.setAnaState(nqn, AnaState.OPTIMIZED);
        b.setAnaState(nqn, AnaState.INACCESSIBLE);
        System.out.println("host: flipped back (A optimized, B inaccessible)");
        int rc = p.await(Math.max(1, (deadline - System.nanoTime()) / 1_000_000_000L));
        System.out.println("peer verdict: " + p.verdict());
        assertEquals(0, rc, "java-vm.sh run failed: " + p.verdict());
        assertTrue(p.printed("ana-guest: PASS"));
        assertTrue(p.printed("before: A=optimized B=inaccessible"));
        // nvme-cli's reading of Identify Controller: the ANA fields at the offsets Linux uses.
        assertTrue(p.printed("anatt : " + Pages.ANATT_S + " anacap : " + Pages.ANACAP
            + " anagrpmax : 1 nanagrpid : 1 mnan : 1"), "Identify Controller's ANA fields");
        assertTrue(p.printed("SEEN after: A=inaccessible B=optimized"));
        assertTrue(p.printed("SEEN back: A=optimized B=inaccessible"));
        // What the kernel wrote last is in the shared device: the md5 it printed is ours too.
        String guestMd5 = guestMd5(p.lines(), "phase3 md5 ");
        assertEquals(guestMd5, md5(dev, 0, 8 * MB), "the device holds what the guest wrote last");
        assertEquals(guestMd5(p.lines(), "across md5 "), md5(dev, 8L * MB, 8 * MB),
            "the device holds what the guest wrote across the flip");
      }
    } finally {
      dev.close();
    }
  }

  private static String guestMd5(List<String> lines, String key) {
    for (String l : lines) {
      // only what the guest printed: the echoed command line holds the same words
      int i = l.contains("guest| ana-guest: ") ? l.indexOf(key) : -1;
      if (i >= 0) {
        return l.substring(i + key.length(), i + key.length() + 32);
      }
    }
    throw new AssertionError("the guest printed no '" + key + "'");
  }

  private static String md5(MallocDevice dev, long offset, int length) throws Exception {
    ByteBuffer buf = DirectMemory.allocate(length);
    SyncIo.read(dev, offset, buf, 0, length);
    MessageDigest md = MessageDigest.getInstance("MD5");
    md.update(buf.clear().limit(length));
    return HexFormat.of().formatHex(md.digest());
  }
}
