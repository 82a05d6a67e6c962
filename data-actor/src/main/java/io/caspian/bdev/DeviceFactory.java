package io.caspian.bdev;

/** Opens devices of one URI scheme. */
@FunctionalInterface
public interface DeviceFactory {
  BlockDevice open(DeviceUri uri) throws BdevException;
}
