/**
 * Integration tests across processes: each Caspian role in its own JVM on 127.0.0.1, a real NBD client (fio),
 * SIGKILL and restart, with the journal on H2 and on PostgreSQL.
 */
package io.caspian.it;
