package io.caspian.events.ioengine;

import io.caspian.events.Protocol;
import java.util.List;
import java.util.Set;
import org.apache.pekko.actor.typed.ActorRef;

/**
 * What the control plane asks of a DataNode. Each names its target, so the DataNode can answer a repeat with the
 * current state instead of acting twice (create of an existing object with the same parameters succeeds; with
 * different parameters it fails with ALREADY_EXISTS; destroy of a missing object succeeds with {@code Removed}).
 */
public sealed interface IoEngineCommand extends IoEngineMessage {

    /** Where the reply goes; {@link SubscribeState} has none. */
    ActorRef<IoEngineReply> replyTo();

    /**
     * Formats {@code disk} as a new pool, or imports the pool named {@code name} that it holds. A disk that holds
     * anything else (a partition table, a file system, data where the pool format writes) is refused unless
     * {@code overwrite}: only the caller knows that its contents may go.
     */
    record CreatePool(String name, String uuid, String disk, boolean overwrite, ActorRef<IoEngineReply> replyTo)
            implements IoEngineCommand {

        /** A create that never formats a disk holding anything. */
        public CreatePool(String name, String uuid, String disk, ActorRef<IoEngineReply> replyTo) {
            this(name, uuid, disk, false, replyTo);
        }
    }

    /** Opens a pool that already holds Caspian's on-disk format (after a restart) instead of formatting it. */
    record ImportPool(String name, String uuid, String disk, ActorRef<IoEngineReply> replyTo)
            implements IoEngineCommand {
    }

    record DestroyPool(String name, ActorRef<IoEngineReply> replyTo) implements IoEngineCommand {
    }

    record CreateReplica(String uuid, String pool, long size, boolean thin, ActorRef<IoEngineReply> replyTo)
            implements IoEngineCommand {
    }

    record DestroyReplica(String uuid, String pool, ActorRef<IoEngineReply> replyTo) implements IoEngineCommand {
    }

    /**
     * Exports a replica (NVMF) so a nexus on another node can use it; NONE unshares. {@code allowedHosts} are the
     * host NQNs that may connect (the nexus's node, {@link IoEngineProtocol#hostNqn}); empty admits any host. A
     * repeat with another list replaces the list and disconnects the hosts no longer on it.
     */
    record ShareReplica(String uuid, Protocol protocol, Set<String> allowedHosts, ActorRef<IoEngineReply> replyTo)
            implements IoEngineCommand {
        public ShareReplica {
            allowedHosts = Set.copyOf(allowedHosts);
        }

        /** A share any host may connect to. */
        public ShareReplica(String uuid, Protocol protocol, ActorRef<IoEngineReply> replyTo) {
            this(uuid, protocol, Set.of(), replyTo);
        }
    }

    /**
     * Children are replica URIs: {@code bdev:///uuid} on the same node, {@code nvmf://...} elsewhere;
     * {@code generation} the incarnation the control plane journaled (0: fence nothing).
     */
    record CreateNexus(String uuid, long size, List<String> children, long generation,
                       ActorRef<IoEngineReply> replyTo)
            implements IoEngineCommand {
        public CreateNexus {
            children = List.copyOf(children);
        }

        /** A nexus that fences nothing: for callers outside a control plane that journals generations. */
        public CreateNexus(String uuid, long size, List<String> children, ActorRef<IoEngineReply> replyTo) {
            this(uuid, size, children, 0, replyTo);
        }
    }

    record DestroyNexus(String uuid, ActorRef<IoEngineReply> replyTo) implements IoEngineCommand {
    }

    /**
     * The reply's {@link NexusInfo#deviceUri()} is where hosts connect. Over NVMF only {@code allowedHosts} (host
     * NQNs) may connect, or any host when it is empty; NBD has no host identity and ignores it. A repeat with
     * another list replaces the list and disconnects the hosts no longer on it.
     */
    record PublishNexus(String uuid, Protocol protocol, Set<String> allowedHosts, ActorRef<IoEngineReply> replyTo)
            implements IoEngineCommand {
        public PublishNexus {
            allowedHosts = Set.copyOf(allowedHosts);
        }

        /** A target any host may connect to. */
        public PublishNexus(String uuid, Protocol protocol, ActorRef<IoEngineReply> replyTo) {
            this(uuid, protocol, Set.of(), replyTo);
        }
    }

    record UnpublishNexus(String uuid, ActorRef<IoEngineReply> replyTo) implements IoEngineCommand {
    }

    /** Adds a child out of sync; the io-engine rebuilds it before it serves reads. */
    record AddChild(String nexus, String uri, ActorRef<IoEngineReply> replyTo) implements IoEngineCommand {
    }

    record RemoveChild(String nexus, String uri, ActorRef<IoEngineReply> replyTo) implements IoEngineCommand {
    }

    enum RebuildAction { START, PAUSE, RESUME, STOP }

    record Rebuild(String nexus, String uri, RebuildAction action, ActorRef<IoEngineReply> replyTo)
            implements IoEngineCommand {
    }

    /** Errors per child within the window before the child is faulted. */
    record SetErrorPolicy(String nexus, int errorThreshold, ActorRef<IoEngineReply> replyTo)
            implements IoEngineCommand {
    }

    /**
     * Caps the copy bandwidth of the nexus's rebuilds, those running and those to come, in bytes per second; 0
     * lifts the cap. Held by the running nexus only: a re-created nexus starts from the io-engine's configuration.
     */
    record SetRebuildRate(String nexus, long bytesPerSecond, ActorRef<IoEngineReply> replyTo)
            implements IoEngineCommand {
    }

    /** The kinds of I/O a fault can be injected into. */
    enum FaultOp { READ, WRITE, FLUSH, UNMAP, WRITE_ZEROES }

    /** A count meaning "every matching I/O until cleared". */
    long UNTIL_CLEARED = -1;

    /**
     * Fails the next {@code count} I/Os of {@code op} that touch {@code [offset, offset+length)} on child {@code uri}
     * of the nexus ({@link #UNTIL_CLEARED} for all of them), through the child's error-injection device; the nexus
     * counts them like real errors, so past its threshold the child faults.
     */
    record InjectFault(String nexus, String uri, FaultOp op, long offset, long length, long count,
                       ActorRef<IoEngineReply> replyTo) implements IoEngineCommand {
    }

    /** Removes every fault injected on child {@code uri} of the nexus. */
    record ClearFaults(String nexus, String uri, ActorRef<IoEngineReply> replyTo) implements IoEngineCommand {
    }

    /** Asks for the nexus's {@link NexusStats}; a read that neither changes nor waits for anything. */
    record GetNexusStats(String nexus, ActorRef<IoEngineReply> replyTo) implements IoEngineCommand {
    }

    /** Asks for a {@link NodeStateReport} now and after every change, until the subscriber stops. */
    record SubscribeState(ActorRef<NodeStateReport> subscriber) implements IoEngineCommand {
        @Override
        public ActorRef<IoEngineReply> replyTo() {
            return null;
        }
    }
}
