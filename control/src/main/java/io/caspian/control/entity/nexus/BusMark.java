package io.caspian.control.entity.nexus;

/**
 * Which io-bus record a child or rebuild event came from, journaled inside that event so that a redelivered record
 * is recognised after a restart without a bookkeeping row of its own. One mark is kept per stream, that is per
 * node and topic: a record of a newer publisher incarnation (an io-engine restart makes a new {@code source})
 * replaces the older incarnation's mark, so the marks a nexus keeps do not grow with restarts.
 *
 * @param source     the publishing io-engine incarnation ("node/uuid")
 * @param seq        from 1, +1 per record of that incarnation for this nexus on this topic; 0 for {@link #NONE}
 * @param timeMillis when the io-engine saw the event: orders two incarnations of the same node (one clock)
 */
public record BusMark(String node, String topic, String source, long seq, long timeMillis) {
    /** An event that came from a state report or the reconciler, not from the bus. */
    public static final BusMark NONE = new BusMark("", "", "", 0, 0);

    public boolean present() {
        return seq > 0;
    }

    /** The stream this mark belongs to: one per node and topic, whatever the incarnation. */
    public String stream() {
        return stream(node, topic);
    }

    public static String stream(String node, String topic) {
        return node + "|" + topic;
    }

    /**
     * Whether the record with this mark was applied already ({@code applied} is its stream's mark, null if none):
     * the same incarnation at or past it, or a record of an incarnation that a later one has superseded.
     */
    public boolean coveredBy(BusMark applied) {
        if (applied == null) {
            return false;
        }
        if (applied.source.equals(source)) {
            return seq <= applied.seq;
        }
        return timeMillis < applied.timeMillis;
    }
}
