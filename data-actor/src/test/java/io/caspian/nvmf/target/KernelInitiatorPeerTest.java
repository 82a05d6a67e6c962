package io.caspian.nvmf.target;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.caspian.bdev.MallocDevice;
import io.caspian.nvmf.Nvme;
import io.caspian.nvmf.PeerScript;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * Our target against the Linux 6.1 kernel NVMe/TCP host in a VM ({@code nvmf-vm.sh initiator}):
 * discovery, connect with 2 I/O queues, verified large and parallel writes, flush, discard, last
 * LBA, disconnect; once plain and once with header and data digests.
 */
class KernelInitiatorPeerTest {

  private static final long TIMEOUT_S = 300;

  private void run(Map<String, String> env) throws Exception {
    PeerScript.peersDir();
    MallocDevice dev = new MallocDevice("malloc:///kernel-peer", 64L << 20, 512);
    try (NvmfTarget target = NvmfTarget.bind("127.0.0.1", 0)) {
      String nqn = Nvme.nqnFor(UUID.randomUUID());
      target.addSubsystem(nqn, dev, Set.of());
      try (PeerScript p = PeerScript.start(env, "nvmf-vm.sh", "initiator",
          "127.0.0.1:" + target.port(), nqn)) {
        int rc = p.await(TIMEOUT_S);
        System.out.println("peer verdict: " + p.verdict());
        assertEquals(0, rc, "nvmf-vm.sh initiator failed: " + p.verdict());
      }
    }
  }

  @Test
  void linuxHostAgainstOurTarget() throws Exception {
    run(Map.of());
  }

  @Test
  void linuxHostWithHeaderAndDataDigests() throws Exception {
    run(Map.of("BP_HDR_DIGEST", "1", "BP_DATA_DIGEST", "1"));
  }
}
