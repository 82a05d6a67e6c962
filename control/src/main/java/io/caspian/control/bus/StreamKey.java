package io.caspian.control.bus;

import io.caspian.events.proto.bus.BusEvent;

/**
 * One publisher's records for one nexus on one topic: within it, sequence numbers rise by one per record and the
 * records are in one partition, in order. A record whose number is not above the highest applied one is a
 * redelivery.
 *
 * @param source the publishing io-engine instance ({@link BusEvent#getSource()})
 */
public record StreamKey(String source, String topic, String nexus) {

  public static StreamKey of(String topic, BusEvent e) {
    return new StreamKey(e.getSource(), topic, e.getNexus());
  }
}
