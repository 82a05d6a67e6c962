package io.caspian.control.serialization;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.caspian.control.entity.Reply;
import io.caspian.control.entity.nexus.BusMark;
import io.caspian.control.entity.node.NodeCommand;
import io.caspian.control.entity.node.NodeEvent;
import io.caspian.control.entity.node.NodeState;
import io.caspian.control.entity.nexus.NexusCommand;
import io.caspian.control.entity.nexus.NexusEvent;
import io.caspian.control.entity.nexus.NexusState;
import io.caspian.control.entity.pool.PoolCommand;
import io.caspian.control.entity.pool.PoolEvent;
import io.caspian.control.entity.pool.PoolState;
import io.caspian.control.entity.replica.ReplicaCommand;
import io.caspian.control.entity.replica.ReplicaEvent;
import io.caspian.control.entity.replica.ReplicaState;
import io.caspian.control.entity.volume.VolumeCommand;
import io.caspian.control.entity.volume.VolumeEvent;
import io.caspian.control.entity.volume.VolumeState;
import java.io.IOException;
import java.io.InputStream;
import java.lang.reflect.Constructor;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.RecordComponent;
import java.lang.reflect.Type;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.serialization.Serialization;
import org.apache.pekko.serialization.SerializationExtension;
import org.apache.pekko.serialization.Serializer;
import org.apache.pekko.serialization.Serializers;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/**
 * Walks every permitted subclass of every command, event and state family, so that a new record without a codec
 * branch, a component the codec drops or an enum mapped by position fails here rather than on replay. Each record
 * is filled with values that differ from protobuf's defaults (a dropped field reads back as its default).
 *
 * <p>{@code journal-fixture/vN.txt} holds the events and states of a version as the serializer wrote them; every
 * later version must still read them back to the same values, with the components added since at their defaults
 * (v1: before nexus generations; v2: with them). A version that adds a component writes a new fixture and never
 * rewrites an old one: {@code -Dcaspian.fixture.write=src/test/resources/journal-fixture/vN.txt}.
 */
class ControlCodecsTest {
    private static final ActorTestKit KIT = ActorTestKit.create();
    private static final ActorRef<Reply> REPLY_TO = KIT.<Reply>createTestProbe().getRef();
    /**
     * Every fixture a version committed, and the record components added since it was written: those replay as
     * their protobuf defaults (a nexus journaled before fencing existed has generation 0).
     */
    private static final Map<String, Set<String>> FIXTURES = Map.of(
            "/journal-fixture/v1.txt", Set.of("generation"),
            "/journal-fixture/v2.txt", Set.of());
    /** The components {@link #sample} leaves at their defaults, for the fixture being read. */
    private static Set<String> absent = Set.of();

    private static final List<Class<?>> COMMANDS = List.of(NodeCommand.class, PoolCommand.class,
            ReplicaCommand.class, NexusCommand.class, VolumeCommand.class);
    private static final List<Class<?>> JOURNALED = List.of(NodeEvent.class, NodeState.class, PoolEvent.class,
            PoolState.class, ReplicaEvent.class, ReplicaState.class, NexusEvent.class, NexusState.class,
            VolumeEvent.class, VolumeState.class);

    @AfterAll
    static void tearDown() {
        KIT.shutdownTestKit();
    }

    @Test
    void everyPermittedSubclassRoundTrips() throws Exception {
        List<Class<?>> families = new ArrayList<>(COMMANDS);
        families.addAll(JOURNALED);
        int walked = 0;
        for (Class<?> family : families) {
            for (Class<?> leaf : leaves(family)) {
                Object sample = sample(leaf);
                assertEquals(sample, roundTrip(sample), leaf.getName());
                walked++;
            }
        }
        assertTrue(walked > 60, "walked " + walked + " message types");
    }

    @Test
    void everyRejectionKindRoundTrips() throws Exception {
        for (Reply.Kind k : Reply.Kind.values()) {
            Reply r = new Reply.Rejected(k, "because");
            assertEquals(r, roundTrip(r));
        }
    }

    @Test
    void theCommittedJournalFixtureStillReplays() throws Exception {
        String write = System.getProperty("caspian.fixture.write");
        if (write != null) {
            Files.writeString(Path.of(write), fixture(), StandardCharsets.UTF_8);
        }
        try {
            for (Map.Entry<String, Set<String>> f : FIXTURES.entrySet()) {
                absent = f.getValue();
                replays(f.getKey());
            }
        } finally {
            absent = Set.of();
        }
    }

    private void replays(String fixture) throws Exception {
        String text;
        try (InputStream in = getClass().getResourceAsStream(fixture)) {
            assertNotNull(in, fixture + " on the test class path");
            text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        Serialization s = serialization();
        Serializer serializer = s.serializerFor(NodeState.class);
        int read = 0;
        for (String line : text.split("\n")) {
            if (line.isBlank() || line.startsWith("#")) {
                continue;
            }
            String[] f = line.split("\t");
            Class<?> type = Class.forName(f[0]);
            Object replayed = s.deserialize(Base64.getDecoder().decode(f[2]), serializer.identifier(), f[1]).get();
            assertInstanceOf(type, replayed);
            assertEquals(sample(type), replayed, fixture + ": " + f[0]);
            read++;
        }
        int journaled = 0;
        for (Class<?> family : JOURNALED) {
            journaled += leaves(family).size();
        }
        assertEquals(journaled, read, fixture + ": one line per journaled type; a new type belongs in a new fixture");
    }

    private static String fixture() throws Exception {
        Serialization s = serialization();
        StringBuilder b = new StringBuilder("# type\tmanifest\tbytes (base64), written by ControlCodecsTest\n");
        for (Class<?> family : JOURNALED) {
            for (Class<?> leaf : leaves(family)) {
                Object sample = sample(leaf);
                Serializer serializer = s.findSerializerFor(sample);
                b.append(leaf.getName()).append('\t').append(Serializers.manifestFor(serializer, sample)).append('\t')
                        .append(Base64.getEncoder().encodeToString(s.serialize(sample).get())).append('\n');
            }
        }
        return b.toString();
    }

    private static Serialization serialization() {
        return SerializationExtension.get(Adapter.toClassic(KIT.system()));
    }

    private static Object roundTrip(Object message) throws IOException {
        Serialization s = serialization();
        Serializer serializer = s.findSerializerFor(message);
        assertInstanceOf(ControlSerializer.class, serializer);
        return s.deserialize(s.serialize(message).get(), serializer.identifier(),
                Serializers.manifestFor(serializer, message)).get();
    }

    /** The records a family stands for: its permitted subclasses, recursively, or the record itself. */
    private static List<Class<?>> leaves(Class<?> type) {
        if (!type.isSealed()) {
            assertTrue(type.isRecord(), type + " is neither sealed nor a record");
            return List.of(type);
        }
        List<Class<?>> out = new ArrayList<>();
        for (Class<?> c : type.getPermittedSubclasses()) {
            out.addAll(leaves(c));
        }
        assertFalse(out.isEmpty(), type.getName());
        return out;
    }

    /** A record whose every component differs from its protobuf default, the same on every call. */
    private static Object sample(Class<?> record) throws Exception {
        RecordComponent[] rc = record.getRecordComponents();
        Class<?>[] types = new Class<?>[rc.length];
        Object[] args = new Object[rc.length];
        for (int i = 0; i < rc.length; i++) {
            types[i] = rc[i].getType();
            args[i] = absent.contains(rc[i].getName()) ? zero(types[i]) : value(rc[i].getName(),
                    rc[i].getGenericType());
        }
        Constructor<?> c = record.getDeclaredConstructor(types);
        c.setAccessible(true);
        return c.newInstance(args);
    }

    private static Object zero(Class<?> type) {
        if (type == long.class) {
            return 0L;
        } else if (type == int.class) {
            return 0;
        } else if (type == boolean.class) {
            return false;
        } else if (type == String.class) {
            return "";
        }
        throw new IllegalArgumentException("no default for " + type + " added since an older fixture");
    }

    private static Object value(String name, Type type) throws Exception {
        if (type instanceof ParameterizedType p) {
            Class<?> raw = (Class<?>) p.getRawType();
            Type[] a = p.getActualTypeArguments();
            if (raw == List.class) {
                return List.of(value(name, a[0]));
            }
            if (raw == Set.class) {
                return Set.of(value(name, a[0]));
            }
            if (raw == Map.class) {
                Object v = value(name, a[1]);
                // Marks are kept by their stream; the codec rebuilds the key from the mark.
                Object k = v instanceof BusMark m ? m.stream() : value(name + "-key", a[0]);
                return Map.of(k, v);
            }
            if (raw == ActorRef.class) {
                return REPLY_TO;
            }
            throw new IllegalArgumentException("no sample for " + type);
        }
        Class<?> c = (Class<?>) type;
        if (c == String.class) {
            return name + "-1";
        } else if (c == long.class) {
            return 4096L;
        } else if (c == int.class) {
            return 3;
        } else if (c == boolean.class) {
            return true;
        } else if (c.isEnum()) {
            Object[] constants = c.getEnumConstants();
            return constants[constants.length - 1];
        } else if (c.isRecord()) {
            return sample(c);
        }
        throw new IllegalArgumentException("no sample for " + type);
    }
}
