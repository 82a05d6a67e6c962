/**
 * The CSI controller plugin: stateless, it turns the Controller service's calls into calls of Caspian's REST API.
 * A CSI volume name maps to a name-based UUID, so CreateVolume is idempotent without any state of its own; the
 * StorageClass parameters travel in the volume context to ControllerPublishVolume and from there, with the target's
 * address, in the publish context to the node plugin.
 */
package io.caspian.csi.controller;
