package io.caspian.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class FlagsTest {
    private static final Set<String> VALUED = Set.of("seed", "port", "output");

    @Test
    void valuesRepeatsSwitchesAndPositionals() {
        Flags f = Flags.parse(List.of("volume", "--seed", "a:1", "--seed=b:2", "--thin", "-o", "json", "v1"),
                VALUED, Set.of("thin"));
        assertEquals(List.of("a:1", "b:2"), f.all("seed"));
        assertTrue(f.has("thin"));
        assertEquals("json", f.get("output", "table"));
        assertEquals(List.of("volume", "v1"), f.positional());
    }

    @Test
    void badFlagsAreUsageErrorsNamingTheFlag() {
        assertTrue(assertThrows(UsageException.class, () -> Flags.parse(List.of("--nope"), VALUED, Set.of()))
                .getMessage().contains("--nope"));
        assertTrue(assertThrows(UsageException.class, () -> Flags.parse(List.of("--port"), VALUED, Set.of()))
                .getMessage().contains("needs a value"));
        Flags f = Flags.parse(List.of("--port", "x"), VALUED, Set.of());
        assertTrue(assertThrows(UsageException.class, () -> f.integer("port", 0, 0, 65535)).getMessage()
                .contains("'x'"));
        assertThrows(UsageException.class, () -> Flags.hostPort("rest", "8080"));
        assertThrows(UsageException.class, () -> Flags.hostPort("rest", "h:70000"));
        assertEquals(new Flags.HostPort("127.0.0.1", 8080), Flags.hostPort("rest", "127.0.0.1:8080"));
    }

    @Test
    void sizes() {
        assertEquals(64L << 20, Sizes.parse("size", "64MiB"));
        assertEquals(1L << 30, Sizes.parse("size", "1G"));
        assertEquals(4096, Sizes.parse("size", "4096"));
        assertThrows(UsageException.class, () -> Sizes.parse("size", "-1"));
        assertThrows(UsageException.class, () -> Sizes.parse("size", "12x"));
        assertEquals("64MiB", Sizes.format(64L << 20));
        assertEquals("1.5KiB", Sizes.format(1536));
        assertEquals("0B", Sizes.format(0));
    }
}
