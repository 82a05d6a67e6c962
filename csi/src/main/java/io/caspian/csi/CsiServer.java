package io.caspian.csi;

import io.grpc.BindableService;
import io.grpc.ForwardingServerCall;
import io.grpc.Metadata;
import io.grpc.Server;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.ServerInterceptors;
import io.grpc.Status;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.netty.shaded.io.netty.channel.EventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.MultiThreadIoEventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.epoll.EpollIoHandler;
import io.grpc.netty.shaded.io.netty.channel.epoll.EpollServerDomainSocketChannel;
import io.grpc.netty.shaded.io.netty.channel.unix.DomainSocketAddress;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** A running gRPC server for one plugin, on a unix socket or TCP; every call and its outcome is logged. */
public final class CsiServer implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(CsiServer.class);

    private final Server server;
    private final Endpoint endpoint;
    /** Event loops this server made (a unix socket needs epoll ones); gRPC does not stop loops it was given. */
    private final List<EventLoopGroup> loops;

    private CsiServer(Server server, Endpoint endpoint, List<EventLoopGroup> loops) {
        this.server = server;
        this.endpoint = endpoint;
        this.loops = loops;
    }

    public static CsiServer start(Endpoint endpoint, List<BindableService> services) {
        NettyServerBuilder b;
        List<EventLoopGroup> loops = List.of();
        if (endpoint instanceof Endpoint.Unix u) {
            try {
                // A socket file left by a killed plugin would make bind fail; it holds no state.
                Files.deleteIfExists(u.path());
                Files.createDirectories(u.path().toAbsolutePath().getParent());
            } catch (IOException e) {
                throw new UncheckedIOException("cannot prepare " + u.path(), e);
            }
            loops = List.of(new MultiThreadIoEventLoopGroup(1, EpollIoHandler.newFactory()),
                    new MultiThreadIoEventLoopGroup(2, EpollIoHandler.newFactory()));
            b = NettyServerBuilder.forAddress(new DomainSocketAddress(u.path().toString()))
                    .channelType(EpollServerDomainSocketChannel.class)
                    .bossEventLoopGroup(loops.get(0))
                    .workerEventLoopGroup(loops.get(1));
        } else {
            Endpoint.Tcp t = (Endpoint.Tcp) endpoint;
            b = NettyServerBuilder.forAddress(new InetSocketAddress(t.host(), t.port()));
        }
        // Calls block on commands and REST requests, so they run on their own threads, never on the event loop.
        b.executor(Executors.newCachedThreadPool(r -> {
            Thread t = new Thread(r, "csi-call");
            t.setDaemon(true);
            return t;
        }));
        for (BindableService s : services) {
            b.addService(ServerInterceptors.intercept(s, new CallLog()));
        }
        try {
            return new CsiServer(b.build().start(), endpoint, loops);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot serve gRPC on " + endpoint + ": " + e.getMessage(), e);
        }
    }

    /** The TCP port actually bound (useful with port 0), or -1 on a unix socket. */
    public int port() {
        return endpoint instanceof Endpoint.Tcp ? server.getPort() : -1;
    }

    public void awaitTermination() throws InterruptedException {
        server.awaitTermination();
    }

    @Override
    public void close() {
        server.shutdown();
        try {
            if (!server.awaitTermination(5, TimeUnit.SECONDS)) {
                server.shutdownNow();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            server.shutdownNow();
        }
        loops.forEach(EventLoopGroup::shutdownGracefully);
    }

    /** Logs each call's method and status code, so that a node's log tells what kubelet asked and what it got. */
    private static final class CallLog implements ServerInterceptor {
        @Override
        public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers,
                                                           ServerCallHandler<Q, R> next) {
            long start = System.nanoTime();
            String method = call.getMethodDescriptor().getBareMethodName();
            return next.startCall(new ForwardingServerCall.SimpleForwardingServerCall<>(call) {
                @Override
                public void close(Status status, Metadata trailers) {
                    long ms = (System.nanoTime() - start) / 1_000_000;
                    if (status.isOk()) {
                        LOG.info("{} OK ({} ms)", method, ms);
                    } else {
                        LOG.info("{} {} ({} ms): {}", method, status.getCode(), ms, status.getDescription());
                    }
                    super.close(status, trailers);
                }
            }, headers);
        }
    }
}
