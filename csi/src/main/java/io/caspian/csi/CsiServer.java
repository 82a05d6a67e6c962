package io.caspian.csi;

import io.grpc.BindableService;
import io.grpc.Context;
import io.grpc.Contexts;
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
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** A running gRPC server for one plugin, on a unix socket or TCP; every call and its outcome is logged and counted. */
public final class CsiServer implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(CsiServer.class);

    private final Server server;
    private final Endpoint endpoint;
    /** Event loops this server made (a unix socket needs epoll ones); gRPC does not stop loops it was given. */
    private final List<EventLoopGroup> loops;

    /** Services that run something of their own (the node plugin's path agent): closed with the server. */
    private final List<AutoCloseable> owned;

    private CsiServer(Server server, Endpoint endpoint, List<EventLoopGroup> loops, List<AutoCloseable> owned) {
        this.server = server;
        this.endpoint = endpoint;
        this.loops = loops;
        this.owned = owned;
    }

    /** Serves {@code services} on {@code endpoint}, their calls counted on {@code metrics} (null: not served). */
    public static CsiServer start(Endpoint endpoint, List<BindableService> services, PrometheusRegistry metrics) {
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
        CallLog log = new CallLog(new CallMetrics(metrics));
        for (BindableService s : services) {
            b.addService(ServerInterceptors.intercept(s, log));
        }
        try {
            return new CsiServer(b.build().start(), endpoint, loops, services.stream()
                    .filter(AutoCloseable.class::isInstance).map(AutoCloseable.class::cast).toList());
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
        for (AutoCloseable c : owned) {
            try {
                c.close();
            } catch (Exception e) {
                LOG.warn("closing {} failed: {}", c.getClass().getSimpleName(), e.toString());
            }
        }
    }

    /**
     * Logs each call's method and status code, so that a node's log tells what kubelet asked and what it got, and
     * counts and times it in {@link CallMetrics}. A call whose caller gives up first (kubelet's timeout: the
     * deadline passes, or it cancels) ends then, as DEADLINE_EXCEEDED or CANCELLED, though its handler still runs:
     * the answer reaches no one, and the call's context says so at once, where the listener would only once the
     * handler returned.
     */
    private static final class CallLog implements ServerInterceptor {
        private final CallMetrics metrics;

        CallLog(CallMetrics metrics) {
            this.metrics = metrics;
        }

        @Override
        public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers,
                                                           ServerCallHandler<Q, R> next) {
            long start = System.nanoTime();
            String method = call.getMethodDescriptor().getFullMethodName();
            AtomicBoolean ended = new AtomicBoolean();
            Consumer<Status> end = status -> {
                if (!ended.compareAndSet(false, true)) {
                    return;
                }
                long nanos = System.nanoTime() - start;
                metrics.ended(method, status.getCode(), nanos);
                String bare = call.getMethodDescriptor().getBareMethodName();
                if (status.isOk()) {
                    LOG.info("{} OK ({} ms)", bare, nanos / 1_000_000);
                } else {
                    LOG.info("{} {} ({} ms): {}", bare, status.getCode(), nanos / 1_000_000, status.getDescription());
                }
            };
            // Also cancelled after a call closes; by then the call has ended, with the status it closed with.
            Context.current().addListener(c -> end.accept(Contexts.statusFromCancelled(c)), Runnable::run);
            return next.startCall(new ForwardingServerCall.SimpleForwardingServerCall<>(call) {
                @Override
                public void close(Status status, Metadata trailers) {
                    end.accept(status);
                    super.close(status, trailers);
                }
            }, headers);
        }
    }
}
