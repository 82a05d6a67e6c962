package io.caspian.datanode;

import io.caspian.events.ioengine.NexusInfo;
import io.caspian.events.ioengine.PoolInfo;
import io.caspian.events.ioengine.ReplicaInfo;
import java.util.List;
import org.apache.pekko.actor.NoSerializationVerificationNeeded;

/** What pool and nexus actors tell their DataNode: their current state, or that they are gone. */
sealed interface NodeEvent extends NoSerializationVerificationNeeded {

  record PoolChanged(String name, PoolInfo pool, List<ReplicaInfo> replicas) implements NodeEvent {
    public PoolChanged {
      replicas = List.copyOf(replicas);
    }
  }

  record PoolGone(String name) implements NodeEvent {
  }

  record NexusChanged(String uuid, NexusInfo nexus) implements NodeEvent {
  }

  record NexusGone(String uuid) implements NodeEvent {
  }
}
