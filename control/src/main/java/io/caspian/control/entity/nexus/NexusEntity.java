package io.caspian.control.entity.nexus;

import io.caspian.control.entity.ControlEntity;
import io.caspian.control.entity.EntitySettings;
import io.caspian.control.entity.Reply;
import io.caspian.control.entity.nexus.NexusCommand.AddChild;
import io.caspian.control.entity.nexus.NexusCommand.Create;
import io.caspian.control.entity.nexus.NexusCommand.Destroy;
import io.caspian.control.entity.nexus.NexusCommand.Get;
import io.caspian.control.entity.nexus.NexusCommand.NoteRebuildFinished;
import io.caspian.control.entity.nexus.NexusCommand.NoteRebuildStarted;
import io.caspian.control.entity.nexus.NexusCommand.Publish;
import io.caspian.control.entity.nexus.NexusCommand.RemoveChild;
import io.caspian.control.entity.nexus.NexusCommand.SetChildState;
import io.caspian.control.entity.nexus.NexusCommand.SetStatus;
import io.caspian.control.entity.nexus.NexusCommand.Unpublish;
import io.caspian.control.entity.nexus.NexusEvent.ChildAdded;
import io.caspian.control.entity.nexus.NexusEvent.ChildDegraded;
import io.caspian.control.entity.nexus.NexusEvent.ChildFaulted;
import io.caspian.control.entity.nexus.NexusEvent.ChildOnline;
import io.caspian.control.entity.nexus.NexusEvent.ChildRemoved;
import io.caspian.control.entity.nexus.NexusEvent.NexusCreated;
import io.caspian.control.entity.nexus.NexusEvent.NexusDestroyed;
import io.caspian.control.entity.nexus.NexusEvent.NexusPublished;
import io.caspian.control.entity.nexus.NexusEvent.NexusStatusChanged;
import io.caspian.control.entity.nexus.NexusEvent.NexusUnpublished;
import io.caspian.control.entity.nexus.NexusEvent.RebuildFinished;
import io.caspian.control.entity.nexus.NexusEvent.RebuildStarted;
import io.caspian.events.ChildState;
import io.caspian.events.Protocol;
import java.util.Collection;
import java.util.Set;
import java.util.function.Supplier;
import java.util.stream.Collectors;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityTypeKey;
import org.apache.pekko.persistence.typed.javadsl.CommandHandlerWithReply;
import org.apache.pekko.persistence.typed.javadsl.EventHandler;
import org.apache.pekko.persistence.typed.javadsl.ReplyEffect;

/**
 * A nexus. Its child states are the control plane's memory of which replicas hold every acknowledged write: after
 * an io-engine restart the nexus is re-created from the children this entity still calls ONLINE, never from one
 * that was faulted or mid-rebuild. A destroyed (unpublished) nexus keeps its last children for the same reason, and
 * {@code Get} answers in every lifecycle so that the next publish can read them.
 */
public final class NexusEntity extends ControlEntity<NexusCommand, NexusEvent, NexusState> {
    public static final EntityTypeKey<NexusCommand> TYPE_KEY = EntityTypeKey.create(NexusCommand.class, "Nexus");
    public static final String TAG = "nexus";

    private NexusEntity(String id, EntitySettings settings) {
        super(TYPE_KEY, id, TAG, settings);
    }

    public static Behavior<NexusCommand> create(String id, EntitySettings settings) {
        return new NexusEntity(id, settings);
    }

    @Override
    public NexusState emptyState() {
        return NexusState.empty(id);
    }

    @Override
    public CommandHandlerWithReply<NexusCommand, NexusEvent, NexusState> commandHandler() {
        return newCommandHandlerWithReplyBuilder().forAnyState()
                .onCommand(Create.class, (s, c) -> create(s, c, c.spec().problem(), () -> sameNexus(s, c.spec()),
                        () -> "nexus '" + id + "' already exists on node '" + s.node() + "' with size " + s.size()
                                + " and children " + uris(s.children()),
                        () -> new NexusCreated(c.spec())))
                .onCommand(Destroy.class, (s, c) -> destroy(s, c, new NexusDestroyed()))
                .onCommand(Get.class, (s, c) -> ok(s, c))
                .onCommand(Publish.class, (s, c) -> active(s, c, () -> onPublish(s, c)))
                .onCommand(Unpublish.class, (s, c) -> active(s, c, () -> unlessAlready(!s.published(), s, c,
                        NexusUnpublished::new)))
                .onCommand(AddChild.class, (s, c) -> active(s, c, () -> unlessAlready(
                        s.child(c.child().uri()) != null, s, c, () -> new ChildAdded(c.child()))))
                .onCommand(RemoveChild.class, (s, c) -> active(s, c, () -> unlessAlready(s.child(c.uri()) == null,
                        s, c, () -> new ChildRemoved(c.uri()))))
                .onCommand(SetChildState.class, (s, c) -> fromBus(s, c, c.mark(), () -> onSetChildState(s, c)))
                .onCommand(NoteRebuildStarted.class, (s, c) -> fromBus(s, c, c.mark(), () -> onRebuildStarted(s, c)))
                .onCommand(NoteRebuildFinished.class, (s, c) -> fromBus(s, c, c.mark(),
                        () -> onRebuildFinished(s, c)))
                .onCommand(SetStatus.class, (s, c) -> active(s, c, () -> unlessAlready(s.status() == c.status(), s, c,
                        () -> new NexusStatusChanged(c.status()))))
                .build();
    }

    /** Children change state after creation, so a repeat is recognised by node, size, volume and child URIs. */
    private static boolean sameNexus(NexusState s, NexusSpec asked) {
        return s.node().equals(asked.node()) && s.size() == asked.size() && s.volume().equals(asked.volume())
                && uris(asked.children()).equals(uris(s.children()));
    }

    private static Set<String> uris(Collection<Child> children) {
        return children.stream().map(Child::uri).collect(Collectors.toSet());
    }

    private ReplyEffect<NexusEvent, NexusState> onPublish(NexusState s, Publish c) {
        if (s.published()) {
            return s.protocol() == c.protocol() ? ok(s, c)
                    : reject(c, Reply.Kind.CONFLICT, "nexus '" + id + "' is already published over "
                            + s.protocol().name().toLowerCase());
        }
        if (c.protocol() == Protocol.NONE) {
            return reject(c, Reply.Kind.INVALID, "publish needs a protocol: nvmf or nbd");
        }
        return persist(new NexusPublished(c.protocol(), c.deviceUri()), c);
    }

    private ReplyEffect<NexusEvent, NexusState> onSetChildState(NexusState s, SetChildState c) {
        Child child = s.child(c.uri());
        if (child == null) {
            return unknownChild(s, c, c.uri(), c.mark());
        }
        if (child.state() == c.state()) {
            return ok(s, c);
        }
        return switch (c.state()) {
            case ONLINE -> persist(new ChildOnline(c.uri(), c.mark()), c);
            case DEGRADED -> persist(new ChildDegraded(c.uri(), c.reason(), c.mark()), c);
            case FAULTED -> persist(new ChildFaulted(c.uri(), c.reason(), c.mark()), c);
            case UNKNOWN -> reject(c, Reply.Kind.INVALID, "a child cannot be set to UNKNOWN");
        };
    }

    private ReplyEffect<NexusEvent, NexusState> onRebuildStarted(NexusState s, NoteRebuildStarted c) {
        Child child = s.child(c.uri());
        if (child == null) {
            return unknownChild(s, c, c.uri(), c.mark());
        }
        if (child.state() == ChildState.ONLINE) {
            // A rebuild only ever runs onto a child that is not in sync, so this announces one that already
            // finished: a rebuild-topic record that the child's return to sync on the faults topic overtook (the
            // two topics are consumed independently). Journaled, it would reopen a finished rebuild in the volume's
            // history. A rebuild that really starts follows the child's fault or degradation, which reaches the
            // entity first.
            return ok(s, c);
        }
        return unlessAlready(s.rebuilding().contains(c.uri()), s, c,
                () -> new RebuildStarted(c.uri(), c.source(), c.partial(), c.mark()));
    }

    private ReplyEffect<NexusEvent, NexusState> onRebuildFinished(NexusState s, NoteRebuildFinished c) {
        if (s.child(c.uri()) == null) {
            return unknownChild(s, c, c.uri(), c.mark());
        }
        return unlessAlready(!s.rebuilding().contains(c.uri()), s, c,
                () -> new RebuildFinished(c.uri(), c.result(), c.cause(), c.mark()));
    }

    /**
     * A child report or bus record for this nexus: a bus record whose stream's mark covers it was journaled
     * already (a redelivery), and one for a nexus that is not (or no longer) active changes nothing and is no error:
     * the io-engine may report a nexus this plane has since destroyed.
     */
    private ReplyEffect<NexusEvent, NexusState> fromBus(NexusState s, NexusCommand c, BusMark mark,
                                                         Supplier<ReplyEffect<NexusEvent, NexusState>> f) {
        if (s.covers(mark) || mark.present() && !s.active()) {
            return ok(s, c);
        }
        return active(s, c, f);
    }

    private ReplyEffect<NexusEvent, NexusState> unknownChild(NexusState s, NexusCommand c, String uri, BusMark mark) {
        return mark.present() ? ok(s, c) : Effect().reply(c.replyTo(), Reply.notFound("child of nexus " + id, uri));
    }

    @Override
    public EventHandler<NexusState, NexusEvent> eventHandler() {
        return newEventHandlerBuilder().forAnyState()
                .onEvent(NexusCreated.class, (s, e) -> s.created(e.spec()))
                .onEvent(NexusPublished.class, (s, e) -> s.withTarget(e.protocol(), e.deviceUri()))
                .onEvent(NexusUnpublished.class, (s, e) -> s.withTarget(Protocol.NONE, ""))
                .onEvent(ChildAdded.class, (s, e) -> s.withChild(e.child()))
                .onEvent(ChildRemoved.class, (s, e) -> s.withoutChild(e.uri()))
                .onEvent(ChildFaulted.class, (s, e) -> s.withChildState(e.uri(), ChildState.FAULTED, e.reason())
                        .marked(e.mark()))
                .onEvent(ChildDegraded.class, (s, e) -> s.withChildState(e.uri(), ChildState.DEGRADED, e.reason())
                        .marked(e.mark()))
                .onEvent(ChildOnline.class, (s, e) -> s.withChildState(e.uri(), ChildState.ONLINE, "")
                        .marked(e.mark()))
                .onEvent(RebuildStarted.class, (s, e) -> s.withRebuild(e.uri(), true).marked(e.mark()))
                .onEvent(RebuildFinished.class, (s, e) -> s.withRebuild(e.uri(), false).marked(e.mark()))
                .onEvent(NexusStatusChanged.class, (s, e) -> s.withStatus(e.status()))
                .onEvent(NexusDestroyed.class, (s, e) -> s.destroyed())
                .build();
    }
}
