package io.caspian.nexus;

/**
 * Receives a nexus's events. Called on whatever thread caused the change (an I/O completion, an
 * admin call, a rebuild step), outside nexus locks: implementations must return quickly and
 * never block, e.g. by handing the event to an actor or a Kafka producer's buffer.
 */
@FunctionalInterface
public interface NexusListener {
  void onEvent(NexusEvent event);
}
