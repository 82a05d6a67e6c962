/**
 * The io-engine's Prometheus metrics, under Mayastor's names so that its users' dashboards work
 * unchanged: pool capacity and state ({@code diskpool_*}), each volume's cumulative I/O counts
 * ({@code volume_*}, label {@code pv_name}) and each nexus child's state.
 *
 * <p>Nothing here polls. The pool and nexus actors register the live objects they own in a
 * {@link io.caspian.datanode.metrics.NodeObjects}; {@link io.caspian.datanode.metrics.IoEngineMetrics}
 * reads them when Prometheus scrapes, so an idle node does no metrics work between scrapes and the
 * I/O path only adds to its counters (see docs/adr/metrics.md).
 */
package io.caspian.datanode.metrics;
