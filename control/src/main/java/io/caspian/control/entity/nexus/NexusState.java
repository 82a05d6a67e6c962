package io.caspian.control.entity.nexus;

import io.caspian.control.entity.EntityState;
import io.caspian.control.entity.Lifecycle;
import io.caspian.events.ChildState;
import io.caspian.events.Health;
import io.caspian.events.Protocol;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A nexus: where it runs, its children, its target (empty device URI when unpublished) and health.
 * {@code marks} holds, per io-bus stream ({@link BusMark#stream()}), the mark of the last record journaled, so
 * that redelivered bus records are recognised after a restart too; {@code rebuilding} the children a rebuild is
 * known to run onto; {@code generation} the incarnation the last create journaled, which fences older ones
 * (docs/adr/nexus-fencing.md).
 */
public record NexusState(String id, Lifecycle lifecycle, String node, long size, String volume, List<Child> children,
                         Protocol protocol, String deviceUri, Health status, Map<String, BusMark> marks,
                         Set<String> rebuilding, long generation)
        implements EntityState {
    public NexusState {
        children = List.copyOf(children);
        marks = Map.copyOf(marks);
        rebuilding = Set.copyOf(rebuilding);
    }

    public NexusState(String id, Lifecycle lifecycle, String node, long size, String volume, List<Child> children,
                      Protocol protocol, String deviceUri, Health status) {
        this(id, lifecycle, node, size, volume, children, protocol, deviceUri, status, Map.of(), Set.of(), 0);
    }

    /** Whether the bus record with this mark was journaled already or belongs to a superseded incarnation. */
    public boolean covers(BusMark mark) {
        return mark.present() && mark.coveredBy(marks.get(mark.stream()));
    }

    /** The last mark journaled for one stream ({@link BusMark#stream()}), if any. */
    public BusMark mark(String stream) {
        return marks.get(stream);
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
                Health.UNKNOWN, marks, Set.of(), s.generation());
    }

    NexusState withTarget(Protocol p, String uri) {
        return new NexusState(id, lifecycle, node, size, volume, children, p, uri, status, marks, rebuilding,
                generation);
    }

    /** Records that the bus record with {@code mark} was journaled; a mark of another incarnation replaces it. */
    NexusState marked(BusMark mark) {
        if (!mark.present()) {
            return this;
        }
        Map<String, BusMark> m = new HashMap<>(marks);
        m.put(mark.stream(), mark);
        return new NexusState(id, lifecycle, node, size, volume, children, protocol, deviceUri, status, m,
                rebuilding, generation);
    }

    NexusState withRebuild(String uri, boolean running) {
        Set<String> r = new HashSet<>(rebuilding);
        if (running && child(uri) != null) {
            r.add(uri);
        } else {
            r.remove(uri);
        }
        return new NexusState(id, lifecycle, node, size, volume, children, protocol, deviceUri, status, marks, r,
                generation);
    }

    NexusState withChild(Child child) {
        List<Child> c = new ArrayList<>(children);
        c.removeIf(x -> x.uri().equals(child.uri()));
        c.add(child);
        return new NexusState(id, lifecycle, node, size, volume, c, protocol, deviceUri, status, marks, rebuilding,
                generation);
    }

    NexusState withoutChild(String uri) {
        List<Child> c = new ArrayList<>(children);
        c.removeIf(x -> x.uri().equals(uri));
        Set<String> r = new HashSet<>(rebuilding);
        r.remove(uri);
        return new NexusState(id, lifecycle, node, size, volume, c, protocol, deviceUri, status, marks, r, generation);
    }

    NexusState withChildState(String uri, ChildState state, String reason) {
        Child c = child(uri);
        return c == null ? this : withChild(c.withState(state, reason));
    }

    NexusState withStatus(Health h) {
        return new NexusState(id, lifecycle, node, size, volume, children, protocol, deviceUri, h, marks, rebuilding,
                generation);
    }

    NexusState destroyed() {
        return new NexusState(id, Lifecycle.DESTROYED, node, size, volume, children, Protocol.NONE, "",
                Health.UNKNOWN, marks, Set.of(), generation);
    }
}
