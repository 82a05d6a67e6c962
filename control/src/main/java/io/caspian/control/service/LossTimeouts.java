package io.caspian.control.service;

import java.time.Duration;

/**
 * How long an io-engine may be Offline before the control plane acts, for each of the two things it gives up on.
 * Moving a target copies nothing (the new nexus opens replicas that are already there, and the old one is fenced
 * by generation), so it acts after {@code failover}; giving up on a node's replicas costs a full copy each, so it
 * waits the longer {@code node} timeout for a restart or a short partition to end.
 */
public record LossTimeouts(Duration failover, Duration node) {
    public LossTimeouts {
        if (failover.isNegative() || failover.isZero() || node.isNegative() || node.isZero()) {
            throw new IllegalArgumentException("loss timeouts must be more than 0, got failover " + failover
                    + ", node " + node);
        }
    }
}
