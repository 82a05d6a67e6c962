package io.caspian.nbd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class WriteGateTest {

  @Test
  void exclusiveWaitsForSharedAndBlocksNewShared() {
    WriteGate gate = new WriteGate();
    assertTrue(gate.tryEnterShared());
    assertTrue(gate.tryEnterShared());
    List<String> ran = new ArrayList<>();
    gate.enqueue(() -> ran.add("x1"));
    assertFalse(gate.tryEnterShared(), "no new shared writes while an exclusive one waits");
    gate.enqueue(() -> ran.add("x2"));
    gate.exitShared();
    assertEquals(List.of(), ran);
    gate.exitShared();
    assertEquals(List.of("x1"), ran, "runs once the shared writes drained, one at a time");
    gate.exitExclusive();
    assertEquals(List.of("x1", "x2"), ran);
    assertFalse(gate.tryEnterShared());
    gate.exitExclusive();
    assertTrue(gate.tryEnterShared(), "shared path reopens when the queue is empty");
  }

  @Test
  void inlineCompletionsDoNotRecurse() {
    WriteGate gate = new WriteGate();
    assertTrue(gate.tryEnterShared());
    int[] count = new int[1];
    int n = 200_000;
    for (int i = 0; i < n; i++) {
      gate.enqueue(() -> {
        count[0]++;
        gate.exitExclusive();
      });
    }
    gate.exitShared();
    assertEquals(n, count[0]);
    assertTrue(gate.tryEnterShared());
  }
}
