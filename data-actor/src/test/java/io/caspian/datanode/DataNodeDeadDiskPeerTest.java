package io.caspian.datanode;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.caspian.events.Health;
import io.caspian.events.ioengine.IoEngineCommand;
import io.caspian.events.ioengine.IoEngineCommand.CreatePool;
import io.caspian.events.ioengine.IoEngineCommand.CreateReplica;
import io.caspian.events.ioengine.IoEngineReply.PoolDone;
import io.caspian.events.ioengine.IoEngineReply.ReplicaDone;
import io.caspian.events.ioengine.NodeStateReport;
import io.caspian.events.ioengine.PoolInfo;
import io.caspian.nvmf.PeerScript;
import io.caspian.nvmf.host.HostOptions;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;
import java.util.function.Predicate;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A real dead disk: a pool on the Linux kernel's NVMe/TCP target ({@code nvmf-vm.sh target},
 * nvmet in a VM, backed by a host file so that its contents outlive the VM). Stopping the target
 * makes the pool Faulted, with its reason, within the stated bound (the default {@code
 * fault_after_ms} plus a margin, counted from the moment the VM is gone); a target started again
 * on the same port brings the pool back Online by itself, after it has read its metadata back.
 */
class DataNodeDeadDiskPeerTest {

  /** The bound this test holds the io-engine to, beyond the target's end. */
  static final Duration FAULT_BOUND = Duration.ofMillis(HostOptions.DEFAULT_FAULT_AFTER_MS + 5000);
  private static final Duration BOOT = Duration.ofSeconds(240);

  @TempDir
  Path dir;

  @Test
  void aPoolOnAStoppedKernelTargetIsFaultedAndComesBackWithIt() throws Exception {
    PeerScript.peersDir();
    int port = PeerScript.freePort();
    String nqn = "nqn.2024-01.io.caspian.test:deaddisk" + port;
    Path backing = dir.resolve("kt-backing.img");
    String disk = "nvmf://127.0.0.1:" + port + "/" + nqn;
    try (Nodes nodes = new Nodes()) {
      ActorRef<IoEngineCommand> node;
      TestProbe<NodeStateReport> probe;
      try (PeerScript target = startTarget(port, nqn, backing, "first")) {
        node = nodes.start(DataNodeSettings.local("deaddisk", dir.resolve("node")));
        PoolInfo p = nodes.expect(node, r -> new CreatePool("kt", "", disk, r), PoolDone.class)
            .pool();
        assertEquals(Health.ONLINE, p.status());
        String rep = UUID.randomUUID().toString();
        nodes.expect(node, r -> new CreateReplica(rep, "kt", 16L << 20, true, r),
            ReplicaDone.class);
        probe = nodes.subscribe(node);
        await(probe, s -> is(s, Health.ONLINE), Duration.ofSeconds(15));

        long stopAsked = System.nanoTime();
        target.terminate();
        int rc = target.await(120);
        long gone = System.nanoTime();
        assertEquals(0, rc, "nvmf-vm.sh target did not stop cleanly: " + target.verdict());
        NodeStateReport faulted = await(probe, s -> is(s, Health.FAULTED), FAULT_BOUND);
        long now = System.nanoTime();
        PoolInfo f = pool(faulted);
        System.out.printf("kernel target stopped: stop asked -> VM gone %d ms; pool Faulted %d ms"
            + " after stop asked, %d ms after the VM was gone (bound %d ms): %s%n",
            (gone - stopAsked) / 1_000_000, (now - stopAsked) / 1_000_000,
            (now - gone) / 1_000_000, FAULT_BOUND.toMillis(), f.reason());
        assertTrue(f.reason().contains("unreachable") && f.reason().contains(nqn), f.reason());
        assertTrue(faulted.replicas().stream().filter(r -> r.uuid().equals(rep))
            .allMatch(r -> r.status() == Health.FAULTED), "replicas of a Faulted pool: "
            + faulted.replicas());
      }
      try (PeerScript again = startTarget(port, nqn, backing, "second")) {
        long ready = System.nanoTime();
        NodeStateReport online = await(probe, s -> is(s, Health.ONLINE), Duration.ofSeconds(60));
        System.out.printf("kernel target back: pool Online %d ms after the target was READY%n",
            (System.nanoTime() - ready) / 1_000_000);
        assertEquals("", pool(online).reason());
        // Metadata writes work again: a new replica is made on the recovered pool.
        nodes.expect(node, r -> new CreateReplica(UUID.randomUUID().toString(), "kt", 16L << 20,
            true, r), ReplicaDone.class);
        nodes.kit.stop(node, Duration.ofSeconds(30));
        again.terminate();
        assertEquals(0, again.await(120), "second target: " + again.verdict());
      }
    }
  }

  private static PeerScript startTarget(int port, String nqn, Path backing, String which)
      throws Exception {
    Path ready = backing.resolveSibling("kt-" + which + ".ready");
    PeerScript p = PeerScript.start(Map.of("BP_READY_FILE", ready.toString(),
        "BP_BACKING", backing.toString()), "nvmf-vm.sh", "target", Integer.toString(port), nqn,
        "64", "300");
    long deadline = System.nanoTime() + BOOT.toNanos();
    while (!(Files.exists(ready) && Files.size(ready) > 0)) {
      if (!p.alive()) {
        p.close();
        fail("nvmf-vm.sh target (" + which + ") ended before READY: " + p.verdict());
      }
      if (System.nanoTime() > deadline) {
        p.close();
        fail("nvmf-vm.sh target (" + which + ") not READY within " + BOOT);
      }
      Thread.sleep(250);
    }
    return p;
  }

  private static boolean is(NodeStateReport s, Health h) {
    return s.pools().stream().anyMatch(p -> p.name().equals("kt") && p.status() == h);
  }

  private static PoolInfo pool(NodeStateReport s) {
    return s.pools().stream().filter(p -> p.name().equals("kt")).findFirst().orElseThrow();
  }

  /** Reports until one matches; fails once {@code limit} has passed. */
  private static NodeStateReport await(TestProbe<NodeStateReport> p,
      Predicate<NodeStateReport> ok, Duration limit) {
    long deadline = System.nanoTime() + limit.toNanos();
    for (;;) {
      long left = deadline - System.nanoTime();
      if (left <= 0) {
        fail("no matching state report within " + limit);
      }
      NodeStateReport r;
      try {
        r = p.receiveMessage(Duration.ofNanos(left));
      } catch (AssertionError timeout) {
        fail("no matching state report within " + limit);
        return null;
      }
      if (ok.test(r)) {
        return r;
      }
    }
  }
}
