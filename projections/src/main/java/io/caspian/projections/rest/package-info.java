/** {@code GET /v0/events}: the audit table over HTTP. */
package io.caspian.projections.rest;
