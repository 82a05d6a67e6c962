package io.caspian.events.ioengine;

import com.google.protobuf.InvalidProtocolBufferException;
import java.io.NotSerializableException;
import org.apache.pekko.actor.ExtendedActorSystem;
import org.apache.pekko.actor.typed.ActorRefResolver;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.serialization.SerializerWithStringManifest;

/** Pekko serializer for {@link IoEngineMessage}: protobuf on the wire, a one-letter manifest per family. */
public final class IoEngineSerializer extends SerializerWithStringManifest {
    static final String COMMAND = "C";
    static final String REPLY = "R";
    static final String REPORT = "S";

    private final ExtendedActorSystem system;
    private volatile IoEngineCodec codec;

    public IoEngineSerializer(ExtendedActorSystem system) {
        this.system = system;
    }

    @Override
    public int identifier() {
        return 7301;
    }

    @Override
    public String manifest(Object o) {
        if (o instanceof IoEngineCommand) {
            return COMMAND;
        } else if (o instanceof IoEngineReply) {
            return REPLY;
        } else if (o instanceof NodeStateReport) {
            return REPORT;
        }
        throw new IllegalArgumentException("not an io-engine message: " + o.getClass().getName());
    }

    @Override
    public byte[] toBinary(Object o) {
        if (o instanceof IoEngineCommand c) {
            return codec().toProto(c).toByteArray();
        } else if (o instanceof IoEngineReply r) {
            return codec().toProto(r).toByteArray();
        } else if (o instanceof NodeStateReport s) {
            return codec().toProto(s).toByteArray();
        }
        throw new IllegalArgumentException("not an io-engine message: " + o.getClass().getName());
    }

    @Override
    public Object fromBinary(byte[] bytes, String manifest) throws NotSerializableException {
        try {
            return switch (manifest) {
                case COMMAND -> codec().fromProto(io.caspian.events.proto.ioengine.IoEngineCommand.parseFrom(bytes));
                case REPLY -> codec().fromProto(io.caspian.events.proto.ioengine.IoEngineReply.parseFrom(bytes));
                case REPORT -> codec().fromProto(io.caspian.events.proto.ioengine.NodeStateReport.parseFrom(bytes));
                default -> throw new NotSerializableException("unknown io-engine manifest '" + manifest + "'");
            };
        } catch (InvalidProtocolBufferException e) {
            throw new NotSerializableException("corrupt io-engine message (" + manifest + "): " + e.getMessage());
        }
    }

    // The resolver needs a fully started typed system, which does not exist yet when serializers are constructed.
    private IoEngineCodec codec() {
        IoEngineCodec c = codec;
        if (c == null) {
            c = new IoEngineCodec(ActorRefResolver.get(Adapter.toTyped(system)));
            codec = c;
        }
        return c;
    }
}
