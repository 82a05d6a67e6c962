/**
 * The audit table: rows written exactly once (row and offset in one transaction), each with the volume and node it
 * belongs to, and the paged queries over it.
 */
package io.caspian.projections.audit;
