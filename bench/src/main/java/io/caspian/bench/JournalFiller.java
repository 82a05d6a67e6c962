package io.caspian.bench;

import io.caspian.control.entity.nexus.NexusEntity;
import io.caspian.control.entity.nexus.NexusEvent;
import java.util.List;
import java.util.Set;
import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.persistence.typed.PersistenceId;
import org.apache.pekko.persistence.typed.javadsl.CommandHandler;
import org.apache.pekko.persistence.typed.javadsl.EventHandler;
import org.apache.pekko.persistence.typed.javadsl.EventSourcedBehavior;

/**
 * Journals nexus events in batches under a nexus's persistence id and tag, through the real journal plugin, so a
 * benchmark can fill the journal faster than one command per event allows.
 */
final class JournalFiller extends EventSourcedBehavior<JournalFiller.Append, NexusEvent, Integer> {
    record Append(List<NexusEvent> events, ActorRef<Done> replyTo) {
    }

    private JournalFiller(String nexusId) {
        super(PersistenceId.of(NexusEntity.TYPE_KEY.name(), nexusId));
    }

    static Behavior<Append> create(String nexusId) {
        return new JournalFiller(nexusId);
    }

    @Override
    public Integer emptyState() {
        return 0;
    }

    @Override
    public Set<String> tagsFor(NexusEvent event) {
        return Set.of(NexusEntity.TAG);
    }

    @Override
    public CommandHandler<Append, NexusEvent, Integer> commandHandler() {
        return newCommandHandlerBuilder().forAnyState()
                .onCommand(Append.class, (s, c) -> Effect().persist(c.events())
                        .thenReply(c.replyTo(), x -> Done.getInstance()))
                .build();
    }

    @Override
    public EventHandler<Integer, NexusEvent> eventHandler() {
        return newEventHandlerBuilder().forAnyState().onAnyEvent((s, e) -> s + 1);
    }
}
