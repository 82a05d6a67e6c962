package io.caspian.control.entity.nexus;

import io.caspian.control.entity.EntityState;
import io.caspian.control.entity.Lifecycle;
import io.caspian.events.ChildState;
import io.caspian.events.Health;
import io.caspian.events.Protocol;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A nexus: where it runs, its children, its target (empty device URI when unpublished) and health.
 * {@code busMarks} holds, per io-bus stream ({@link #stream}), the highest sequence number applied, so that
 * redelivered bus records are recognised after a restart too.
 */
public record NexusState(String id, Lifecycle lifecycle, String node, long size, String volume, List<Child> children,
                         Protocol protocol, String deviceUri, Health status, Map<String, Long> busMarks)
        implements EntityState {
    public NexusState {
        children = List.copyOf(children);
        busMarks = Map.copyOf(busMarks);
    }

    public NexusState(String id, Lifecycle lifecycle, String node, long size, String volume, List<Child> children,
                      Protocol protocol, String deviceUri, Health status) {
        this(id, lifecycle, node, size, volume, children, protocol, deviceUri, status, Map.of());
    }

    /** The name of one io-bus stream of this nexus in {@link #busMarks}. */
    public static String stream(String source, String topic) {
        return source + "|" + topic;
    }

    /** The highest sequence number of {@code stream} applied so far, 0 if none. */
    public long busMark(String stream) {
        return busMarks.getOrDefault(stream, 0L);
    }

    public static NexusState empty(String id) {
        return new NexusState(id, Lifecycle.ABSENT, "", 0, "", List.of(), Protocol.NONE, "", Health.UNKNOWN);
    }

    public boolean published() {
        return !deviceUri.isEmpty();
    }

    public Child child(String uri) {
        return children.stream().filter(c -> c.uri().equals(uri)).findFirst().orElse(null);
    }

    /** The health a nexus with these children has: all in sync, some, or none. */
    public Health healthFromChildren() {
        long inSync = children.stream().filter(Child::inSync).count();
        if (inSync == 0) {
            return Health.FAULTED;
        }
        return inSync == children.size() ? Health.ONLINE : Health.DEGRADED;
    }

    NexusState created(NexusSpec s) {
        return new NexusState(id, Lifecycle.ACTIVE, s.node(), s.size(), s.volume(), s.children(), Protocol.NONE, "",
                Health.UNKNOWN, busMarks);
    }

    NexusState withTarget(Protocol p, String uri) {
        return new NexusState(id, lifecycle, node, size, volume, children, p, uri, status, busMarks);
    }

    NexusState withBusMark(String stream, long seq) {
        Map<String, Long> m = new HashMap<>(busMarks);
        m.put(stream, seq);
        return new NexusState(id, lifecycle, node, size, volume, children, protocol, deviceUri, status, m);
    }

    NexusState withChild(Child child) {
        List<Child> c = new ArrayList<>(children);
        c.removeIf(x -> x.uri().equals(child.uri()));
        c.add(child);
        return new NexusState(id, lifecycle, node, size, volume, c, protocol, deviceUri, status, busMarks);
    }

    NexusState withoutChild(String uri) {
        List<Child> c = new ArrayList<>(children);
        c.removeIf(x -> x.uri().equals(uri));
        return new NexusState(id, lifecycle, node, size, volume, c, protocol, deviceUri, status, busMarks);
    }

    NexusState withChildState(String uri, ChildState state, String reason) {
        Child c = child(uri);
        return c == null ? this : withChild(c.withState(state, reason));
    }

    NexusState withStatus(Health h) {
        return new NexusState(id, lifecycle, node, size, volume, children, protocol, deviceUri, h, busMarks);
    }

    NexusState destroyed() {
        return new NexusState(id, Lifecycle.DESTROYED, node, size, volume, children, Protocol.NONE, "",
                Health.UNKNOWN, busMarks);
    }
}
