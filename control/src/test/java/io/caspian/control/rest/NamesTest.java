package io.caspian.control.rest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.caspian.control.entity.Reply;
import io.caspian.control.service.ControlException;
import java.util.UUID;
import org.junit.jupiter.api.Test;

class NamesTest {

    @Test
    void idsAreCanonicalUuids() {
        String id = UUID.randomUUID().toString();
        assertEquals(id, Names.uuid("volume", id));
        for (String bad : new String[] {"not-a-uuid", id.toUpperCase(), id.replace("-", ""), "{" + id + "}",
                id + "\n", id + "\u0000", " " + id, id.substring(1), "../../x", ""}) {
            ControlException e = assertThrows(ControlException.class, () -> Names.uuid("volume", bad), bad);
            assertEquals(Reply.Kind.INVALID, e.kind());
            assertTrue(e.getMessage().startsWith("volume id '"), e.getMessage());
        }
    }

    @Test
    void namesAreKubernetesObjectNames() {
        for (String ok : new String[] {"node-1", "pool-a", "a", "io-engine-4420", "worker-3.example.com",
                "x".repeat(Names.NAME_MAX)}) {
            assertEquals(ok, Names.name("pool", ok));
        }
        for (String bad : new String[] {"", "Node-1", "-a", "a-", ".a", "a..b", "a_b", "a b", "../../x", "a/b",
                "a\u0000b", "a\nb", "pool\u202Eevil", "pool\uD83D\uDE00", "x".repeat(Names.NAME_MAX + 1)}) {
            ControlException e = assertThrows(ControlException.class, () -> Names.name("pool", bad), bad);
            assertEquals(Reply.Kind.INVALID, e.kind());
        }
    }

    /** The message must not carry what made the value bad: a newline would break the CLI's output, an RLO flip it. */
    @Test
    void badValuesAreQuotedPrintably() {
        String shown = Names.shown("a\u0000b\n\u202E\uD83D\uDE00\\" + "y".repeat(100));
        assertTrue(shown.startsWith("'a\\u0000b\\u000a\\u202e\\ud83d\\ude00\\u005c"), shown);
        assertTrue(shown.endsWith("...' (108 characters)"), shown);
        assertFalse(shown.chars().anyMatch(c -> c < 0x20 || c >= 0x7f), shown);
    }
}
