/**
 * The {@code caspian} command: one {@link io.caspian.app.Main} that runs a role (control plane, io-engine, or
 * both in one JVM with {@code up}) or acts as a thin CLI over the control plane's REST API.
 */
package io.caspian.app;
