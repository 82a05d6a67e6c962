package io.caspian.control.reconciler;

import io.caspian.control.entity.Reply;
import io.caspian.control.entity.nexus.BusMark;
import io.caspian.control.entity.nexus.Child;
import io.caspian.control.entity.nexus.NexusCommand;
import io.caspian.control.entity.nexus.NexusState;
import io.caspian.control.entity.nexus.RebuildResult;
import io.caspian.events.ChildState;
import io.caspian.events.ioengine.ChildInfo;
import io.caspian.events.ioengine.NexusInfo;
import java.util.ArrayList;
import java.util.List;
import org.apache.pekko.actor.typed.ActorRef;

/**
 * What an io-engine's state report changes in a nexus's journaled children. Reports and bus records are two channels
 * with no order between them:
 * <ul>
 *   <li>Without a bus the report is the only channel: {@link #of} is what it journals.
 *   <li>Where the io-engine publishes to the bus this plane consumes, the bus is the ordered record of every child
 *       and rebuild change. A report leads it only with a fault ({@link #leadsTheBus}): positive evidence that the
 *       child missed writes, which must not wait for Kafka (the journal decides which children a lost nexus is
 *       re-created from). The rest waits for the bus ({@link BusGrace}). A report that journaled a return to sync
 *       or a rebuild first let the older bus records behind it replay the child's history a second time (degraded,
 *       rebuilt, online again), and one taken before the bus delivered a rebuild's end reopened that rebuild. A
 *       stale fault costs at most a replacement replica.
 * </ul>
 * A report calling a faulted child ONLINE predates the fault (a faulted child comes back only through a rebuild),
 * so it changes nothing on either channel.
 */
final class ReportedChildren {

    /** One change to journal, as the command that journals it. */
    sealed interface Change permits StateChanged, RebuildStarted, RebuildFinished {
        NexusCommand command(ActorRef<Reply> replyTo);
    }

    record StateChanged(String uri, ChildState state, String reason) implements Change {
        @Override
        public NexusCommand command(ActorRef<Reply> replyTo) {
            return new NexusCommand.SetChildState(uri, state, reason, replyTo);
        }
    }

    record RebuildStarted(String uri) implements Change {
        @Override
        public NexusCommand command(ActorRef<Reply> replyTo) {
            return new NexusCommand.NoteRebuildStarted(uri, "", false, BusMark.NONE, replyTo);
        }
    }

    record RebuildFinished(String uri, RebuildResult result) implements Change {
        @Override
        public NexusCommand command(ActorRef<Reply> replyTo) {
            return new NexusCommand.NoteRebuildFinished(uri, result, "", BusMark.NONE, replyTo);
        }
    }

    private ReportedChildren() {
    }

    /** Whether a report journals {@code c} at once even where the bus carries the nexus's child events. */
    static boolean leadsTheBus(Change c) {
        return c instanceof StateChanged s && s.state() == ChildState.FAULTED;
    }

    /** The changes {@code observed} shows against what the journal {@code known} holds. */
    static List<Change> of(NexusState known, NexusInfo observed) {
        List<Change> out = new ArrayList<>();
        for (ChildInfo c : observed.children()) {
            Child k = known.child(c.uri());
            if (k == null) {
                continue;
            }
            boolean running = c.rebuildProgress() >= 0;
            boolean journaled = known.rebuilding().contains(c.uri());
            if (running && !journaled) {
                out.add(new RebuildStarted(c.uri()));
            } else if (!running && journaled) {
                out.add(new RebuildFinished(c.uri(), c.state() == ChildState.ONLINE ? RebuildResult.COMPLETED
                        : RebuildResult.UNKNOWN));
            }
            if (k.state() != c.state() && c.state() != ChildState.UNKNOWN
                    && !(k.state() == ChildState.FAULTED && c.state() == ChildState.ONLINE)) {
                out.add(new StateChanged(c.uri(), c.state(), c.reason()));
            }
        }
        return out;
    }
}
