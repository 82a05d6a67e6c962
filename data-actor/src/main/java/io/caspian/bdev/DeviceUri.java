package io.caspian.bdev;

import java.net.URI;
import java.net.URISyntaxException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A parsed disk URI: {@code scheme://host/path?key=value}. A bare absolute path such as
 * {@code /dev/sdx} means {@code aio:///dev/sdx}, as in Mayastor.
 *
 * @param text the URI as the user wrote it; error messages quote it
 */
public record DeviceUri(String text, String scheme, String host, int port, String path,
    Map<String, String> params) {

  public static DeviceUri parse(String text) throws BdevException {
    if (text == null || text.isBlank()) {
      throw BdevException.of(BdevException.Kind.CANT_OPEN, String.valueOf(text), "empty device URI");
    }
    String t = text.strip();
    if (t.startsWith("/")) {
      return new DeviceUri(text, "aio", "", -1, t, Map.of());
    }
    URI u;
    try {
      u = new URI(t);
    } catch (URISyntaxException e) {
      throw BdevException.of(BdevException.Kind.CANT_OPEN, text, "malformed device URI: " + e.getMessage(), e);
    }
    if (u.getScheme() == null) {
      throw BdevException.of(BdevException.Kind.CANT_OPEN, text,
          "device URI has no scheme (expected e.g. malloc:///name?size_mb=64 or aio:///dev/sdb)");
    }
    Map<String, String> params = new LinkedHashMap<>();
    String q = u.getRawQuery();
    if (q != null && !q.isEmpty()) {
      for (String kv : q.split("&")) {
        int eq = kv.indexOf('=');
        String k = eq < 0 ? kv : kv.substring(0, eq);
        String v = eq < 0 ? "" : kv.substring(eq + 1);
        params.put(URLDecoder.decode(k, StandardCharsets.UTF_8), URLDecoder.decode(v, StandardCharsets.UTF_8));
      }
    }
    return new DeviceUri(text, u.getScheme().toLowerCase(java.util.Locale.ROOT),
        u.getHost() == null ? "" : u.getHost(), u.getPort(),
        u.getPath() == null ? "" : u.getPath(), Collections.unmodifiableMap(params));
  }

  /** A required positive integer parameter. */
  public long longParam(String key) throws BdevException {
    String v = params.get(key);
    if (v == null) {
      throw BdevException.of(BdevException.Kind.CANT_OPEN, text, "missing parameter '" + key + "'");
    }
    return parseLong(key, v);
  }

  /** An optional integer parameter. */
  public long longParam(String key, long dflt) throws BdevException {
    String v = params.get(key);
    return v == null ? dflt : parseLong(key, v);
  }

  private long parseLong(String key, String v) throws BdevException {
    try {
      long n = Long.parseLong(v);
      if (n <= 0) {
        throw new NumberFormatException();
      }
      return n;
    } catch (NumberFormatException e) {
      throw BdevException.of(BdevException.Kind.CANT_OPEN, text,
          "parameter '" + key + "' must be a positive integer, not '" + v + "'");
    }
  }

  /** The path with its leading slash removed, e.g. the name of a malloc device. */
  public String name() {
    return path.startsWith("/") ? path.substring(1) : path;
  }
}
