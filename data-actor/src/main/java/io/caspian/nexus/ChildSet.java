package io.caspian.nexus;

import java.util.ArrayList;
import java.util.List;

/**
 * An immutable view of a nexus's children, published through a volatile field and read once per
 * I/O: which children serve reads, which receive writes, and which miss writes and so must have
 * them marked.
 */
final class ChildSet {

  static final ChildSet EMPTY = new ChildSet(new Child[0]);

  final Child[] all;
  final Child[] readable;
  final Child[] writable;
  final Child[] tracking;

  ChildSet(Child[] all) {
    this.all = all;
    List<Child> r = new ArrayList<>();
    List<Child> w = new ArrayList<>();
    List<Child> t = new ArrayList<>();
    for (Child c : all) {
      if (c.readable()) {
        r.add(c);
      }
      if (c.writable()) {
        w.add(c);
      } else {
        t.add(c);
      }
    }
    this.readable = r.toArray(new Child[0]);
    this.writable = w.toArray(new Child[0]);
    this.tracking = t.toArray(new Child[0]);
  }

  boolean isReadable(Child c) {
    for (Child x : readable) {
      if (x == c) {
        return true;
      }
    }
    return false;
  }

  boolean isWritable(Child c) {
    for (Child x : writable) {
      if (x == c) {
        return true;
      }
    }
    return false;
  }
}
