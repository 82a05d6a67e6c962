/**
 * Operations that span entities and io-engines (create a volume and its replicas, publish it, create a pool) and
 * the reconciler that repeats them until desired and observed state agree. Operations on one volume are
 * serialised by a per-volume lock; they block on a dedicated executor, never on an actor or event-loop thread.
 */
package io.caspian.control.service;
