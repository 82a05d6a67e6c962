/**
 * Where the journal lives: an H2 file under the data directory by default, PostgreSQL in production. Builds the
 * pekko-persistence-jdbc configuration and creates the tables at start-up, idempotently. Projections (the read
 * model here, the audit and public-event ones in {@code projections/}) keep their rows and offsets in the same
 * database, through a pool ({@link io.caspian.control.journal.ProjectionDatabase}) and one transaction per group
 * ({@link io.caspian.control.journal.PooledSession}).
 */
package io.caspian.control.journal;
