package io.caspian.bdev;

/**
 * Hears a device's own view of its health, the moment it changes: the listener path by which a
 * pool learns that its disk is gone without polling it. Called on the device's threads; an
 * implementation only records or forwards the news and returns.
 */
public interface DeviceWatcher {

  /** The device lost its backing store and is trying to get it back; I/O waits or fails. */
  void unreachable(String reason);

  /** Still unreachable after the device's own time limit: treat the device as failed. */
  void failed(String reason);

  /** The backing store is back; I/O flows again. */
  void restored();
}
