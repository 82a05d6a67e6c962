/**
 * Where the journal lives: an H2 file under the data directory by default, PostgreSQL in production. Builds the
 * pekko-persistence-jdbc configuration and creates the tables at start-up, idempotently.
 */
package io.caspian.control.journal;
