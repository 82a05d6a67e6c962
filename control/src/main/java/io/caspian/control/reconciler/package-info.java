/**
 * The reconcilers: one per concern (a volume's nexus, its faulted children, its replica count, its health as
 * observed; orphans; pools through {@link io.caspian.control.service.PoolService}), driven by the changes in the
 * io-engines' reports and the bus, with a paged sweep as the safety net
 * ({@link io.caspian.control.reconciler.Reconciler}).
 * They keep nothing the journal and the next reports cannot give back, so that any control node can run them.
 */
package io.caspian.control.reconciler;
