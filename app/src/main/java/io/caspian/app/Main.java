package io.caspian.app;

import java.io.PrintStream;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import org.slf4j.bridge.SLF4JBridgeHandler;

/**
 * The {@code caspian} command. Roles: {@code control}, {@code io-engine}, {@code up} (everything in one JVM),
 * {@code csi-controller}, {@code csi-node}, {@code diskpool-operator};
 * CLI verbs against the REST API: {@code get}, {@code create}, {@code publish}, {@code unpublish}, {@code delete},
 * {@code set}, {@code fault}, {@code events}, {@code top}.
 * Exit codes: 0 done, 1 the operation failed (REST error, start failure), 2 bad command line.
 */
public final class Main {
    static final String USAGE = """
            usage: caspian <command> [flags]

            roles (run until stopped):
              up          control plane + N io-engines in one JVM, file pools under the data dir
                          --io-engines N (3)  --pool-size-mb M (1024)  --data-dir DIR (./data)
                          --rest host:port (127.0.0.1:8080)  --nbd-port P (10809)  --nvmf-port P (4420)
                          --metrics-port P (9502; 0: off): every node's Prometheus /metrics, on the REST host
                          starts a Kafka broker for the io bus (data under DIR/kafka) unless --kafka is given
                          --faulted-child-wait D (30s): time a faulted child gets to come back before its replica
                          is replaced
                          --auth, --token-file as control; prints where the REST token is
              control     the control plane: --rest host:port  --port ARTERY_PORT  --seed host:port ...
                          --journal h2|postgres  --jdbc-url URL  --jdbc-user U  --jdbc-password P
                          --faulted-child-wait D (0s)
                          --node-timeout D (10s): an io-engine offline this long has its replicas faulted in every
                          nexus and replaced at once (up too)
                          --failover-timeout D (2s): an io-engine offline this long has the targets it runs moved to
                          another node (up too)
                          --token-file F: the REST API's bearer tokens, one a line (e.g. a mounted Secret); without
                          it DIR/rest-token is made (0600) on first start and used. --auth none: no token (dev only)
                          --tls-keystore P12 --tls-keystore-password-file F: the REST API over HTTPS
              io-engine   one data node: --node-id ID  --seed host:port  --port ARTERY_PORT
                          --nbd-port P  --nvmf-port P  --disk URI (pool to re-import, repeatable)  --label k=v
                          --metrics-io true|false (true): count each read and write for the metrics (up too)
                          --child-io-timeout D (5s, at most 10m): a replica on another node that takes longer to
                          complete an I/O is faulted and the I/O completes on the other replicas
                          --disk-allow PATTERN (repeatable; up too): the only disks pools may be on, in place of
                          the default DATA_DIR/ /dev/disk/by-id/* malloc: nvmf:; path globs (/dev/nvme*n1,
                          /srv/caspian/) or schemes; any other disk is refused (403) before it is opened
            %s  diskpool-operator  makes the DiskPool objects of one Kubernetes namespace pools, through the REST
                          API: --api http://control:8080  --token-file F  [--namespace NS (the pod's own, else
                          caspian)]
                          [--resync 30s]; never formats a disk that holds data; in-cluster or ~/.kube/config
                          --metrics-port P: Prometheus /metrics on 0.0.0.0:P, its passes by outcome (default 0: off)
              common      --data-dir DIR  --host ARTERY_HOST (127.0.0.1)  --config file.conf
                          --kafka host:port[,host:port] (the io bus; off: none)
                          --kafka-client-config FILE: Kafka client properties (security.protocol, sasl.*, ssl.*)
                          for every Kafka client of the role, e.g. SASL_SSL; secrets stay in FILE
                          --metrics-port P: Prometheus /metrics on 0.0.0.0:P (default 0: off)
                          --bootstrap kubernetes-api|pekko-dns|config: join through Cluster Bootstrap instead of
                          --seed (contact points: the control nodes, service caspian-control), with Pekko
                          Management on --management host:port (7626)
                          --cluster-tls-keystore P12 --cluster-tls-truststore P12 --cluster-tls-password-file F:
                          the cluster's Artery over TLS with mutual authentication; only nodes whose certificate
                          the trust store holds are admitted; F's first line is the password of both stores

            CLI (--api http://127.0.0.1:8080 or $CASPIAN_API; -o table|json; the REST token from $CASPIAN_TOKEN,
                 else --token-file F, else ~/.config/caspian/token ($XDG_CONFIG_HOME), else ./data/rest-token;
                 --tls-ca PEM: the certificate to trust for an https --api):
              get nodes|pools|replicas|nexuses|volumes      get node|pool|replica|nexus|volume <id>
              create pool <name> --node N --disk URI [--label k=v] [--overwrite: format a disk that holds data]
              create volume [<uuid>] --size 64MiB --replicas 3 [--thin] [--node-label k=v] [--pool-label k=v]
              publish volume <uuid> [--protocol nbd|nvmf] [--node N] [--host NQN (nvmf; repeatable; none: any host)]
                          create -q prints only the new pool's name or volume's uuid, publish -q only the device
              unpublish volume <uuid>    delete volume <uuid>    delete pool <name> [--node N]
              set volume <uuid> --rebuild-rate R   cap its rebuilds' copy bandwidth at R per second (64MiB; 0 or
                          none: no cap) until its nexus is re-created; rebuilds yield to the volume's I/O either way
              events [--volume V] [--node N] [--entity ID] [--type T1,T2] [--since 1h|ISO] [--until ..]
                     [--limit N] [--order asc|desc] [--follow [--timeout S]]   the audit log of every change
              get volume <uuid> [--watch [--timeout 2m]]   (I/O rates, reason, children, rebuild progress;
                          --watch: every 1 s)
              top [--timeout D] [--iterations N]   every volume's read/write IOPS and MB/s (2^20 bytes), busiest
                          first, redrawn every second until Ctrl-C; unpublished volumes show -
              fault inject <volume> <replica> --op read|write|flush|unmap|write_zeroes
                          [--offset B] [--length B (to the end)] [--count N (until cleared)]
              fault clear <volume> <replica>        (<replica>: its uuid or a unique prefix of it)
            """.formatted(io.caspian.csi.CsiMain.USAGE);

    private Main() {
    }

    public static void main(String[] args) {
        SLF4JBridgeHandler.removeHandlersForRootLogger();
        SLF4JBridgeHandler.install();
        System.exit(run(args, System.out, System.err));
    }

    /** Runs one command; returns the exit code (roles return only when they stop). */
    static int run(String[] args, PrintStream out, PrintStream err) {
        if (args.length == 0 || Set.of("-h", "--help", "help").contains(args[0])) {
            (args.length == 0 ? err : out).print(USAGE);
            return args.length == 0 ? 2 : 0;
        }
        List<String> rest = Arrays.asList(args).subList(1, args.length);
        try {
            switch (args[0]) {
                case "control" -> ControlRole.run(Flags.parse(rest, ControlRole.FLAGS, Set.of()));
                case "io-engine" -> IoEngineRole.run(Flags.parse(rest, IoEngineRole.FLAGS, Set.of()));
                case "up" -> Up.run(Flags.parse(rest, Up.FLAGS, Set.of()));
                case "diskpool-operator" -> DiskPoolOperatorRole.run(Flags.parse(rest, DiskPoolOperatorRole.FLAGS,
                        Set.of()));
                case "csi-controller", "csi-node" -> {
                    return io.caspian.csi.CsiMain.run(args[0], rest, err);
                }
                case "get", "create", "publish", "unpublish", "delete", "set", "fault" -> Cli.run(args[0], rest, out);
                case "events" -> EventsCli.run(rest, out);
                case "top" -> Top.run(rest, out);
                default -> throw new UsageException("unknown command '" + args[0] + "'");
            }
            return 0;
        } catch (UsageException e) {
            err.println("caspian: " + e.getMessage());
            err.println("(caspian --help lists commands and flags)");
            return 2;
        } catch (RestClient.RestException e) {
            err.println(e.json());
            return 1;
        } catch (RuntimeException e) {
            err.println("caspian " + args[0] + ": " + e.getMessage());
            return 1;
        }
    }
}
