/**
 * Kafka for Caspian: {@link io.caspian.kafka.KafkaBroker} runs a single-node KRaft broker from the Kafka jars in a
 * JVM of its own (its Jackson and Scala differ from Pekko's), {@link io.caspian.kafka.BusTopics} names the bus topics
 * and {@link io.caspian.kafka.TopicAdmin} creates them with explicit partitions and retention;
 * {@link io.caspian.kafka.KafkaClientSecurity} is how every Kafka client of Caspian authenticates and encrypts.
 */
package io.caspian.kafka;
