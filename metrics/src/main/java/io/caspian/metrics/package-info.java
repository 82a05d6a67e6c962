/**
 * One JVM's Prometheus {@code /metrics}: {@link io.caspian.metrics.MetricsServer}, a registry of its own with the
 * JVM's and the process's metrics, served by the Prometheus client's HTTP server. A module of its own because the
 * CSI driver serves it too and does not depend on the app (which runs the other roles); each role registers its
 * own metrics on the server's registry, or, serving none, keeps them unregistered
 * ({@link io.caspian.metrics.MetricsServer#register}). Why these choices: {@code docs/adr/metrics.md}.
 */
package io.caspian.metrics;
