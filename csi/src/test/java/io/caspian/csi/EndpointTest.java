package io.caspian.csi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.caspian.csi.v1.GetPluginInfoRequest;
import io.caspian.csi.v1.IdentityGrpc;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.shaded.io.netty.channel.epoll.EpollDomainSocketChannel;
import io.grpc.netty.shaded.io.netty.channel.MultiThreadIoEventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.epoll.EpollIoHandler;
import io.grpc.netty.shaded.io.netty.channel.unix.DomainSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class EndpointTest {
    @TempDir
    Path dir;

    @Test
    void parsesTheFormsKubeletAndTestsUse() {
        assertEquals(new Endpoint.Unix(Path.of("/csi/csi.sock")), Endpoint.parse("unix:///csi/csi.sock"));
        assertEquals(new Endpoint.Unix(Path.of("/csi/csi.sock")), Endpoint.parse("unix:/csi/csi.sock"));
        assertEquals(new Endpoint.Tcp("127.0.0.1", 10000), Endpoint.parse("tcp://127.0.0.1:10000"));
        assertEquals(new Endpoint.Tcp("0.0.0.0", 10000), Endpoint.parse("0.0.0.0:10000"));
        assertThrows(IllegalArgumentException.class, () -> Endpoint.parse(""));
        assertThrows(IllegalArgumentException.class, () -> Endpoint.parse("unix://csi.sock"));
        assertThrows(IllegalArgumentException.class, () -> Endpoint.parse("127.0.0.1"));
        assertThrows(IllegalArgumentException.class, () -> Endpoint.parse("127.0.0.1:http"));
        assertThrows(IllegalArgumentException.class, () -> Endpoint.parse("127.0.0.1:70000"));
    }

    @Test
    void servesIdentityOnAUnixSocketReplacingAStaleOne() throws Exception {
        Path sock = dir.resolve("plugin/csi.sock");
        Files.createDirectories(sock.getParent());
        Files.writeString(sock, "left by a killed plugin");
        MultiThreadIoEventLoopGroup group = new MultiThreadIoEventLoopGroup(1, EpollIoHandler.newFactory());
        CsiServer server = CsiServer.start(Endpoint.parse("unix://" + sock),
                List.of(new IdentityService(false, () -> true)), null);
        try {
            assertEquals(-1, server.port());
            ManagedChannel ch = NettyChannelBuilder.forAddress(new DomainSocketAddress(sock.toString()))
                    .channelType(EpollDomainSocketChannel.class).eventLoopGroup(group).usePlaintext().build();
            try {
                assertEquals(IdentityService.DRIVER_NAME, IdentityGrpc.newBlockingStub(ch)
                        .getPluginInfo(GetPluginInfoRequest.getDefaultInstance()).getName());
            } finally {
                ch.shutdownNow();
            }
        } finally {
            server.close();
            group.shutdownGracefully();
        }
    }
}
