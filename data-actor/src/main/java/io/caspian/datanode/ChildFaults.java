package io.caspian.datanode;

import io.caspian.bdev.BdevException;
import io.caspian.bdev.DeviceOpener;
import io.caspian.bdev.ErrorInjectionDevice;
import io.caspian.bdev.Injection;
import io.caspian.bdev.IoType;
import io.caspian.events.ioengine.IoEngineCommand;
import io.caspian.events.ioengine.IoEngineReply.FailureKind;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Opens the children of one nexus wrapped in an {@link ErrorInjectionDevice}, so that faults can be injected on any
 * child on demand (the REST API's and CLI's fault injection). With no rule armed a child I/O costs one volatile read.
 * A child opened again (re-added, reconnected) gets a fresh device; rules armed on the old one go with it.
 */
final class ChildFaults {

  /** Every scheme a child URI may have on a DataNode. */
  private static final List<String> SCHEMES = List.of("malloc", "aio", "file", "uring", "bdev", "nvmf");

  private final Map<String, ErrorInjectionDevice> devices = new ConcurrentHashMap<>();
  private final DeviceOpener opener;

  ChildFaults(DeviceOpener base) {
    DeviceOpener o = base;
    for (String scheme : SCHEMES) {
      o = o.with(scheme, u -> {
        ErrorInjectionDevice d = new ErrorInjectionDevice(base.open(u.text()));
        devices.put(u.text(), d);
        return d;
      });
    }
    this.opener = o;
  }

  /** What the nexus opens its children with. */
  DeviceOpener opener() {
    return opener;
  }

  /** Arms a rule on child {@code uri}; refused when the request is malformed or the child is not open. */
  void inject(IoEngineCommand.InjectFault f) throws Failures.Refused {
    if (f.length() <= 0 || f.offset() < 0) {
      throw Failures.refused(FailureKind.INVALID_ARGUMENT, "fault on child " + f.uri() + ": the range needs "
          + "offset >= 0 and length > 0, not offset " + f.offset() + " length " + f.length());
    }
    if (f.count() == 0 || f.count() < IoEngineCommand.UNTIL_CLEARED) {
      throw Failures.refused(FailureKind.INVALID_ARGUMENT, "fault on child " + f.uri() + ": count must be "
          + "positive or -1 (until cleared), not " + f.count());
    }
    device(f.uri()).inject(new Injection(type(f.op()), Injection.Stage.SUBMIT, f.offset(), f.length(), f.count(),
        BdevException.Kind.IO_ERROR));
  }

  void clear(String uri) throws Failures.Refused {
    device(uri).clearAll();
  }

  /** Forgets the device of a child that left the nexus. */
  void forget(String uri) {
    devices.remove(uri);
  }

  private ErrorInjectionDevice device(String uri) throws Failures.Refused {
    ErrorInjectionDevice d = devices.get(uri);
    if (d == null) {
      throw Failures.refused(FailureKind.NOT_FOUND, "child " + uri + " is not open in this nexus");
    }
    return d;
  }

  private static IoType type(IoEngineCommand.FaultOp op) {
    return switch (op) {
      case READ -> IoType.READ;
      case WRITE -> IoType.WRITE;
      case FLUSH -> IoType.FLUSH;
      case UNMAP -> IoType.UNMAP;
      case WRITE_ZEROES -> IoType.WRITE_ZEROES;
    };
  }
}
