package io.caspian.datanode;

import io.caspian.bdev.BdevException;
import io.caspian.bdev.DeviceUri;
import java.io.IOException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.PathMatcher;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * The disks an io-engine may open for a pool ({@code --disk-allow}): the io-engine runs as root, so
 * without this list any API caller could have it format {@code /dev/sda} or create a file in any
 * directory. A disk is judged before anything is opened, created or formatted.
 *
 * <p>Patterns, one per entry:
 *
 * <ul>
 *   <li>{@code scheme:} (a word and a colon, no slash): every disk of that scheme, e.g.
 *       {@code malloc:} (memory) or {@code nvmf:} (a remote namespace); nothing local is named.
 *   <li>An absolute path glob, matched against the canonical local path of an {@code aio://},
 *       {@code file://} or {@code uring://} disk (or a bare path): {@code *} and {@code ?} stay
 *       within one path component, {@code **} crosses them, {@code [..]} and {@code {a,b}} as in
 *       {@link java.nio.file.FileSystem#getPathMatcher}. A pattern ending in {@code /} means
 *       everything below that directory ({@code /dir/} is {@code /dir/**}); one without wildcards
 *       names that path only.
 * </ul>
 *
 * <p>The canonical path is the kernel's view: {@code ..} and every symlink resolved for the part
 * of the path that exists, so a link inside an allowed directory pointing at {@code /dev/sda} is
 * judged as {@code /dev/sda}. One exception: a link that udev keeps under {@code /dev/disk/}
 * ({@code by-id}, {@code by-path}, ...) is judged by its own name, since that stable name is what
 * operators allow and only udev (root) writes there.
 */
public final class DiskAllowList {

  /** The schemes whose disk is a local path that the io-engine opens (and may create). */
  private static final Set<String> PATH_SCHEMES = Set.of("aio", "file", "uring");
  /** Where udev keeps its stable links to block devices. */
  private static final Path UDEV_LINKS = Path.of("/dev/disk");

  /** What the list says about one disk URI. */
  public sealed interface Verdict {
    /** The disk may be used; {@code judged} is what was matched (canonical path or scheme). */
    record Allowed(String judged) implements Verdict {
    }

    /** The disk is outside the list; {@code reason} names what it resolved to and the list. */
    record Denied(String reason) implements Verdict {
    }

    /** The URI cannot be judged (no path, a host in a path URI, unparsable). */
    record Malformed(String reason) implements Verdict {
    }
  }

  private final List<String> patterns;
  private final Set<String> schemes;
  private final List<PathMatcher> paths;
  private final Path udevLinks;

  private DiskAllowList(List<String> patterns, Path udevLinks) {
    this.patterns = List.copyOf(patterns);
    this.udevLinks = udevLinks;
    List<String> sch = new ArrayList<>();
    List<PathMatcher> ms = new ArrayList<>();
    for (String p : this.patterns) {
      if (isScheme(p)) {
        sch.add(p.substring(0, p.length() - 1).toLowerCase(java.util.Locale.ROOT));
      } else {
        ms.add(FileSystems.getDefault().getPathMatcher("glob:"
            + canonicalPrefix(p.endsWith("/") ? p + "**" : p, udevLinks)));
      }
    }
    this.schemes = Set.copyOf(sch);
    this.paths = List.copyOf(ms);
  }

  /**
   * The list of {@code patterns}; a blank, relative or otherwise malformed pattern is refused
   * here, at start, rather than silently matching nothing.
   */
  public static DiskAllowList of(List<String> patterns) {
    return of(patterns, UDEV_LINKS);
  }

  /** As {@link #of(List)}, with udev's links under {@code udevLinks} (tests cannot write /dev). */
  static DiskAllowList of(List<String> patterns, Path udevLinks) {
    Objects.requireNonNull(patterns, "patterns");
    if (patterns.isEmpty()) {
      throw new IllegalArgumentException("the disk allow list is empty: no pool could be made; "
          + "give at least one pattern");
    }
    for (String p : patterns) {
      check(p);
    }
    return new DiskAllowList(patterns, udevLinks);
  }

  /**
   * The default list of an io-engine keeping its registry in {@code dataDir}: that directory and
   * everything below it, udev's stable disk names, memory disks and remote NVMe/TCP namespaces.
   */
  public static List<String> defaults(Path dataDir) {
    return List.of(escape(dataDir.toAbsolutePath().normalize().toString()) + "/",
        "/dev/disk/by-id/*", "malloc:", "nvmf:");
  }

  /** The pattern that allows {@code path} and nothing else, whatever characters it holds. */
  public static String exactly(Path path) {
    return escape(path.toAbsolutePath().normalize().toString());
  }

  public List<String> patterns() {
    return patterns;
  }

  /** Judges the disk URI of a pool create or import. Reads the file system, never writes it. */
  public Verdict judge(String disk) {
    DeviceUri u;
    try {
      u = DeviceUri.parse(disk);
    } catch (BdevException e) {
      return new Verdict.Malformed(e.getMessage());
    }
    if (!PATH_SCHEMES.contains(u.scheme())) {
      return schemes.contains(u.scheme()) ? new Verdict.Allowed(u.scheme() + ":")
          : denied(disk, "its scheme '" + u.scheme() + ":'");
    }
    if (!u.host().isEmpty() || u.port() >= 0) {
      // The opener ignores a host: file://etc/passwd would open /passwd.
      return new Verdict.Malformed("disk " + disk + " names a host '" + u.host() + "'; a local "
          + "path needs three slashes: " + u.scheme() + ":///absolute/path");
    }
    if (!u.path().startsWith("/")) {
      return new Verdict.Malformed("disk " + disk + " needs an absolute path");
    }
    Path canonical;
    try {
      canonical = canonical(Path.of(u.path()));
    } catch (IOException | java.nio.file.InvalidPathException e) {
      return new Verdict.Malformed("disk " + disk + ": cannot resolve " + u.path() + ": " + e);
    }
    for (PathMatcher m : paths) {
      if (m.matches(canonical)) {
        return new Verdict.Allowed(canonical.toString());
      }
    }
    return denied(disk, canonical.equals(Path.of(u.path())) ? canonical.toString()
        : "its path " + canonical);
  }

  private Verdict denied(String disk, String what) {
    return new Verdict.Denied("disk " + disk + " is outside the io-engine's disk allow list: "
        + what + " matches none of " + patterns + " (--disk-allow)");
  }

  /**
   * The path the kernel would open: the longest existing prefix with {@code ..} and symlinks
   * resolved as the kernel does (component by component), the rest appended and normalised. A
   * last component that is a link in udev's directory stays as it is.
   */
  private Path canonical(Path path) throws IOException {
    return canonical(path, udevLinks);
  }

  static Path canonical(Path path, Path udevLinks) throws IOException {
    Path existing = path.getRoot();
    int i = 0;
    int n = path.getNameCount();
    while (i < n && Files.exists(existing.resolve(path.getName(i)), LinkOption.NOFOLLOW_LINKS)) {
      existing = existing.resolve(path.getName(i));
      i++;
    }
    if (i == n && n > 0 && Files.isSymbolicLink(existing)) {
      Path parent = existing.getParent().toRealPath();
      if (parent.startsWith(udevLinks) && !parent.equals(udevLinks)) {
        return parent.resolve(existing.getFileName());
      }
    }
    Path real = existing.toRealPath();
    return i == n ? real : real.resolve(path.subpath(i, n)).normalize();
  }

  /**
   * The pattern with its literal leading directories canonical, as disks are judged: a pattern
   * {@code /var/lib/caspian/} where {@code /var/lib} is a link still matches the disks below it.
   */
  private static String canonicalPrefix(String pattern, Path udevLinks) {
    String[] parts = pattern.substring(1).split("/", -1);
    int literal = 0;
    while (literal < parts.length && parts[literal].chars().noneMatch(c -> "\\*?[]{}".indexOf(c) >= 0)) {
      literal++;
    }
    if (literal == 0) {
      return pattern;
    }
    Path prefix = Path.of("/" + String.join("/", java.util.Arrays.copyOf(parts, literal)));
    try {
      Path real = canonical(prefix, udevLinks);
      String rest = literal == parts.length ? ""
          : "/" + String.join("/", java.util.Arrays.copyOfRange(parts, literal, parts.length));
      return escape(real.toString()) + rest;
    } catch (IOException | RuntimeException e) {
      return pattern;
    }
  }

  private static boolean isScheme(String p) {
    return p.matches("[A-Za-z][A-Za-z0-9+.-]*:");
  }

  private static void check(String p) {
    if (p == null || p.isBlank()) {
      throw new IllegalArgumentException("a disk allow pattern must not be blank");
    }
    if (isScheme(p)) {
      return;
    }
    if (!p.startsWith("/")) {
      throw new IllegalArgumentException("disk allow pattern '" + p + "' must be an absolute path "
          + "glob (/dev/disk/by-id/*, /var/lib/caspian/) or a scheme (malloc:, nvmf:)");
    }
    if (p.contains("/../") || p.endsWith("/..") || p.contains("/./") || p.endsWith("/.")) {
      // Disks are judged by their canonical path; a pattern with . or .. would never match one.
      throw new IllegalArgumentException("disk allow pattern '" + p + "' must be canonical (no . "
          + "or .. components)");
    }
    try {
      FileSystems.getDefault().getPathMatcher("glob:" + p);
    } catch (java.util.regex.PatternSyntaxException e) {
      throw new IllegalArgumentException("disk allow pattern '" + p + "' is not a glob: "
          + e.getDescription());
    }
  }

  /** A literal path as a glob: a data directory named {@code /srv/[a]} means just that. */
  private static String escape(String path) {
    StringBuilder b = new StringBuilder();
    for (char c : path.toCharArray()) {
      if ("\\*?[]{}".indexOf(c) >= 0) {
        b.append('\\');
      }
      b.append(c);
    }
    return b.toString();
  }

  @Override
  public String toString() {
    return String.join(",", patterns);
  }
}
