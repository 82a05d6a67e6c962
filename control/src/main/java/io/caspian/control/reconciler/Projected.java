package io.caspian.control.reconciler;

import io.caspian.control.entity.nexus.NexusState;
import io.caspian.control.entity.volume.VolumeState;
import io.caspian.control.readmodel.ModelKind;
import io.caspian.control.readmodel.ReadModel;
import java.util.Map;
import java.util.Set;

/**
 * What the read model last projected, by id range (inclusive), which may lag the journal: the sweeps use it as a
 * filter only, to leave alone what plainly needs nothing. Whatever they act on is read afresh from its entity.
 */
public interface Projected {
    Map<String, VolumeState> volumes(String from, String to);

    Map<String, NexusState> nexuses(String from, String to);

    /** Replica ids. */
    Set<String> replicas(String from, String to);

    /** The read model's tables. */
    static Projected of(ReadModel model) {
        return new Projected() {
            @Override
            public Map<String, VolumeState> volumes(String from, String to) {
                return model.projected(ModelKind.VOLUME, from, to);
            }

            @Override
            public Map<String, NexusState> nexuses(String from, String to) {
                return model.projected(ModelKind.NEXUS, from, to);
            }

            @Override
            public Set<String> replicas(String from, String to) {
                return model.projectedIds(ModelKind.REPLICA, from, to);
            }
        };
    }
}
