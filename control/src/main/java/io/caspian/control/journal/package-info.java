/**
 * Where the journal lives: an H2 file under the data directory by default, PostgreSQL in production. Builds the
 * pekko-persistence-jdbc configuration and creates the tables at start-up, idempotently. Projections (the read
 * model here, the audit and public-event ones in {@code projections/}) keep their rows and offsets in the same
 * database, through a pool ({@link io.caspian.control.journal.ProjectionDatabase}) and one transaction per group
 * ({@link io.caspian.control.journal.PooledSession}). They read the journal by tag through
 * {@link io.caspian.control.journal.JournalTail}, woken when a write ends
 * ({@link io.caspian.control.journal.JournalWrites}, counted by the journal's data access) rather than polling.
 */
package io.caspian.control.journal;
