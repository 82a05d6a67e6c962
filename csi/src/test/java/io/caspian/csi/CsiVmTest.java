package io.caspian.csi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.caspian.csi.v1.ControllerGrpc;
import io.caspian.csi.v1.ControllerPublishVolumeRequest;
import io.caspian.csi.v1.ControllerPublishVolumeResponse;
import io.caspian.csi.v1.ControllerUnpublishVolumeRequest;
import io.caspian.csi.v1.CreateVolumeRequest;
import io.caspian.csi.v1.CreateVolumeResponse;
import io.caspian.csi.v1.CapacityRange;
import io.caspian.csi.v1.DeleteVolumeRequest;
import io.caspian.csi.v1.IdentityGrpc;
import io.caspian.csi.v1.GetPluginInfoRequest;
import io.caspian.csi.v1.NodeGetInfoRequest;
import io.caspian.csi.v1.NodeGetInfoResponse;
import io.caspian.csi.v1.NodeGetVolumeStatsRequest;
import io.caspian.csi.v1.NodeGetVolumeStatsResponse;
import io.caspian.csi.v1.NodeGrpc;
import io.caspian.csi.v1.NodePublishVolumeRequest;
import io.caspian.csi.v1.NodeStageVolumeRequest;
import io.caspian.csi.v1.NodeUnpublishVolumeRequest;
import io.caspian.csi.v1.NodeUnstageVolumeRequest;
import io.caspian.csi.v1.VolumeCapability;
import io.caspian.csi.v1.VolumeCapability.AccessMode.Mode;
import io.caspian.csi.v1.VolumeUsage;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The driver against the Linux kernel, as kubelet and the sidecars drive it: Caspian (control plane + three
 * io-engines) and {@code csi-controller} on the host, {@code csi-node} in a Debian 6.1 VM
 * ({@code ../shared/peers/java-vm.sh}) whose kernel connects over NVMe/TCP (and NBD) to the host's io-engines.
 * One VM boot serves every case; the guest's mounts are only visible in the guest, so files are written and
 * checksummed there through {@link Guest}.
 */
class CsiVmTest {
    private static final String NODE_ID = "vm-node-1";
    private static final int GUEST_PORT = 10000;
    private static final Map<String, String> NVMF = Map.of("repl", "3", "thin", "true", "nvmeCtrlLossTmo", "30",
            "nvmeKeepAliveTmo", "10", "nvmeIoTimeout", "60", "nvmeNrIoQueues", "2");

    @TempDir
    Path dir;

    private final Map<String, Long> timings = new LinkedHashMap<>();
    private ControllerGrpc.ControllerBlockingStub controller;
    private ManagedChannel nodeChannel;
    private Guest guest;
    private CaspianCluster caspian;

    @Test
    void kubeletFlowAgainstTheLinuxKernel() throws Exception {
        Path root = Path.of("").toAbsolutePath().getParent();
        Path peers = root.resolve("../shared/peers").normalize();
        assumeTrue(Files.isExecutable(peers.resolve("java-vm.sh")), "no " + peers + "/java-vm.sh; skipping");
        long t0 = System.nanoTime();
        try (CaspianCluster cluster = CaspianCluster.start(dir, 1024);
             CsiMain.Running ctl = CsiMain.start("csi-controller", List.of("--endpoint", "127.0.0.1:0", "--api",
                     cluster.api, "--token-file", cluster.tokenFile().toString()))) {
            time("caspian + csi-controller up", t0);
            caspian = cluster;
            ManagedChannel ctlChannel = NettyChannelBuilder.forAddress("127.0.0.1", ctl.server().port())
                    .usePlaintext().build();
            controller = ControllerGrpc.newBlockingStub(ctlChannel);
            long vmStart = System.nanoTime();
            try (Guest g = Guest.boot(peers, root, dir, cluster)) {
                guest = g;
                nodeChannel = NettyChannelBuilder.forAddress("127.0.0.1", g.hostPort).usePlaintext().build();
                g.awaitReady(Duration.ofMinutes(15));
                NodeGetInfoResponse info = awaitNode(Duration.ofSeconds(180));
                time("VM boot + csi-node serving", vmStart);
                assertEquals(NODE_ID, info.getNodeId());
                assertEquals(NODE_ID, info.getAccessibleTopology().getSegmentsOrThrow("caspian.io/node"));
                assertEquals(IdentityService.DRIVER_NAME, IdentityGrpc.newBlockingStub(nodeChannel)
                        .getPluginInfo(GetPluginInfoRequest.getDefaultInstance()).getName());

                nodeArgumentChecks();
                filesystemVolume("ext4", 64L << 20);
                filesystemVolume("xfs", 320L << 20);
                blockVolume();
                killedMidStage();
                nbdVolume();
            } finally {
                nodeChannel.shutdownNow();
                ctlChannel.shutdownNow();
            }
        } finally {
            time("whole test", t0);
            System.out.println("CsiVmTest timings:");
            timings.forEach((k, v) -> System.out.printf("  %-44s %7.1f s%n", k, v / 1000.0));
        }
    }

    /**
     * Target failover under a writing guest (issue 13): the io-engine running the volume's nexus stops abruptly; the
     * control plane (node timeout 3 s) re-creates the nexus elsewhere under the same NQN, and csi-node's path agent
     * (started by --api) connects the new path and drops the dead one. Every block the guest's writer was told was
     * written, before and after, must read back with its checksum.
     */
    @Test
    void targetFailover() throws Exception {
        Path root = Path.of("").toAbsolutePath().getParent();
        Path peers = root.resolve("../shared/peers").normalize();
        assumeTrue(Files.isExecutable(peers.resolve("java-vm.sh")), "no " + peers + "/java-vm.sh; skipping");
        long t0 = System.nanoTime();
        try (CaspianCluster cluster = CaspianCluster.start(dir, 256, Map.of("caspian.control.node-timeout", "3s"));
             CsiMain.Running ctl = CsiMain.start("csi-controller", List.of("--endpoint", "127.0.0.1:0", "--api",
                     cluster.api, "--token-file", cluster.tokenFile().toString()))) {
            caspian = cluster;
            ManagedChannel ctlChannel = NettyChannelBuilder.forAddress("127.0.0.1", ctl.server().port())
                    .usePlaintext().build();
            controller = ControllerGrpc.newBlockingStub(ctlChannel);
            try (Guest g = Guest.boot(peers, root, dir, cluster, true)) {
                guest = g;
                nodeChannel = NettyChannelBuilder.forAddress("127.0.0.1", g.hostPort).usePlaintext().build();
                g.awaitReady(Duration.ofMinutes(15));
                awaitNode(Duration.ofSeconds(180));
                time("VM boot + csi-node serving (with --api)", t0);
                failover();
            } finally {
                if (nodeChannel != null) {
                    nodeChannel.shutdownNow();
                }
                ctlChannel.shutdownNow();
            }
        } finally {
            time("whole failover test", t0);
            System.out.println("CsiVmTest timings:");
            timings.forEach((k, v) -> System.out.printf("  %-44s %7.1f s%n", k, v / 1000.0));
        }
    }

    /** The writer in the guest: 4 KiB blocks, each written once with O_DIRECT; ACK lines only after dd succeeded. */
    private static final String WRITER = """
            T=$1; i=0; : > /tmp/fo.log; rm -f /tmp/fo.stop /tmp/fo.done
            while [ ! -e /tmp/fo.stop ] && [ $i -lt 4000 ]; do
              dd if=/dev/urandom of=/tmp/fo.blk bs=4096 count=1 status=none
              t1=$EPOCHREALTIME
              if dd if=/tmp/fo.blk of=$T bs=4096 seek=$i count=1 oflag=direct conv=notrunc,fsync status=none; then
                t2=$EPOCHREALTIME
                s=$(sha256sum < /tmp/fo.blk); echo "ACK $i ${s:0:64} $t1 $t2" >> /tmp/fo.log
              else
                echo "ERR $i - $t1 $EPOCHREALTIME" >> /tmp/fo.log
              fi
              i=$((i+1))
            done
            touch /tmp/fo.done
            """;

    private static final String VERIFY = """
            T=$1; n=0; bad=0
            while read -r tag i sum t1 t2; do
              [ "$tag" = ACK ] || continue
              got=$(dd if=$T bs=4096 skip=$i count=1 iflag=direct status=none | sha256sum)
              n=$((n+1)); [ "${got:0:64}" = "$sum" ] || { bad=$((bad+1)); echo "BAD block $i"; }
            done < /tmp/fo.log
            echo "verified $n errors $bad"
            """;

    private void failover() throws Exception {
        VolumeCapability cap = VolumeCapability.newBuilder().setBlock(VolumeCapability.BlockVolume
                .getDefaultInstance()).setAccessMode(VolumeCapability.AccessMode.newBuilder()
                .setMode(Mode.SINGLE_NODE_WRITER)).build();
        CreateVolumeResponse created = createTwice("pvc-failover", 32L << 20, cap, NVMF);
        String id = created.getVolume().getVolumeId();
        Map<String, String> ctx = publishTwice(id, cap, created.getVolume().getVolumeContextMap());
        String staging = "/tmp/kubelet/plugins/csi/volumeDevices/staging/" + id;
        String target = "/tmp/kubelet/plugins/csi/volumeDevices/publish/" + id + "/pod-1";
        node().nodeStageVolume(NodeStageVolumeRequest.newBuilder().setVolumeId(id).putAllPublishContext(ctx)
                .setStagingTargetPath(staging).setVolumeCapability(cap).build());
        node().nodePublishVolume(NodePublishVolumeRequest.newBuilder().setVolumeId(id).putAllPublishContext(ctx)
                .setStagingTargetPath(staging).setTargetPath(target).setVolumeCapability(cap).build());
        com.fasterxml.jackson.databind.JsonNode before = caspian.get("/v0/volumes/" + id).path("target");
        String oldNode = before.path("node").asText();
        String oldUri = before.path("device_uri").asText();
        System.out.println("CsiVmTest failover: nexus on " + oldNode + " at " + oldUri);

        guest.sh("cat > /tmp/fo.sh <<'EOF'\n" + WRITER + "EOF\ncat > /tmp/fo-verify.sh <<'EOF'\n" + VERIFY
                + "EOF\nsetsid bash /tmp/fo.sh " + target + " </dev/null >/dev/null 2>&1 &");
        int acksBefore = awaitAcks(10, Duration.ofSeconds(120));
        long stop = System.nanoTime();
        caspian.stopEngine(oldNode);
        long offline = System.nanoTime();
        String newNode = null;
        String newUri = null;
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (newNode == null) {
            com.fasterxml.jackson.databind.JsonNode t = caspian.get("/v0/volumes/" + id).path("target");
            if (!t.path("node").asText().equals(oldNode) && t.path("device_uri").asText().startsWith("nvmf://")) {
                newNode = t.path("node").asText();
                newUri = t.path("device_uri").asText();
            } else if (System.nanoTime() > deadline) {
                throw new AssertionError("the control plane did not fail the target over within 60 s: " + t);
            } else {
                Thread.sleep(100);
            }
        }
        long failedOver = System.nanoTime();
        System.out.println("CsiVmTest failover: target moved to " + newNode + " at " + newUri);
        awaitAcks(acksBefore + 10, Duration.ofSeconds(180));
        long resumed = System.nanoTime();
        guest.sh("touch /tmp/fo.stop; for k in $(seq 1 600); do [ -e /tmp/fo.done ] && break; sleep 0.1; done; "
                + "[ -e /tmp/fo.done ]");
        String subsys = guest.sh("nvme list-subsys 2>/dev/null || true; for c in /sys/class/nvme/nvme*; do "
                + "echo \"$c $(cat $c/subsysnqn) $(cat $c/state) $(cat $c/address) cntlid=$(cat $c/cntlid)\"; "
                + "done");
        String log = guest.sh("cat /tmp/fo.log");
        String verified = guest.sh("bash /tmp/fo-verify.sh " + target).strip();

        // The guest's own view of the stall: the longest wait between one acknowledged write and the next.
        List<double[]> acks = new ArrayList<>();
        int errs = 0;
        for (String l : log.split("\n")) {
            String[] f = l.trim().split("\\s+");
            if (f.length == 5 && f[0].equals("ACK")) {
                acks.add(new double[] {Double.parseDouble(f[3]), Double.parseDouble(f[4])});
            } else if (f.length == 5 && f[0].equals("ERR")) {
                errs++;
            }
        }
        double maxGap = 0;
        double maxWrite = 0;
        List<Double> gaps = new ArrayList<>();
        for (int i = 1; i < acks.size(); i++) {
            double gap = acks.get(i)[1] - acks.get(i - 1)[1];
            gaps.add(gap);
            maxGap = Math.max(maxGap, gap);
        }
        for (double[] a : acks) {
            maxWrite = Math.max(maxWrite, a[1] - a[0]);
        }
        gaps.sort(null);
        double median = gaps.isEmpty() ? 0 : gaps.get(gaps.size() / 2);
        List<String> agent = List.copyOf(AGENT_LOG);
        System.out.println("CsiVmTest failover figures:");
        System.out.printf("  io-engine stop -> node not Online (host)        %7.2f s%n", (offline - stop) / 1e9);
        System.out.printf("  io-engine stop -> REST target moved (host)      %7.2f s%n", (failedOver - stop) / 1e9);
        System.out.printf("  io-engine stop -> guest acks +10 seen (host)    %7.2f s%n", (resumed - stop) / 1e9);
        System.out.printf("  guest: longest single write (stalled write)     %7.2f s%n", maxWrite);
        System.out.printf("  guest: longest gap between acks / median gap    %7.2f s / %.2f s%n", maxGap, median);
        System.out.printf("  guest: acked writes %d, failed writes (EIO) %d; %s%n", acks.size(), errs, verified);
        System.out.println("  path agent log:");
        agent.forEach(l -> System.out.println("    " + l));
        System.out.println("  paths:\n" + subsys);

        assertTrue(verified.endsWith("errors 0"), verified);
        assertEquals(0, errs, "writes failed across the failover:\n" + log);
        URI now = URI.create(newUri);
        assertTrue(subsys.lines().anyMatch(l -> l.contains(ctx.get("nqn")) && l.contains(" live ")
                && l.contains("trsvcid=" + now.getPort())), "the new path is live:\n" + subsys);
        assertFalse(subsys.lines().anyMatch(l -> l.contains(ctx.get("nqn"))
                && l.contains("trsvcid=" + URI.create(oldUri).getPort())), "the dead path is dropped:\n" + subsys);
        assertTrue(agent.stream().anyMatch(l -> l.contains("connected new path")), "agent log: " + agent);

        node().nodeUnpublishVolume(unpublish(id, target));
        node().nodeUnstageVolume(unstage(id, staging));
        assertFalse(connected(ctx.get("nqn")));
    }

    /** Waits until the guest's writer has acknowledged {@code n} writes; returns how many it has. */
    private int awaitAcks(int n, Duration limit) throws InterruptedException {
        long deadline = System.nanoTime() + limit.toNanos();
        while (true) {
            int acks = Integer.parseInt(guest.sh("grep -c '^ACK' /tmp/fo.log || true").strip().split("\\s+")[0]);
            if (acks >= n) {
                return acks;
            }
            if (System.nanoTime() > deadline) {
                throw new AssertionError("the guest's writer acknowledged " + acks + " writes, not " + n + ", within "
                        + limit.toSeconds() + " s:\n" + guest.sh("tail -n 5 /tmp/fo.log; dmesg | tail -n 30"));
            }
            Thread.sleep(500);
        }
    }

    // ------------------------------------------------------------------ the cases

    /** What csi-sanity's node group checks before any volume exists. */
    private void nodeArgumentChecks() {
        expect(Status.Code.INVALID_ARGUMENT, () -> node().nodeStageVolume(NodeStageVolumeRequest.newBuilder()
                .setStagingTargetPath("/tmp/x").setVolumeCapability(mount("ext4")).build()));
        expect(Status.Code.INVALID_ARGUMENT, () -> node().nodeStageVolume(NodeStageVolumeRequest.newBuilder()
                .setVolumeId("v").setVolumeCapability(mount("ext4")).build()));
        expect(Status.Code.INVALID_ARGUMENT, () -> node().nodeStageVolume(NodeStageVolumeRequest.newBuilder()
                .setVolumeId("v").setStagingTargetPath("/tmp/x").build()));
        expect(Status.Code.INVALID_ARGUMENT, () -> node().nodePublishVolume(NodePublishVolumeRequest.newBuilder()
                .setVolumeId("v").setStagingTargetPath("/tmp/x").setVolumeCapability(mount("ext4")).build()));
        expect(Status.Code.INVALID_ARGUMENT, () -> node().nodeUnpublishVolume(NodeUnpublishVolumeRequest
                .newBuilder().setVolumeId("v").build()));
        expect(Status.Code.INVALID_ARGUMENT, () -> node().nodeUnstageVolume(NodeUnstageVolumeRequest.newBuilder()
                .setVolumeId("v").build()));
        expect(Status.Code.INVALID_ARGUMENT, () -> node().nodeGetVolumeStats(NodeGetVolumeStatsRequest
                .newBuilder().setVolumeId("v").build()));
        expect(Status.Code.NOT_FOUND, () -> node().nodeGetVolumeStats(NodeGetVolumeStatsRequest.newBuilder()
                .setVolumeId("v").setVolumePath("/tmp/no/such/path").build()));
        expect(Status.Code.INVALID_ARGUMENT, () -> node().nodePublishVolume(NodePublishVolumeRequest.newBuilder()
                .setTargetPath("/tmp/t").setStagingTargetPath("/tmp/x").setVolumeCapability(mount("ext4")).build()));
        expect(Status.Code.INVALID_ARGUMENT, () -> node().nodePublishVolume(NodePublishVolumeRequest.newBuilder()
                .setVolumeId("v").setTargetPath("/tmp/t").setStagingTargetPath("/tmp/x").build()));
        expect(Status.Code.INVALID_ARGUMENT, () -> node().nodeUnpublishVolume(NodeUnpublishVolumeRequest
                .newBuilder().setTargetPath("/tmp/t").build()));
        expect(Status.Code.INVALID_ARGUMENT, () -> node().nodeUnstageVolume(NodeUnstageVolumeRequest.newBuilder()
                .setStagingTargetPath("/tmp/x").build()));
        expect(Status.Code.INVALID_ARGUMENT, () -> node().nodeGetVolumeStats(NodeGetVolumeStatsRequest
                .newBuilder().setVolumePath("/tmp").build()));
    }

    /**
     * A 3-replica volume with a filesystem: every call twice, files checksummed, a read-only and a refused
     * single-writer publish, unstage (kernel controller gone), the wrong fsType refused without harm, a new nexus,
     * stage again and the same files.
     */
    private void filesystemVolume(String fs, long size) throws Exception {
        long t = System.nanoTime();
        String name = "pvc-" + fs;
        VolumeCapability cap = mount(fs);
        CreateVolumeResponse created = createTwice(name, size, cap, NVMF);
        String id = created.getVolume().getVolumeId();
        assertEquals(3, created.getVolume().getAccessibleTopologyCount(), "one segment per replica node");
        Map<String, String> ctx = publishTwice(id, cap, created.getVolume().getVolumeContextMap());
        assertEquals("nvmf", ctx.get("protocol"));
        String staging = "/tmp/kubelet/plugins/csi/" + id + "/globalmount";
        String target = "/tmp/kubelet/pods/" + fs + "/volumes/" + id + "/mount";
        NodeStageVolumeRequest stage = NodeStageVolumeRequest.newBuilder().setVolumeId(id).putAllPublishContext(ctx)
                .setStagingTargetPath(staging).setVolumeCapability(cap).build();
        if (fs.equals("xfs")) {
            concurrentDuplicate(stage);
        } else {
            node().nodeStageVolume(stage);
        }
        node().nodeStageVolume(stage);
        time(fs + ": create, publish, stage (each twice)", t);
        String mounted = guest.sh("findmnt -n -o FSTYPE,SOURCE " + staging).strip().replaceAll("\\s+", " ");
        assertTrue(mounted.startsWith(fs + " /dev/nvme"), "staging mount: " + mounted);
        assertTrue(connected(ctx.get("nqn")), "a kernel controller of " + ctx.get("nqn"));
        NodePublishVolumeRequest publish = NodePublishVolumeRequest.newBuilder().setVolumeId(id)
                .putAllPublishContext(ctx).setStagingTargetPath(staging).setTargetPath(target)
                .setVolumeCapability(cap).build();
        node().nodePublishVolume(publish);
        node().nodePublishVolume(publish);

        children(id);
        String sums = guest.sh("set -e; cd " + target + "; head -c 8388608 /dev/urandom > data.bin; mkdir -p d; "
                + "for i in 1 2 3; do head -c 300000 /dev/urandom > d/f$i; done; sync; "
                + "sha256sum data.bin d/f1 d/f2 d/f3");
        assertEquals(4, sums.strip().split("\n").length, sums);

        NodeGetVolumeStatsResponse stats = node().nodeGetVolumeStats(NodeGetVolumeStatsRequest.newBuilder()
                .setVolumeId(id).setVolumePath(target).build());
        VolumeUsage bytes = usage(stats, VolumeUsage.Unit.BYTES);
        assertTrue(bytes.getTotal() > size / 2 && bytes.getTotal() <= size, "total " + bytes.getTotal());
        assertTrue(bytes.getUsed() >= 8L << 20, "used " + bytes.getUsed());
        assertTrue(usage(stats, VolumeUsage.Unit.INODES).getTotal() > 0);
        assertFalse(stats.getVolumeCondition().getAbnormal());

        // Read-only publish at a second path: the kernel refuses writes there.
        String roTarget = target + "-ro";
        NodePublishVolumeRequest ro = publish.toBuilder().setTargetPath(roTarget).setReadonly(true).build();
        node().nodePublishVolume(ro);
        assertEquals("READONLY", guest.sh("if touch " + roTarget + "/x 2>/dev/null; then echo WRITABLE; "
                + "else echo READONLY; fi").strip());
        node().nodeUnpublishVolume(unpublish(id, roTarget));
        // A single-writer publish while another target has it.
        expect(Status.Code.FAILED_PRECONDITION, () -> node().nodePublishVolume(publish.toBuilder()
                .setTargetPath(target + "-2").setVolumeCapability(cap.toBuilder().setAccessMode(
                        VolumeCapability.AccessMode.newBuilder().setMode(Mode.SINGLE_NODE_SINGLE_WRITER))).build()));
        // Unstage while published is refused: nothing is torn down under a pod.
        expect(Status.Code.FAILED_PRECONDITION, () -> node().nodeUnstageVolume(unstage(id, staging)));

        long u = System.nanoTime();
        node().nodeUnpublishVolume(unpublish(id, target));
        node().nodeUnpublishVolume(unpublish(id, target));
        assertEquals("GONE", guest.sh("[ -e " + target + " ] && echo THERE || echo GONE").strip());
        expect(Status.Code.NOT_FOUND, () -> node().nodeGetVolumeStats(NodeGetVolumeStatsRequest.newBuilder()
                .setVolumeId(id).setVolumePath(target).build()));
        node().nodeUnstageVolume(unstage(id, staging));
        node().nodeUnstageVolume(unstage(id, staging));
        assertFalse(connected(ctx.get("nqn")), "unstage must disconnect the kernel controller");
        time(fs + ": unpublish, unstage (each twice)", u);

        // The wrong filesystem is refused and the volume's data survives that.
        String other = fs.equals("ext4") ? "xfs" : "ext4";
        expect(Status.Code.FAILED_PRECONDITION, () -> node().nodeStageVolume(stage.toBuilder()
                .setVolumeCapability(mount(other)).build()));
        node().nodeUnstageVolume(unstage(id, staging));

        // A new nexus (unpublish + publish through the controller), stage again, the same files.
        long r = System.nanoTime();
        controller.controllerUnpublishVolume(ControllerUnpublishVolumeRequest.newBuilder().setVolumeId(id)
                .setNodeId(NODE_ID).build());
        controller.controllerUnpublishVolume(ControllerUnpublishVolumeRequest.newBuilder().setVolumeId(id)
                .setNodeId(NODE_ID).build());
        Map<String, String> ctx2 = publishTwice(id, cap, created.getVolume().getVolumeContextMap());
        NodeStageVolumeRequest stage2 = stage.toBuilder().clearPublishContext().putAllPublishContext(ctx2).build();
        node().nodeStageVolume(stage2);
        node().nodePublishVolume(publish.toBuilder().clearPublishContext().putAllPublishContext(ctx2).build());
        children(id);
        assertEquals(sums, guest.sh("cd " + target + " && sha256sum data.bin d/f1 d/f2 d/f3"));
        node().nodeUnpublishVolume(unpublish(id, target));
        node().nodeUnstageVolume(unstage(id, staging));
        assertFalse(connected(ctx2.get("nqn")));
        time(fs + ": new nexus, restage, verify, unstage", r);
        deleteTwice(id);
    }

    /** A raw block volume: dd through the bind-mounted device node, checksummed, detached, attached, read back. */
    private void blockVolume() {
        long t = System.nanoTime();
        VolumeCapability cap = VolumeCapability.newBuilder().setBlock(VolumeCapability.BlockVolume
                .getDefaultInstance()).setAccessMode(VolumeCapability.AccessMode.newBuilder()
                .setMode(Mode.SINGLE_NODE_WRITER)).build();
        CreateVolumeResponse created = createTwice("pvc-block", 32L << 20, cap, NVMF);
        String id = created.getVolume().getVolumeId();
        Map<String, String> ctx = publishTwice(id, cap, created.getVolume().getVolumeContextMap());
        String staging = "/tmp/kubelet/plugins/csi/volumeDevices/staging/" + id;
        String target = "/tmp/kubelet/plugins/csi/volumeDevices/publish/" + id + "/pod-1";
        NodeStageVolumeRequest stage = NodeStageVolumeRequest.newBuilder().setVolumeId(id).putAllPublishContext(ctx)
                .setStagingTargetPath(staging).setVolumeCapability(cap).build();
        node().nodeStageVolume(stage);
        node().nodeStageVolume(stage);
        NodePublishVolumeRequest publish = NodePublishVolumeRequest.newBuilder().setVolumeId(id)
                .putAllPublishContext(ctx).setStagingTargetPath(staging).setTargetPath(target)
                .setVolumeCapability(cap).build();
        node().nodePublishVolume(publish);
        node().nodePublishVolume(publish);
        String written = guest.sh("set -e; head -c 16777216 /dev/urandom > /tmp/blk.bin; "
                + "dd if=/tmp/blk.bin of=" + target + " bs=1M oflag=direct conv=fsync status=none; "
                + "sha256sum < /tmp/blk.bin").strip();
        assertEquals(written, guest.sh("dd if=" + target + " bs=1M count=16 iflag=direct status=none | sha256sum")
                .strip());
        NodeGetVolumeStatsResponse stats = node().nodeGetVolumeStats(NodeGetVolumeStatsRequest.newBuilder()
                .setVolumeId(id).setVolumePath(target).build());
        assertEquals(32L << 20, usage(stats, VolumeUsage.Unit.BYTES).getTotal());
        expect(Status.Code.FAILED_PRECONDITION, () -> node().nodeUnstageVolume(unstage(id, staging)));
        node().nodeUnpublishVolume(unpublish(id, target));
        node().nodeUnpublishVolume(unpublish(id, target));
        node().nodeUnstageVolume(unstage(id, staging));
        node().nodeUnstageVolume(unstage(id, staging));
        assertFalse(connected(ctx.get("nqn")));
        node().nodeStageVolume(stage);
        node().nodePublishVolume(publish);
        assertEquals(written, guest.sh("dd if=" + target + " bs=1M count=16 iflag=direct status=none | sha256sum")
                .strip());
        node().nodeUnpublishVolume(unpublish(id, target));
        node().nodeUnstageVolume(unstage(id, staging));
        time("block: stage, dd + sha256, unstage, restage, verify", t);
        deleteTwice(id);
    }

    /**
     * kill -9 of the node plugin while NodeStageVolume runs (connect + mkfs); the supervisor in the guest restarts
     * it and the retried call (as kubelet retries) finds the kernel's state and finishes the job.
     */
    private void killedMidStage() throws Exception {
        long t = System.nanoTime();
        VolumeCapability cap = mount("xfs");
        CreateVolumeResponse created = createTwice("pvc-kill", 320L << 20, cap, NVMF);
        String id = created.getVolume().getVolumeId();
        Map<String, String> ctx = publishTwice(id, cap, created.getVolume().getVolumeContextMap());
        String staging = "/tmp/kubelet/plugins/csi/" + id + "/globalmount";
        NodeStageVolumeRequest stage = NodeStageVolumeRequest.newBuilder().setVolumeId(id).putAllPublishContext(ctx)
                .setStagingTargetPath(staging).setVolumeCapability(cap).build();
        CompletableFuture<Status.Code> first = CompletableFuture.supplyAsync(() -> code(() -> node()
                .nodeStageVolume(stage)));
        Thread.sleep(1500);
        guest.sh("kill -9 $(cat " + guest.ctl.resolve("plugin.pid") + ")");
        Status.Code firstCode = first.get(120, TimeUnit.SECONDS);
        System.out.println("CsiVmTest: the NodeStageVolume killed mid-way ended " + firstCode);
        awaitNode(Duration.ofSeconds(120));
        time("kill -9 mid-stage, restart to serving", t);
        long r = System.nanoTime();
        int attempts = 0;
        long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
        Status.Code c;
        do {
            attempts++;
            c = code(() -> node().nodeStageVolume(stage));
            if (c != Status.Code.OK) {
                Thread.sleep(1000);
            }
        } while (c != Status.Code.OK && System.nanoTime() < deadline);
        assertEquals(Status.Code.OK, c, "NodeStageVolume after the restart");
        System.out.println("CsiVmTest: NodeStageVolume after the restart succeeded on attempt " + attempts);
        String target = "/tmp/kubelet/pods/kill/volumes/" + id + "/mount";
        NodePublishVolumeRequest publish = NodePublishVolumeRequest.newBuilder().setVolumeId(id)
                .putAllPublishContext(ctx).setStagingTargetPath(staging).setTargetPath(target)
                .setVolumeCapability(cap).build();
        node().nodePublishVolume(publish);
        String sum = guest.sh("set -e; cd " + target + "; head -c 4194304 /dev/urandom > a.bin; sync; "
                + "sha256sum a.bin");
        node().nodeUnpublishVolume(unpublish(id, target));
        node().nodeUnstageVolume(unstage(id, staging));
        assertFalse(connected(ctx.get("nqn")));
        node().nodeStageVolume(stage);
        node().nodePublishVolume(publish);
        assertEquals(sum, guest.sh("cd " + target + " && sha256sum a.bin"));
        assertEquals("xfs", guest.sh("findmnt -n -o FSTYPE " + staging).strip());
        node().nodeUnpublishVolume(unpublish(id, target));
        node().nodeUnstageVolume(unstage(id, staging));
        time("after restart: stage, write, restage, verify", r);
        deleteTwice(id);
    }

    /** The second protocol: the kernel's nbd through nbd-client. */
    private void nbdVolume() {
        long t = System.nanoTime();
        VolumeCapability cap = mount("ext4");
        CreateVolumeResponse created = createTwice("pvc-nbd", 64L << 20, cap, Map.of("repl", "3", "thin", "true",
                "protocol", "nbd"));
        String id = created.getVolume().getVolumeId();
        Map<String, String> ctx = publishTwice(id, cap, created.getVolume().getVolumeContextMap());
        assertEquals("nbd", ctx.get("protocol"));
        String staging = "/tmp/kubelet/plugins/csi/" + id + "/globalmount";
        String target = "/tmp/kubelet/pods/nbd/volumes/" + id + "/mount";
        NodeStageVolumeRequest stage = NodeStageVolumeRequest.newBuilder().setVolumeId(id).putAllPublishContext(ctx)
                .setStagingTargetPath(staging).setVolumeCapability(cap).build();
        node().nodeStageVolume(stage);
        node().nodeStageVolume(stage);
        NodePublishVolumeRequest publish = NodePublishVolumeRequest.newBuilder().setVolumeId(id)
                .putAllPublishContext(ctx).setStagingTargetPath(staging).setTargetPath(target)
                .setVolumeCapability(cap).build();
        node().nodePublishVolume(publish);
        String sum = guest.sh("set -e; findmnt -n -o SOURCE " + staging + "; cd " + target
                + "; head -c 4194304 /dev/urandom > n.bin; sync; sha256sum n.bin");
        assertTrue(sum.startsWith("/dev/nbd"), sum);
        node().nodeUnpublishVolume(unpublish(id, target));
        node().nodeUnstageVolume(unstage(id, staging));
        node().nodeUnstageVolume(unstage(id, staging));
        node().nodeStageVolume(stage);
        node().nodePublishVolume(publish);
        assertEquals(sum, guest.sh("set -e; findmnt -n -o SOURCE " + staging + "; cd " + target
                + " && sha256sum n.bin"));
        node().nodeUnpublishVolume(unpublish(id, target));
        node().nodeUnstageVolume(unstage(id, staging));
        time("nbd: stage, write, restage, verify", t);
        deleteTwice(id);
    }

    /**
     * Two NodeStageVolume calls for one volume at once: one does the work, the other, arriving while the first is
     * in flight, gets ABORTED (both succeed only if they did not overlap at all).
     */
    private void concurrentDuplicate(NodeStageVolumeRequest stage) throws Exception {
        CompletableFuture<Status.Code> first = CompletableFuture.supplyAsync(() -> code(() -> node()
                .nodeStageVolume(stage)));
        Thread.sleep(300);
        Status.Code second = code(() -> node().nodeStageVolume(stage));
        boolean overlapped = !first.isDone();
        Status.Code firstCode = first.get(180, TimeUnit.SECONDS);
        List<Status.Code> codes = List.of(firstCode, second);
        if (overlapped) {
            assertTrue(codes.contains(Status.Code.OK) && codes.contains(Status.Code.ABORTED),
                    "overlapping NodeStageVolume calls: one works, the other is ABORTED; got " + codes);
        } else {
            assertEquals(List.of(Status.Code.OK, Status.Code.OK), codes);
        }
        System.out.println("CsiVmTest: concurrent duplicate NodeStageVolume: " + codes + (overlapped
                ? " (overlapping)" : " (the first had finished)"));
    }

    // ------------------------------------------------------------------ helpers

    private CreateVolumeResponse createTwice(String name, long size, VolumeCapability cap, Map<String, String> p) {
        CreateVolumeRequest req = CreateVolumeRequest.newBuilder().setName(name).addVolumeCapabilities(cap)
                .setCapacityRange(CapacityRange.newBuilder().setRequiredBytes(size)).putAllParameters(p).build();
        CreateVolumeResponse a = controller.createVolume(req);
        CreateVolumeResponse b = controller.createVolume(req);
        assertEquals(a, b, "CreateVolume twice");
        assertEquals(size, a.getVolume().getCapacityBytes());
        return a;
    }

    private Map<String, String> publishTwice(String id, VolumeCapability cap, Map<String, String> volumeContext) {
        ControllerPublishVolumeRequest req = ControllerPublishVolumeRequest.newBuilder().setVolumeId(id)
                .setNodeId(NODE_ID).setVolumeCapability(cap).putAllVolumeContext(volumeContext).build();
        ControllerPublishVolumeResponse a = controller.controllerPublishVolume(req);
        ControllerPublishVolumeResponse b = controller.controllerPublishVolume(req);
        assertEquals(a, b, "ControllerPublishVolume twice");
        return a.getPublishContextMap();
    }

    private void deleteTwice(String id) {
        controller.controllerUnpublishVolume(ControllerUnpublishVolumeRequest.newBuilder().setVolumeId(id)
                .setNodeId(NODE_ID).build());
        controller.deleteVolume(DeleteVolumeRequest.newBuilder().setVolumeId(id).build());
        controller.deleteVolume(DeleteVolumeRequest.newBuilder().setVolumeId(id).build());
    }

    /** Prints the states of the volume's nexus children: what a failure that follows needs to be understood. */
    private void children(String id) {
        StringBuilder b = new StringBuilder("CsiVmTest: nexus " + id + " children:");
        caspian.get("/v0/nexuses/" + id).path("children").forEach(c -> b.append(' ').append(c.path("uri").asText())
                .append('=').append(c.path("state").asText()).append(c.path("reason").asText().isEmpty() ? ""
                        : " (" + c.path("reason").asText() + ")"));
        System.out.println(b);
    }

    private boolean connected(String nqn) {
        return !guest.sh("grep -lx '" + nqn + "' /sys/class/nvme/*/subsysnqn 2>/dev/null || true").isBlank();
    }

    private NodeGrpc.NodeBlockingStub node() {
        return NodeGrpc.newBlockingStub(nodeChannel).withDeadlineAfter(240, TimeUnit.SECONDS);
    }

    private NodeGetInfoResponse awaitNode(Duration limit) throws InterruptedException {
        long deadline = System.nanoTime() + limit.toNanos();
        while (true) {
            try {
                return NodeGrpc.newBlockingStub(nodeChannel).withDeadlineAfter(5, TimeUnit.SECONDS)
                        .nodeGetInfo(NodeGetInfoRequest.getDefaultInstance());
            } catch (StatusRuntimeException e) {
                if (System.nanoTime() > deadline) {
                    throw new AssertionError("csi-node did not answer within " + limit.toSeconds() + " s", e);
                }
                Thread.sleep(500);
            }
        }
    }

    private static VolumeCapability mount(String fs) {
        return VolumeCapability.newBuilder().setMount(VolumeCapability.MountVolume.newBuilder().setFsType(fs))
                .setAccessMode(VolumeCapability.AccessMode.newBuilder().setMode(Mode.SINGLE_NODE_WRITER)).build();
    }

    private static NodeUnpublishVolumeRequest unpublish(String id, String target) {
        return NodeUnpublishVolumeRequest.newBuilder().setVolumeId(id).setTargetPath(target).build();
    }

    private static NodeUnstageVolumeRequest unstage(String id, String staging) {
        return NodeUnstageVolumeRequest.newBuilder().setVolumeId(id).setStagingTargetPath(staging).build();
    }

    private static VolumeUsage usage(NodeGetVolumeStatsResponse r, VolumeUsage.Unit unit) {
        return r.getUsageList().stream().filter(u -> u.getUnit() == unit).findFirst()
                .orElseThrow(() -> new AssertionError("no " + unit + " usage in " + r));
    }

    private static Status.Code code(Runnable call) {
        try {
            call.run();
            return Status.Code.OK;
        } catch (StatusRuntimeException e) {
            System.out.println("CsiVmTest: call ended " + e.getStatus());
            return e.getStatus().getCode();
        }
    }

    private static void expect(Status.Code want, Runnable call) {
        assertEquals(want, code(call));
    }

    private void time(String what, long start) {
        timings.put(what, (System.nanoTime() - start) / 1_000_000);
    }

    /** The VM running the node plugin under a supervisor, and the shell requests the test sends it. */
    /** The csi-node's path agent lines, as the VM's output streams them. */
    static final List<String> AGENT_LOG = java.util.Collections.synchronizedList(new ArrayList<>());

    static final class Guest implements AutoCloseable {
        final Process vm;
        final Path ctl;
        final int hostPort;
        private final Path ready;
        private int next;

        private Guest(Process vm, Path ctl, int hostPort, Path ready) {
            this.vm = vm;
            this.ctl = ctl;
            this.hostPort = hostPort;
            this.ready = ready;
        }

        static Guest boot(Path peers, Path root, Path dir, CaspianCluster caspian) throws IOException {
            return boot(peers, root, dir, caspian, false);
        }

        /**
         * {@code withApi}: csi-node gets {@code --api} (the REST port reached as the guest's 127.0.0.1) and the token
         * file (copied under the shared checkout: the test's temp dir is not shared), which starts its path agent.
         */
        static Guest boot(Path peers, Path root, Path dir, CaspianCluster caspian, boolean withApi)
                throws IOException {
            // Requests go through a directory both sides see: one under the shared checkout.
            Path ctl = root.resolve("csi/target/vm-ctl-" + ProcessHandle.current().pid() + (withApi ? "-api" : ""));
            Files.createDirectories(ctl.resolve("req"));
            int hostPort = Ports.free();
            String hostPorts = Stream.concat(Stream.concat(caspian.nvmfPorts.stream(), caspian.nbdPorts.stream()),
                            withApi ? Stream.of(caspian.restPort()) : Stream.<Integer>empty())
                    .map(String::valueOf).collect(Collectors.joining(","));
            List<String> api = List.of();
            if (withApi) {
                Path token = ctl.resolve("token");
                Files.copy(caspian.tokenFile(), token, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
                api = List.of("--api", "http://127.0.0.1:" + caspian.restPort(), "--token-file", token.toString());
            }
            String cp = root.resolve("csi/target/classes") + ":" + Files.readString(root.resolve(
                    "csi/target/runtime-classpath.txt")).strip();
            List<String> cmd = new ArrayList<>(List.of(peers.resolve("java-vm.sh").toString(), "run",
                    "--share", root.toString(), "--share", System.getProperty("user.home") + "/.m2",
                    "--fwd", hostPort + ":" + GUEST_PORT, "--ready-port", Integer.toString(GUEST_PORT),
                    "--host-ports", hostPorts, "--",
                    "bash", root.resolve("csi/target/test-classes/io/caspian/csi/guest-supervisor.sh").toString(),
                    ctl.toString(),
                    "java", "-Xmx192m", "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC",
                    "-Dlogback.configurationFile=" + root.resolve(
                            "csi/target/test-classes/io/caspian/csi/guest-logback.xml"),
                    "-cp", cp, CsiMain.class.getName(), "csi-node", "--endpoint", "0.0.0.0:" + GUEST_PORT,
                    "--node-id", NODE_ID, "--state-dir", "/run/caspian-csi"));
            cmd.addAll(api);
            ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).directory(dir.toFile());
            pb.environment().put("BP_TIMEOUT", "1800");
            pb.environment().put("BP_READY_FILE", dir.resolve("vm.ready").toString());
            System.out.println("CsiVmTest: " + String.join(" ", cmd));
            Process vm = pb.start();
            Thread pump = new Thread(() -> {
                try (BufferedReader r = new BufferedReader(new InputStreamReader(vm.getInputStream(),
                        StandardCharsets.UTF_8))) {
                    for (String l; (l = r.readLine()) != null; ) {
                        System.out.println("[vm] " + l);
                        if (l.contains("path agent")) {
                            AGENT_LOG.add(l);
                        }
                    }
                } catch (IOException e) {
                    System.out.println("[vm] output lost: " + e);
                }
            }, "vm-output");
            pump.setDaemon(true);
            pump.start();
            return new Guest(vm, ctl, hostPort, dir.resolve("vm.ready"));
        }

        /**
         * Waits until the guest listens on the plugin's port (java-vm.sh's own check). The first run on a machine
         * also builds the VM's root image, or waits for another run building it: hence the long bound.
         */
        void awaitReady(Duration limit) throws IOException, InterruptedException {
            long deadline = System.nanoTime() + limit.toNanos();
            while (!Files.exists(ready) || Files.readString(ready).isBlank()) {
                if (!vm.isAlive()) {
                    throw new AssertionError("java-vm.sh ended with status " + vm.exitValue() + " before the node "
                            + "plugin listened");
                }
                if (System.nanoTime() > deadline) {
                    throw new AssertionError("the VM's node plugin did not listen within " + limit.toMinutes()
                            + " min");
                }
                Thread.sleep(500);
            }
        }

        /** Runs a bash script in the guest; its output, or an AssertionError when it exits non-zero. */
        String sh(String script) {
            String n = String.format("%04d", next++);
            Path tmp = ctl.resolve("req/" + n + ".tmp");
            Path rc = ctl.resolve("req/" + n + ".rc");
            try {
                Files.writeString(tmp, script + "\n");
                Files.move(tmp, ctl.resolve("req/" + n + ".sh"));
                long deadline = System.nanoTime() + Duration.ofSeconds(180).toNanos();
                while (!Files.exists(rc) || Files.readString(rc).isBlank()) {
                    if (!vm.isAlive()) {
                        throw new AssertionError("the VM ended (status " + vm.exitValue() + ") during: " + script);
                    }
                    if (System.nanoTime() > deadline) {
                        throw new AssertionError("the guest did not run within 180 s: " + script);
                    }
                    Thread.sleep(100);
                }
                String out = Files.readString(ctl.resolve("req/" + n + ".out"));
                int status = Integer.parseInt(Files.readString(rc).strip());
                System.out.println("CsiVmTest guest$ " + script + "\n" + out.strip());
                if (status != 0) {
                    // The kernel's log says why a device call failed (the NVMe status, the block layer's error).
                    String log = script.startsWith("dmesg") ? "" : "\n" + sh("dmesg | tail -n 40; true");
                    throw new AssertionError("guest script exited " + status + ": " + script + "\n" + out + log);
                }
                return out;
            } catch (IOException e) {
                throw new AssertionError("guest request " + n + ": " + e, e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError("interrupted", e);
            }
        }

        @Override
        public void close() {
            // SIGTERM is java-vm.sh's stop request: the guest stops the plugin, then powers off.
            vm.destroy();
            try {
                if (!vm.waitFor(60, TimeUnit.SECONDS)) {
                    vm.destroyForcibly();
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                vm.destroyForcibly();
            }
        }
    }

}
