package io.caspian.datanode;

import static org.junit.jupiter.api.Assertions.assertInstanceOf;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.caspian.events.ioengine.IoEngineCommand;
import io.caspian.events.ioengine.IoEngineReply;
import io.caspian.events.ioengine.NodeStateReport;
import java.time.Duration;
import java.util.function.Function;
import java.util.function.Predicate;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;

/**
 * DataNodes in an actor system for tests. Every message the control plane exchanges with them
 * goes through the io-engine serializer (serialize-messages), as it would between JVMs.
 */
final class Nodes implements AutoCloseable {
  static final Duration TIMEOUT = Duration.ofSeconds(15);

  final ActorTestKit kit;
  private int count;

  Nodes() {
    this(ConfigFactory.empty());
  }

  Nodes(Config extra) {
    kit = ActorTestKit.create("datanode-test", extra.withFallback(ConfigFactory.parseString(
        "pekko.actor.serialize-messages = on\n"
            + "pekko.actor.no-serialization-verification-needed-class-prefix = [\"org.apache.pekko.\"]\n"))
        .withFallback(ConfigFactory.load()));
  }

  ActorRef<IoEngineCommand> start(DataNodeSettings settings) {
    return kit.spawn(DataNode.create(settings), "data-node-" + settings.nodeId() + "-" + ++count);
  }

  /** Sends a command and waits for its reply. */
  IoEngineReply ask(ActorRef<IoEngineCommand> node,
      Function<ActorRef<IoEngineReply>, IoEngineCommand> command) {
    TestProbe<IoEngineReply> probe = kit.createTestProbe();
    node.tell(command.apply(probe.getRef()));
    return probe.receiveMessage(TIMEOUT);
  }

  /** Sends a command and expects a reply of {@code type}. */
  <T extends IoEngineReply> T expect(ActorRef<IoEngineCommand> node,
      Function<ActorRef<IoEngineReply>, IoEngineCommand> command, Class<T> type) {
    IoEngineReply r = ask(node, command);
    return assertInstanceOf(type, r, () -> "reply was " + r);
  }

  TestProbe<NodeStateReport> subscribe(ActorRef<IoEngineCommand> node) {
    TestProbe<NodeStateReport> p = kit.createTestProbe();
    node.tell(new IoEngineCommand.SubscribeState(p.getRef()));
    return p;
  }

  /** Reports until one matches; fails after the timeout. */
  static NodeStateReport await(TestProbe<NodeStateReport> p, Predicate<NodeStateReport> ok) {
    long deadline = System.nanoTime() + TIMEOUT.toNanos();
    for (;;) {
      Duration left = Duration.ofNanos(Math.max(1, deadline - System.nanoTime()));
      NodeStateReport r = p.receiveMessage(left);
      if (ok.test(r)) {
        return r;
      }
    }
  }

  @Override
  public void close() {
    kit.shutdownTestKit();
  }
}
