package io.caspian.control.entity.nexus;

import io.caspian.events.ChildState;

/** One child of a nexus: the replica's URI as the nexus reaches it, which replica, its state and why. */
public record Child(String uri, String replica, ChildState state, String reason) {
    public Child withState(ChildState s, String why) {
        return new Child(uri, replica, s, why);
    }

    /** In sync with the volume's acknowledged writes: the only children a re-created nexus may start from. */
    public boolean inSync() {
        return state == ChildState.ONLINE;
    }
}
