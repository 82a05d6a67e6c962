package io.caspian.control;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ControlPlaneConfigTest {
    @Test
    void refusesToStartWithoutTheControlRole() {
        var e = assertThrows(IllegalArgumentException.class, () -> ControlPlane.start(ConfigFactory.parseMap(
                Map.of("pekko.cluster.roles", List.of("io-engine")))));
        assertTrue(e.getMessage().contains("role 'control'"), e.getMessage());
    }
}
