package io.caspian.nexus.intent;

/**
 * A child that is a member of a nexus, as its write-intent log records it.
 *
 * @param uri the child's URI
 * @param complete whether the child differs from the others only inside the log's dirty regions;
 *     false while it is being fully rebuilt (or after a failed flush), when a partial rebuild
 *     would not be enough
 */
public record Member(String uri, boolean complete) {

  public Member {
    if (uri == null || uri.isEmpty()) {
      throw new IllegalArgumentException("a member needs a URI");
    }
  }
}
