package io.caspian.events.ioengine;

import io.caspian.events.Health;
import io.caspian.events.Protocol;
import java.util.List;

/** A nexus as its io-engine sees it; deviceUri is empty until published. */
public record NexusInfo(String uuid, long size, Health status, Protocol protocol, String deviceUri,
                        List<ChildInfo> children, int errorThreshold, long rebuildBytesPerSecond) {
    public NexusInfo {
        children = List.copyOf(children);
    }
}
