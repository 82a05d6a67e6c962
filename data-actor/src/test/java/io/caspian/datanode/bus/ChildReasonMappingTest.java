package io.caspian.datanode.bus;

import static org.junit.jupiter.api.Assertions.*;

import io.caspian.events.proto.bus.ChildReason;
import io.caspian.nexus.ChildState;
import org.junit.jupiter.api.Test;

/** Every reason a nexus gives for a child's state has its bus enum value (EventMapper maps by name). */
class ChildReasonMappingTest {

  @Test
  void everyFaultAndDegradedReasonHasABusValue() {
    for (ChildState.FaultReason r : ChildState.FaultReason.values()) {
      assertDoesNotThrow(() -> ChildReason.valueOf("FAULTED_" + r.name()), r.name());
    }
    for (ChildState.DegradedReason r : ChildState.DegradedReason.values()) {
      assertDoesNotThrow(() -> ChildReason.valueOf("DEGRADED_" + r.name()), r.name());
    }
    assertEquals(ChildReason.FAULTED_FENCED, ChildReason.valueOf("FAULTED_FENCED"));
  }
}
