package io.caspian.kafka;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.AlterConfigOp;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.errors.TopicExistsException;

/** Makes topics as their {@link TopicSpec}s say, idempotently: run it at every start-up. */
public final class TopicAdmin implements AutoCloseable {

  private final Admin admin;
  private final String servers;

  public TopicAdmin(String bootstrapServers) {
    this(bootstrapServers, KafkaClientSecurity.NONE);
  }

  public TopicAdmin(String bootstrapServers, KafkaClientSecurity security) {
    Properties p = security.applyTo(new Properties());
    p.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
    p.put(AdminClientConfig.CLIENT_ID_CONFIG, "caspian-topic-admin");
    this.admin = Admin.create(p);
    this.servers = bootstrapServers;
  }

  /**
   * Creates the topics that are missing and sets every topic's retention. An existing topic keeps its partition
   * count (see {@link TopicSpec}).
   */
  public void ensure(Collection<TopicSpec> specs, Duration timeout) {
    long ms = timeout.toMillis();
    try {
      Set<String> existing = admin.listTopics().names().get(ms, TimeUnit.MILLISECONDS);
      List<NewTopic> create = new ArrayList<>();
      for (TopicSpec s : specs) {
        if (!existing.contains(s.name())) {
          create.add(new NewTopic(s.name(), s.partitions(), s.replicationFactor())
              .configs(Map.of(TopicConfig.RETENTION_MS_CONFIG, Long.toString(s.retention().toMillis()))));
        }
      }
      for (var e : admin.createTopics(create).values().entrySet()) {
        try {
          e.getValue().get(ms, TimeUnit.MILLISECONDS);
        } catch (ExecutionException ex) {
          if (!(ex.getCause() instanceof TopicExistsException)) {
            throw ex; // another instance creating it at the same moment is fine; anything else is not
          }
        }
      }
      Map<ConfigResource, Collection<AlterConfigOp>> retention = new HashMap<>();
      for (TopicSpec s : specs) {
        retention.put(new ConfigResource(ConfigResource.Type.TOPIC, s.name()), List.of(new AlterConfigOp(
            new ConfigEntry(TopicConfig.RETENTION_MS_CONFIG, Long.toString(s.retention().toMillis())),
            AlterConfigOp.OpType.SET)));
      }
      admin.incrementalAlterConfigs(retention).all().get(ms, TimeUnit.MILLISECONDS);
    } catch (ExecutionException | TimeoutException e) {
      throw new IllegalStateException("cannot make topics " + specs.stream().map(TopicSpec::name).toList()
          + " on Kafka at " + servers + ": " + (e.getCause() != null ? e.getCause() : e), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while making topics on Kafka at " + servers, e);
    }
  }

  /** The topics as they are on the cluster: partitions, replication and retention. */
  public Map<String, TopicSpec> describe(Collection<String> names, Duration timeout) {
    long ms = timeout.toMillis();
    try {
      Map<String, TopicDescription> d = admin.describeTopics(names).allTopicNames().get(ms, TimeUnit.MILLISECONDS);
      List<ConfigResource> res = names.stream()
          .map(n -> new ConfigResource(ConfigResource.Type.TOPIC, n)).toList();
      var configs = admin.describeConfigs(res).all().get(ms, TimeUnit.MILLISECONDS);
      Map<String, TopicSpec> out = new HashMap<>();
      for (ConfigResource r : res) {
        TopicDescription t = d.get(r.name());
        long retention = Long.parseLong(configs.get(r).get(TopicConfig.RETENTION_MS_CONFIG).value());
        out.put(r.name(), new TopicSpec(r.name(), t.partitions().size(),
            (short) t.partitions().get(0).replicas().size(), Duration.ofMillis(retention)));
      }
      return out;
    } catch (ExecutionException | TimeoutException e) {
      throw new IllegalStateException("cannot describe topics " + names + " on Kafka at " + servers + ": "
          + (e.getCause() != null ? e.getCause() : e), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while describing topics on Kafka at " + servers, e);
    }
  }

  @Override
  public void close() {
    admin.close(Duration.ofSeconds(5));
  }
}
