package io.caspian.datanode.bus;

import io.caspian.events.proto.bus.BusEvent;

/**
 * One record on its way to Kafka. While it waits in the {@link EventBuffer} a newer event of the same kind may
 * replace its content (coalescing); once handed to the producer it gets its sequence number, kept across resends so
 * that consumers can recognise a resend that had landed after all.
 */
final class Outgoing {

  final String topic;
  final String nexus;
  /** Events with the same non-null key replace each other while queued; null: never replaced. */
  final String coalesceKey;
  BusEvent.Builder event;
  /** 0 until first handed to the producer. */
  long seq;
  /** Order of first hand-over, so that resends go out in the order of the first attempt. */
  long order;

  Outgoing(String topic, String nexus, String coalesceKey, BusEvent.Builder event) {
    this.topic = topic;
    this.nexus = nexus;
    this.coalesceKey = coalesceKey;
    this.event = event;
  }
}
