package io.caspian.projections.audit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.caspian.control.journal.JournalSchema;
import io.caspian.control.journal.JournalSettings;
import io.caspian.control.journal.ProjectionDatabase;
import java.nio.file.Path;
import java.sql.Connection;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AuditQueriesTest {
    @TempDir
    Path dir;

    private ProjectionDatabase db;
    private AuditQueries queries;

    @BeforeEach
    void fill() throws Exception {
        JournalSettings journal = JournalSettings.h2(dir);
        JournalSchema.ensure(journal, "/caspian/schema/audit-h2.sql", "/caspian/schema/audit-postgres.sql");
        // Twice: the script is re-runnable.
        JournalSchema.ensure(journal, "/caspian/schema/audit-h2.sql", "/caspian/schema/audit-postgres.sql");
        db = new ProjectionDatabase(journal, 2);
        List<AuditRow> rows = new ArrayList<>();
        for (int i = 0; i < 25; i++) {
            // Pairs share a timestamp, so pages must break ties by row id.
            long t = 1_000_000 + (i / 2) * 1000;
            String volume = i % 5 == 0 ? "vol-b" : "vol-a";
            String type = i % 3 == 0 ? "ChildFaulted" : "NexusStatusChanged";
            rows.add(new AuditRow("Nexus|n|" + i, "Nexus", "n", volume, "node-" + (i % 2), type, t, i, "{}"));
        }
        try (Connection c = db.dataSource().getConnection()) {
            new AuditStore(journal.kind()).insert(c, rows);
            c.commit();
        }
        queries = new AuditQueries(db.dataSource());
    }

    @AfterEach
    void close() {
        db.close();
    }

    private List<String> all(EventQuery first) throws Exception {
        List<String> ids = new ArrayList<>();
        EventQuery q = first;
        for (int pages = 0; pages < 100; pages++) {
            EventPage p = queries.find(q);
            p.events().forEach(s -> ids.add(s.row().eventId()));
            if (p.next() == null) {
                return ids;
            }
            q = new EventQuery(q.volume(), q.node(), q.entity(), q.types(), q.since(), q.until(), q.limit(),
                    q.newestFirst(), Cursor.decode(p.next().encode()));
        }
        throw new AssertionError("paging does not end");
    }

    @Test
    void pagesOldestFirstVisitEveryMatchingRowOnceInOrder() throws Exception {
        List<String> ids = all(new EventQuery("vol-a", null, null, List.of(), null, null, 3, false, null));
        List<String> expected = new ArrayList<>();
        for (int i = 0; i < 25; i++) {
            if (i % 5 != 0) {
                expected.add("Nexus|n|" + i);
            }
        }
        assertEquals(expected, ids);
    }

    @Test
    void pagesNewestFirstAreTheReverse() throws Exception {
        List<String> asc = all(new EventQuery(null, null, "n", List.of(), null, null, 4, false, null));
        List<String> desc = all(new EventQuery(null, null, "n", List.of(), null, null, 4, true, null));
        assertEquals(25, asc.size());
        List<String> reversed = new ArrayList<>(desc);
        java.util.Collections.reverse(reversed);
        assertEquals(asc, reversed);
    }

    @Test
    void filtersCombine() throws Exception {
        List<String> ids = all(new EventQuery(null, "node-0", null, List.of("ChildFaulted"), 1_002_000L,
                1_010_000L, 100, false, null));
        // Even i (node-0), i % 3 == 0 (ChildFaulted), time in [1_002_000, 1_010_000): i in 4..19.
        assertEquals(List.of("Nexus|n|6", "Nexus|n|12", "Nexus|n|18"), ids);
        EventPage last = queries.find(new EventQuery("vol-b", null, null, List.of(), null, null, 5, false, null));
        assertEquals(5, last.events().size());
        assertNull(last.next());
    }
}
