// The blocking facade as Java sees it: constructors and methods with optional parameters as
// overloads, properties as getters, the exception tree as checked-free RuntimeExceptions.
package dev.grantline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class JavaFacadeTest {
    @Test
    void javaCallsTheBlockingClient() throws Exception {
        TestServer server = TestServer.INSTANCE;
        try (BlockingApp app = new App(server.getAppKey(), server.getBaseUrl()).getBlocking()) {
            String label = server.label("java");
            CreateGrantResult created = app.createManagedSecretGrant(
                server.getManagedSecretId(), new Principal.System(label), new GrantPolicy(null, 3600L, null));
            assertEquals(label, created.getLabel());
            GrantPage page = app.listGrants(null, null, null, label);
            GrantItem item = page.getGrants().get(0);
            assertTrue(item instanceof GrantItem.ManagedSecret);
            assertEquals(created.getGrantId(), ((GrantItem.ManagedSecret) item).getGrantId());
            assertTrue(app.grants().size() >= 1);
            SiblingLabelConflictException conflict = assertThrows(SiblingLabelConflictException.class,
                () -> app.createManagedSecretGrant(server.getManagedSecretId(), new Principal.System(label)));
            assertEquals(409, conflict.getStatus());
            assertThrows(InvalidArgumentException.class, () -> app.listGrants(null, null, null, null, null, 0));
            assertThrows(InvalidArgumentException.class,
                () -> new App("nope", server.getBaseUrl(), Duration.ofSeconds(5)));
            assertEquals(created.getGrantId(), app.revokeGrant(created.getGrantId(), "java").getGrantId());
            // The lifecycle calls as Java sees them: overloads, `void` for revokeDelegation, a
            // constrained copy of the same blocking type (grantline-server verifies its lines).
            BlockingApp reader = app.withConstraints(java.util.List.of("grants:read"));
            assertEquals(0L, reader.listGrants(null, null, null, server.label("none")).getTotal());
            assertThrows(GrantNotFoundException.class,
                () -> app.mintGrant(java.util.UUID.randomUUID().toString(), server.label("sibling")));
            assertThrows(InvalidArgumentException.class, () -> app.revokeDelegation(created.getGrantId(), "nope"));
        }
    }
}
