package io.caspian.events.ioengine;

import io.caspian.events.Health;
import io.caspian.events.Protocol;

/** A replica as its io-engine sees it; uri is {@code bdev:///uuid} unless shared. */
public record ReplicaInfo(String uuid, String pool, long size, boolean thin, Protocol share, String uri,
                          Health status) {
}
