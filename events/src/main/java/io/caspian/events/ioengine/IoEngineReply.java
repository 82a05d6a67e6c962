package io.caspian.events.ioengine;

/** A DataNode's answer: the resulting state of the object acted on, or why it could not act. */
public sealed interface IoEngineReply extends IoEngineMessage {

    record PoolDone(PoolInfo pool) implements IoEngineReply {
    }

    record ReplicaDone(ReplicaInfo replica) implements IoEngineReply {
    }

    record NexusDone(NexusInfo nexus) implements IoEngineReply {
    }

    /** The answer to {@link IoEngineCommand.GetNexusStats}. */
    record Stats(NexusStats stats) implements IoEngineReply {
    }

    /** The object is gone (also the answer to destroying something that was never there). */
    record Removed(String id) implements IoEngineReply {
    }

    record Failed(FailureKind kind, String message) implements IoEngineReply {
    }

    /**
     * Why a command failed. {@code PERMISSION_DENIED}: the io-engine may not touch what was named
     * (a disk outside its allow list); {@code FAILED_PRECONDITION}: the object is not in a state
     * that allows the command (a pool that still holds replicas).
     */
    enum FailureKind {
        UNSPECIFIED, NOT_FOUND, ALREADY_EXISTS, INVALID_ARGUMENT, RESOURCE_EXHAUSTED, UNAVAILABLE,
        INTERNAL, PERMISSION_DENIED, FAILED_PRECONDITION
    }
}
