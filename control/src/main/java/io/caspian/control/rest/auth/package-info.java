/**
 * Who may call the REST API, and over what: bearer tokens (from a file an operator or a Kubernetes Secret provides,
 * else one the control plane makes on first start under its data directory) checked in constant time on every
 * route but the health check, and optional HTTPS from a PKCS12 key store. There is one privilege level: a token
 * either opens the whole API or nothing, so an answer is 401, never 403.
 */
package io.caspian.control.rest.auth;
