/** Publication of every journaled event to the public Kafka topic, at least once and in per-entity order. */
package io.caspian.projections.kafka;
