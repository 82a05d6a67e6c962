/**
 * The DiskPool operator: a stateless process that watches {@code DiskPool} objects ({@code caspian.io/v1}) in one
 * namespace and makes each one's pool exist on its node through the control plane's REST API, writes the pool's
 * state and capacity back into the object's status, and destroys the pool when the object is deleted (a finalizer
 * holds the object until the control plane confirms the pool is gone).
 *
 * <p>Like Mayastor's {@code operator-diskpool}, it keeps no state of its own: the Kubernetes object is the user's
 * intent, the control plane's pool is the truth, and every pass compares the two afresh. So a restarted operator
 * adopts the pools that exist without touching them, and nothing is ever destroyed on the strength of a listing
 * that is missing or an API that does not answer: only a DiskPool that is being deleted makes it ask for a
 * destroy, and never for a pool whose disk is not the one the DiskPool names.
 *
 * <p>Classes, one reason each: {@link io.caspian.diskpool.PoolApi} (the REST calls, each answering an
 * {@link io.caspian.diskpool.Answer}, with the pool as a {@link io.caspian.diskpool.PoolView}),
 * {@link io.caspian.diskpool.DiskPool} and its spec and status (the Kubernetes object),
 * {@link io.caspian.diskpool.Reconciler} (one DiskPool's decision), {@link io.caspian.diskpool.DiskPoolStore}
 * (the writes to Kubernetes), {@link io.caspian.diskpool.Operator} (the watch, the work queue and the resync).
 */
package io.caspian.diskpool;
