package io.caspian.control.entity.volume;

import io.caspian.control.entity.EntityCommand;
import io.caspian.control.entity.Reply;
import io.caspian.events.Health;
import io.caspian.events.Protocol;
import java.util.List;
import org.apache.pekko.actor.typed.ActorRef;

/** What may be asked of a Volume; every command is answered with a {@link Reply}. */
public sealed interface VolumeCommand extends EntityCommand {

    record Create(VolumeSpec spec, ActorRef<Reply> replyTo) implements VolumeCommand {
    }

    record Destroy(ActorRef<Reply> replyTo) implements VolumeCommand {
    }

    record SetReplicaCount(int replicas, ActorRef<Reply> replyTo) implements VolumeCommand {
    }

    record AddReplica(String replica, ActorRef<Reply> replyTo) implements VolumeCommand {
    }

    record RemoveReplica(String replica, ActorRef<Reply> replyTo) implements VolumeCommand {
    }

    /** {@code hosts}: the host NQNs that may connect (sorted); empty: any host. Another list updates it. */
    record Publish(String nexus, String node, Protocol protocol, String deviceUri, List<String> hosts,
                   ActorRef<Reply> replyTo) implements VolumeCommand {
        public Publish {
            hosts = List.copyOf(hosts);
        }
    }

    record Unpublish(ActorRef<Reply> replyTo) implements VolumeCommand {
    }

    record SetStatus(Health status, String reason, ActorRef<Reply> replyTo) implements VolumeCommand {
    }

    record Get(ActorRef<Reply> replyTo) implements VolumeCommand {
    }
}
