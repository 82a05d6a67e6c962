package io.caspian.projections;

import com.typesafe.config.Config;
import io.caspian.control.entity.EntitySettings;
import io.caspian.control.entity.Reply;
import io.caspian.control.entity.nexus.Child;
import io.caspian.control.entity.nexus.NexusCommand;
import io.caspian.control.entity.nexus.NexusEntity;
import io.caspian.control.entity.nexus.NexusSpec;
import io.caspian.control.journal.JournalSchema;
import io.caspian.control.journal.JournalSettings;
import io.caspian.events.ChildState;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Props;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Join;

/**
 * A control-plane JVM for the kill -9 test: runs the projections and journals nexus events until it has made
 * {@code toggles} rounds, a pause after each, then idles until killed. Prints "journaled N" after every round.
 * Arguments: jdbc-url bootstrap-servers prefix nexuses toggles create(true|false) pause-millis.
 */
public final class ControlNodeMain {
    private ControlNodeMain() {
    }

    public static void main(String[] args) throws Exception {
        JournalSettings journal = ControlJvmKillTest.journal(args[0]);
        String prefix = args[2];
        int nexuses = Integer.parseInt(args[3]);
        int toggles = Integer.parseInt(args[4]);
        boolean create = Boolean.parseBoolean(args[5]);
        long pauseMillis = Long.parseLong(args[6]);
        JournalSchema.ensure(journal);
        Config config = ProjectionTestSupport.config(journal, String.join("\n",
                "pekko.actor.provider = cluster",
                "pekko.remote.artery.canonical.hostname = 127.0.0.1",
                "pekko.remote.artery.canonical.port = 0",
                "pekko.cluster.roles = [control]",
                "pekko.loglevel = WARNING",
                "caspian.projections.kafka.bootstrap-servers = \"" + args[1] + "\"",
                "caspian.projections.kafka.save-offset-after-events = 10",
                "caspian.projections.audit.group-size = 20"));
        ActorSystem<Void> system = ActorSystem.create(Behaviors.empty(), "caspian", config);
        Cluster cluster = Cluster.get(system);
        cluster.manager().tell(Join.create(cluster.selfMember().address()));
        Projections.start(system, config);

        List<ActorRef<NexusCommand>> refs = new ArrayList<>();
        for (int n = 0; n < nexuses; n++) {
            refs.add(system.systemActorOf(NexusEntity.create(prefix + "nexus-" + n, EntitySettings.DEFAULT),
                    "nexus-" + n, Props.empty()));
        }
        long journaled = 0;
        if (create) {
            for (int i = 0; i < nexuses; i++) {
                int n = i;
                String id = prefix + "nexus-" + n;
                ask(system, refs.get(n), r -> new NexusCommand.Create(new NexusSpec("node-" + (n % 2), 1 << 20,
                        prefix + "vol-" + n, List.of(new Child("bdev:///" + id, "rep-" + id, ChildState.ONLINE,
                        ""))), r));
                journaled++;
            }
        }
        for (int i = 0; i < toggles; i++) {
            ChildState state = i % 2 == 0 ? ChildState.FAULTED : ChildState.ONLINE;
            for (int n = 0; n < nexuses; n++) {
                String uri = "bdev:///" + prefix + "nexus-" + n;
                ask(system, refs.get(n), r -> new NexusCommand.SetChildState(uri, state, "test", r));
                journaled++;
            }
            System.out.println("journaled " + journaled);
            Thread.sleep(pauseMillis);
        }
        System.out.println("idle");
        Thread.sleep(Long.MAX_VALUE);
    }

    private static void ask(ActorSystem<Void> system, ActorRef<NexusCommand> to,
                            java.util.function.Function<ActorRef<Reply>, NexusCommand> c) throws Exception {
        Reply r = AskPattern.ask(to, c::apply, Duration.ofSeconds(10), system.scheduler()).toCompletableFuture()
                .get(15, TimeUnit.SECONDS);
        if (!(r instanceof Reply.Ok)) {
            throw new IllegalStateException(String.valueOf(r));
        }
    }
}
