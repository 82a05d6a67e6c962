/**
 * The Kubernetes CSI driver's shared parts: the gRPC endpoint ({@link io.caspian.csi.Endpoint}), the two roles
 * ({@link io.caspian.csi.CsiMain}: {@code csi-controller} and {@code csi-node}), the Identity service, the
 * per-volume operation lock and the rules both plugins apply (access modes, host NQNs, external commands).
 * The controller plugin is in {@code .controller}, the node plugin in {@code .node}.
 */
package io.caspian.csi;
