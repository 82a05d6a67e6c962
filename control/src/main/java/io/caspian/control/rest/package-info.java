/**
 * The REST API, modelled on Mayastor's v0: JSON views of nodes, pools, replicas, nexuses and volumes, and the
 * operations on them. The OpenAPI document is {@code openapi.yaml} on the class path, served at /v0/api-spec.
 */
package io.caspian.control.rest;
