package io.caspian.control.entity;

import org.apache.pekko.persistence.typed.javadsl.RetentionCriteria;

/** Tuning shared by all entities: how often a snapshot bounds replay, and how many are kept. */
public record EntitySettings(int snapshotEvery, int keepSnapshots) {
    public static final EntitySettings DEFAULT = new EntitySettings(100, 2);

    public RetentionCriteria retention() {
        return RetentionCriteria.snapshotEvery(snapshotEvery, keepSnapshots);
    }
}
