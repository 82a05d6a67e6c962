package io.caspian.datanode.metrics;

import io.caspian.datanode.bus.BusPublisher;
import io.caspian.nbd.NbdServer;
import io.caspian.nexus.Nexus;
import io.caspian.nvmf.target.NvmfTarget;
import java.util.Collection;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;

/**
 * The pools and nexuses one io-engine has open now, its targets and its bus publisher, for a
 * scrape to read.
 * Actors register what they open and remove what they close; the maps are concurrent because a
 * scrape runs on the HTTP server's thread, not the actors'.
 */
public final class NodeObjects {

  private final String node;
  private final BusPublisher bus;
  private final NvmfTarget nvmf;
  private final NbdServer nbd;
  private final ConcurrentMap<String, LivePool> pools = new ConcurrentHashMap<>();
  private final ConcurrentMap<String, Nexus> nexuses = new ConcurrentHashMap<>();

  /**
   * {@code bus}: where the node publishes its nexus events, null for nowhere; {@code nvmf} and
   * {@code nbd}: its targets, null for none.
   */
  public NodeObjects(String node, BusPublisher bus, NvmfTarget nvmf, NbdServer nbd) {
    this.node = node;
    this.bus = bus;
    this.nvmf = nvmf;
    this.nbd = nbd;
  }

  public String node() {
    return node;
  }

  /** A pool's actor started: its entry is scraped from now on, replacing one of the same name. */
  public void poolOpened(LivePool p) {
    pools.put(p.name(), p);
  }

  /** Removes {@code p} only: the entry of a pool of the same name opened since stays. */
  public void poolClosed(LivePool p) {
    pools.remove(p.name(), p);
  }

  public void nexusOpened(Nexus n) {
    nexuses.put(n.uuid(), n);
  }

  /** Removes {@code n} only: a nexus of the same uuid opened since stays. */
  public void nexusClosed(Nexus n) {
    nexuses.remove(n.uuid(), n);
  }

  Collection<LivePool> pools() {
    return pools.values();
  }

  Collection<Nexus> nexuses() {
    return nexuses.values();
  }

  Optional<NvmfTarget> nvmf() {
    return Optional.ofNullable(nvmf);
  }

  Optional<NbdServer> nbd() {
    return Optional.ofNullable(nbd);
  }

  /** The node's bus publisher, if it has one. */
  Optional<BusPublisher> bus() {
    return Optional.ofNullable(bus);
  }
}
