package io.caspian.control.entity;

import java.util.Locale;
import java.util.Set;
import java.util.function.Supplier;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityTypeKey;
import org.apache.pekko.persistence.typed.PersistenceId;
import org.apache.pekko.persistence.typed.javadsl.EventSourcedBehaviorWithEnforcedReplies;
import org.apache.pekko.persistence.typed.javadsl.ReplyEffect;
import org.apache.pekko.persistence.typed.javadsl.RetentionCriteria;

/**
 * What the five entity types share: one tag per type, the snapshot retention, and the lifecycle every one of them
 * follows (create is idempotent for the same spec, a repeated destroy succeeds, any other command on an entity
 * that is not ACTIVE is NOT_FOUND). Enforced replies make a handler that forgets to answer a compile error, not a
 * caller's ask timeout.
 *
 * @param <C> the entity's command family
 * @param <E> its event family
 * @param <S> its state
 */
public abstract class ControlEntity<C extends EntityCommand, E, S extends EntityState>
        extends EventSourcedBehaviorWithEnforcedReplies<C, E, S> {
    protected final String id;
    /** How replies name this entity type: "pool", "volume", … */
    protected final String kind;
    private final String tag;
    private final EntitySettings settings;

    protected ControlEntity(EntityTypeKey<C> typeKey, String id, String tag, EntitySettings settings) {
        super(PersistenceId.of(typeKey.name(), id));
        this.id = id;
        this.kind = typeKey.name().toLowerCase(Locale.ROOT);
        this.tag = tag;
        this.settings = settings;
    }

    @Override
    public final Set<String> tagsFor(E event) {
        return Set.of(tag);
    }

    @Override
    public final RetentionCriteria retentionCriteria() {
        return settings.retention();
    }

    /** Answers with the state as it is: nothing to change. */
    protected final ReplyEffect<E, S> ok(S s, C c) {
        return Effect().reply(c.replyTo(), Reply.ok(s));
    }

    protected final ReplyEffect<E, S> reject(C c, Reply.Kind kind, String message) {
        return Effect().reply(c.replyTo(), new Reply.Rejected(kind, message));
    }

    /** Refuses a request whose own content is wrong, naming this entity. */
    protected final ReplyEffect<E, S> invalid(C c, String problem) {
        return reject(c, Reply.Kind.INVALID, kind + " '" + id + "': " + problem);
    }

    protected final ReplyEffect<E, S> notFound(C c) {
        return Effect().reply(c.replyTo(), Reply.notFound(kind, id));
    }

    /** Journals {@code event} and answers with the state it leads to. */
    protected final ReplyEffect<E, S> persist(E event, C c) {
        return Effect().persist(event).thenReply(c.replyTo(), Reply::ok);
    }

    /** Journals the event only when it would change something, so that a repeated command journals nothing. */
    protected final ReplyEffect<E, S> unlessAlready(boolean already, S s, C c, Supplier<E> event) {
        return already ? ok(s, c) : persist(event.get(), c);
    }

    /** Runs {@code handler} on an ACTIVE entity; on any other an answer of NOT_FOUND. */
    protected final ReplyEffect<E, S> active(S s, C c, Supplier<ReplyEffect<E, S>> handler) {
        return s.active() ? handler.get() : notFound(c);
    }

    /**
     * Create: refused when the spec has a {@code problem} (null if none); a repeat of the same spec answers the
     * entity as it is; another spec under a live id is a CONFLICT with {@code conflict}.
     */
    protected final ReplyEffect<E, S> create(S s, C c, String problem, Supplier<Boolean> sameSpec,
                                             Supplier<String> conflict, Supplier<E> created) {
        if (problem != null) {
            return invalid(c, problem);
        }
        if (s.active()) {
            return sameSpec.get() ? ok(s, c) : reject(c, Reply.Kind.CONFLICT, conflict.get());
        }
        return persist(created.get(), c);
    }

    /** Destroy: a repeat succeeds (the tombstone answers), an id never created is NOT_FOUND. */
    protected final ReplyEffect<E, S> destroy(S s, C c, E destroyed) {
        return switch (s.lifecycle()) {
            case ABSENT -> notFound(c);
            case DESTROYED -> ok(s, c);
            case ACTIVE -> persist(destroyed, c);
        };
    }
}
