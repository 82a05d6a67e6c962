/**
 * A user's operations that span entities and io-engines (create a volume and its replicas, publish it, create a
 * pool), the blocking access to the sharded entities they share with the reconcilers, and the per-volume lock that
 * serialises both. They block on a dedicated executor, never on an actor or event-loop thread.
 */
package io.caspian.control.service;
