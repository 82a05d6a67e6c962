package io.caspian.control.entity.nexus;

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
import java.util.Set;
import java.util.function.Supplier;
import java.util.stream.Collectors;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityTypeKey;
import org.apache.pekko.persistence.typed.PersistenceId;
import org.apache.pekko.persistence.typed.javadsl.CommandHandler;
import org.apache.pekko.persistence.typed.javadsl.Effect;
import org.apache.pekko.persistence.typed.javadsl.EventHandler;
import org.apache.pekko.persistence.typed.javadsl.EventSourcedBehavior;
import org.apache.pekko.persistence.typed.javadsl.RetentionCriteria;

/**
 * A nexus. Its child states are the control plane's memory of which replicas hold every acknowledged write: after
 * an io-engine restart the nexus is re-created from the children this entity still calls ONLINE, never from one
 * that was faulted or mid-rebuild. A destroyed (unpublished) nexus keeps its last children for the same reason, and
 * {@code Get} answers in every lifecycle so that the next publish can read them.
 */
public final class NexusEntity extends EventSourcedBehavior<NexusCommand, NexusEvent, NexusState> {
    public static final EntityTypeKey<NexusCommand> TYPE_KEY = EntityTypeKey.create(NexusCommand.class, "Nexus");
    public static final String TAG = "nexus";

    private final String id;
    private final EntitySettings settings;

    private NexusEntity(String id, EntitySettings settings) {
        super(PersistenceId.of(TYPE_KEY.name(), id));
        this.id = id;
        this.settings = settings;
    }

    public static Behavior<NexusCommand> create(String id, EntitySettings settings) {
        return new NexusEntity(id, settings);
    }

    @Override
    public NexusState emptyState() {
        return NexusState.empty(id);
    }

    @Override
    public Set<String> tagsFor(NexusEvent event) {
        return Set.of(TAG);
    }

    @Override
    public RetentionCriteria retentionCriteria() {
        return settings.retention();
    }

    @Override
    public CommandHandler<NexusCommand, NexusEvent, NexusState> commandHandler() {
        return newCommandHandlerBuilder().forAnyState()
                .onCommand(Create.class, this::onCreate)
                .onCommand(Destroy.class, this::onDestroy)
                .onCommand(Get.class, (s, c) -> Effect().reply(c.replyTo(), Reply.ok(s)))
                .onCommand(Publish.class, (s, c) -> active(s, c, () -> onPublish(s, c)))
                .onCommand(Unpublish.class, (s, c) -> active(s, c, () -> !s.published()
                        ? Effect().reply(c.replyTo(), Reply.ok(s)) : persist(new NexusUnpublished(), c)))
                .onCommand(AddChild.class, (s, c) -> active(s, c, () -> s.child(c.child().uri()) != null
                        ? Effect().reply(c.replyTo(), Reply.ok(s)) : persist(new ChildAdded(c.child()), c)))
                .onCommand(RemoveChild.class, (s, c) -> active(s, c, () -> s.child(c.uri()) == null
                        ? Effect().reply(c.replyTo(), Reply.ok(s)) : persist(new ChildRemoved(c.uri()), c)))
                .onCommand(SetChildState.class, (s, c) -> fromBus(s, c, c.mark(), () -> onSetChildState(s, c)))
                .onCommand(NoteRebuildStarted.class, (s, c) -> fromBus(s, c, c.mark(), () -> onRebuildStarted(s, c)))
                .onCommand(NoteRebuildFinished.class, (s, c) -> fromBus(s, c, c.mark(),
                        () -> onRebuildFinished(s, c)))
                .onCommand(SetStatus.class, (s, c) -> active(s, c, () -> s.status() == c.status()
                        ? Effect().reply(c.replyTo(), Reply.ok(s)) : persist(new NexusStatusChanged(c.status()), c)))
                .build();
    }

    private Effect<NexusEvent, NexusState> onCreate(NexusState s, Create c) {
        String problem = c.spec().problem();
        if (problem != null) {
            return Effect().reply(c.replyTo(), Reply.invalid("nexus '" + id + "': " + problem));
        }
        if (s.active()) {
            // Children change state after creation, so a repeat is recognised by node, size, volume and child URIs.
            Set<String> asked = c.spec().children().stream().map(Child::uri).collect(Collectors.toSet());
            Set<String> have = s.children().stream().map(Child::uri).collect(Collectors.toSet());
            boolean same = s.node().equals(c.spec().node()) && s.size() == c.spec().size()
                    && s.volume().equals(c.spec().volume()) && asked.equals(have);
            return same ? Effect().reply(c.replyTo(), Reply.ok(s))
                    : Effect().reply(c.replyTo(), Reply.conflict("nexus '" + id + "' already exists on node '"
                            + s.node() + "' with size " + s.size() + " and children " + have));
        }
        return persist(new NexusCreated(c.spec()), c);
    }

    private Effect<NexusEvent, NexusState> onDestroy(NexusState s, Destroy c) {
        return switch (s.lifecycle()) {
            case ABSENT -> Effect().reply(c.replyTo(), Reply.notFound("nexus", id));
            case DESTROYED -> Effect().reply(c.replyTo(), Reply.ok(s));
            case ACTIVE -> persist(new NexusDestroyed(), c);
        };
    }

    private Effect<NexusEvent, NexusState> onPublish(NexusState s, Publish c) {
        if (s.published()) {
            return s.protocol() == c.protocol()
                    ? Effect().reply(c.replyTo(), Reply.ok(s))
                    : Effect().reply(c.replyTo(), Reply.conflict("nexus '" + id + "' is already published over "
                            + s.protocol().name().toLowerCase()));
        }
        if (c.protocol() == Protocol.NONE) {
            return Effect().reply(c.replyTo(), Reply.invalid("publish needs a protocol: nvmf or nbd"));
        }
        return persist(new NexusPublished(c.protocol(), c.deviceUri()), c);
    }

    private Effect<NexusEvent, NexusState> onSetChildState(NexusState s, SetChildState c) {
        Child child = s.child(c.uri());
        if (child == null) {
            return unknownChild(s, c, c.uri(), c.mark());
        }
        if (child.state() == c.state()) {
            return Effect().reply(c.replyTo(), Reply.ok(s));
        }
        return switch (c.state()) {
            case ONLINE -> persist(new ChildOnline(c.uri(), c.mark()), c);
            case DEGRADED -> persist(new ChildDegraded(c.uri(), c.reason(), c.mark()), c);
            case FAULTED -> persist(new ChildFaulted(c.uri(), c.reason(), c.mark()), c);
            case UNKNOWN -> Effect().reply(c.replyTo(), Reply.invalid("a child cannot be set to UNKNOWN"));
        };
    }

    private Effect<NexusEvent, NexusState> onRebuildStarted(NexusState s, NoteRebuildStarted c) {
        if (s.child(c.uri()) == null) {
            return unknownChild(s, c, c.uri(), c.mark());
        }
        return s.rebuilding().contains(c.uri()) ? Effect().reply(c.replyTo(), Reply.ok(s))
                : persist(new RebuildStarted(c.uri(), c.source(), c.partial(), c.mark()), c);
    }

    private Effect<NexusEvent, NexusState> onRebuildFinished(NexusState s, NoteRebuildFinished c) {
        if (s.child(c.uri()) == null) {
            return unknownChild(s, c, c.uri(), c.mark());
        }
        return !s.rebuilding().contains(c.uri()) ? Effect().reply(c.replyTo(), Reply.ok(s))
                : persist(new RebuildFinished(c.uri(), c.result(), c.cause(), c.mark()), c);
    }

    /**
     * A child report or bus record for this nexus: a bus record whose stream's mark covers it was journaled
     * already (a redelivery), and one for a nexus that is not (or no longer) active changes nothing and is no error:
     * the io-engine may report a nexus this plane has since destroyed.
     */
    private Effect<NexusEvent, NexusState> fromBus(NexusState s, NexusCommand c, BusMark mark,
                                                    Supplier<Effect<NexusEvent, NexusState>> f) {
        if (s.covers(mark) || mark.present() && !s.active()) {
            return Effect().reply(c.replyTo(), Reply.ok(s));
        }
        return active(s, c, f);
    }

    private Effect<NexusEvent, NexusState> unknownChild(NexusState s, NexusCommand c, String uri, BusMark mark) {
        return mark.present() ? Effect().reply(c.replyTo(), Reply.ok(s))
                : Effect().reply(c.replyTo(), Reply.notFound("child of nexus " + id, uri));
    }

    private Effect<NexusEvent, NexusState> active(NexusState s, NexusCommand c,
                                                   Supplier<Effect<NexusEvent, NexusState>> f) {
        return s.active() ? f.get() : Effect().reply(c.replyTo(), Reply.notFound("nexus", id));
    }

    private Effect<NexusEvent, NexusState> persist(NexusEvent e, NexusCommand c) {
        return Effect().persist(e).thenReply(c.replyTo(), Reply::ok);
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
