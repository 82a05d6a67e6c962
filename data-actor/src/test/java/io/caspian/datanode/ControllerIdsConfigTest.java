package io.caspian.datanode;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.caspian.nvmf.target.NvmfTarget;
import org.junit.jupiter.api.Test;

class ControllerIdsConfigTest {

  @Test
  void aConfiguredRangeIsApplied() throws Exception {
    try (NvmfTarget t = NvmfTarget.bind("127.0.0.1", 0)) {
      DataNode.controllerIds(t, " 2000 - 2999 ");
      assertEquals(2000, t.nextControllerId());
    }
  }

  @Test
  void aBadRangeStopsTheIoEngineWithTheKeyInTheMessage() throws Exception {
    for (String bad : new String[] {"2000", "a-b", "0-10", "10-5", "1-70000"}) {
      NvmfTarget t = NvmfTarget.bind("127.0.0.1", 0);
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
          () -> DataNode.controllerIds(t, bad));
      assertEquals(true, e.getMessage().startsWith("caspian.io-engine.controller-ids"), e.getMessage());
      // controllerIds closed the target: the io-engine does not start with a half-configured listener.
    }
  }
}
