// Every method of App, Agent and their blocking twins against a real grantline-server, with
// every principal, pagination as a Flow, per-call timeouts, end-user revokes and closing.
package dev.grantline

import dev.grantline.TestServer.label
import kotlinx.coroutines.flow.toList
import kotlinx.coroutines.runBlocking
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertFalse
import org.junit.jupiter.api.Assertions.assertNull
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.assertThrows
import java.time.Duration
import java.time.Instant

class ApiTest {
    private val msId = TestServer.managedSecretId

    @Test
    fun `an app creates, lists and revokes a grant`() = runBlocking {
        App(TestServer.appKey, baseUrl = TestServer.baseUrl).use { app ->
            val l = label("crud")
            val before = Instant.now().minusSeconds(5)
            val created = app.createManagedSecretGrant(
                msId, Principal.System(l), grantPolicy = GrantPolicy(maxTtlSeconds = 3600),
            )
            assertEquals("system", created.principalType)
            assertEquals(l, created.label)
            assertTrue(created.createdAt.isAfter(before))
            assertTrue(created.grantExpiresAt!!.isAfter(created.createdAt))
            val page = app.listGrants(label = l)
            assertEquals(1L, page.total)
            val item = page.grants.single()
            when (item) {
                is GrantItem.ManagedSecret -> {
                    assertEquals("managed_secret", item.grantKind)
                    assertEquals(created.grantId, item.grantId)
                    assertEquals(msId, item.managedSecretId)
                    assertEquals("active", item.status)
                    assertEquals(3600L, item.grantPolicy!!.maxTtlSeconds)
                    assertEquals(created.createdAt, item.createdAt)
                }
                else -> error("expected a managed-secret grant, got $item")
            }
            val revoked = app.revokeGrant(created.grantId.uppercase(), reason = "done")
            assertTrue(revoked.success)
            assertEquals(created.grantId, revoked.grantId)
            assertEquals("revoked", (app.listGrants(label = l).grants.single() as GrantItem.ManagedSecret).status)
            val audit = TestServer.audit().first { it["grant_id"]?.asText() == created.grantId && it["action"].asText().contains("revoke") }
            assertEquals("done", audit["reason"].asText())
        }
    }

    @Test
    fun `every principal`() = runBlocking {
        val app = TestServer.app()
        val sub = label("user")
        val user = app.createManagedSecretGrant(msId, Principal.User(TestServer.userToken(sub), label("u")))
        assertEquals("user", user.principalType)
        val group = app.createManagedSecretGrant(
            msId, Principal.Group(TestServer.t("group_id"), TestServer.t("idp_id"), label("g")),
        )
        assertEquals("group", group.principalType)
        val system = app.createManagedSecretGrant(msId, Principal.System())
        assertEquals("system", system.principalType)
        // An agent by its own key, and one the app impersonates: each grants only to itself.
        Agent(TestServer.agentKey, baseUrl = TestServer.baseUrl).use { agent ->
            val own = agent.createManagedSecretGrant(msId, Principal.Agent(label("a")))
            assertEquals("agent", own.principalType)
            val listed = agent.listGrants().grants
            assertTrue(listed.any { it is GrantItem.ManagedSecret && it.grantId == own.grantId })
            assertTrue(listed.all { it !is GrantItem.ManagedSecret || it.principalType == "agent" })
            val err = assertThrows<InvalidArgumentException> {
                runBlocking { agent.createManagedSecretGrant(msId, Principal.System("x")) }
            }
            assertTrue(err.message!!.contains("agent"), err.message)
        }
        val impersonated = app.getAgent(TestServer.t("agent_id").uppercase())
        assertEquals(TestServer.t("agent_id"), impersonated.caller)
        val viaApp = impersonated.createManagedSecretGrant(msId, Principal.Agent(label("ia")))
        assertEquals("agent", viaApp.principalType)
        assertTrue(impersonated.listGrants().grants.any { it is GrantItem.ManagedSecret && it.grantId == viaApp.grantId })
        for (g in listOf(user, group, system, viaApp)) app.revokeGrant(g.grantId)
    }

    @Test
    fun `grants walks every page as a Flow`() = runBlocking<Unit> {
        val app = TestServer.app()
        repeat(5) { app.createManagedSecretGrant(msId, Principal.System(label("page"))) }
        val total = app.listGrants(limit = 1).total
        val all = app.grants(limit = 2).toList()
        assertEquals(total, all.size.toLong())
        assertEquals(all.size, all.map { (it as GrantItem.ManagedSecret).grantId }.toSet().size)
        // From an offset, and the blocking twin reads the same.
        assertEquals(all.drop(3), app.grants(limit = 2, offset = 3).toList())
        assertEquals(all, app.blocking.grants(limit = 3))
        // Bad options surface when the flow is collected, before anything is sent.
        assertThrows<InvalidArgumentException> { runBlocking { app.grants(limit = 0).toList() } }
    }

    @Test
    fun `an end user revokes their own grants, by option and by the app's getter`() = runBlocking {
        val app = TestServer.app()
        for (way in listOf("option", "getter")) {
            val sub = label("revoker-$way")
            val token = TestServer.userToken(sub)
            val own = app.createManagedSecretGrant(msId, Principal.User(token, "$sub-own"))
            val other = app.createManagedSecretGrant(msId, Principal.System("$sub-sys"))
            val scoped = if (way == "option") app else App(TestServer.appKey, baseUrl = TestServer.baseUrl, userTokenGetter = { token })
            val opt = if (way == "option") token else null
            assertThrows<GrantNotFoundException> { runBlocking { scoped.revokeGrant(other.grantId, userToken = opt) } }
            assertEquals(own.grantId, scoped.revokeGrant(own.grantId, userToken = opt).grantId)
        }
        // The getter scopes a listing too; one that fails is an InvalidArgumentException.
        val token = TestServer.userToken(label("lister"))
        val scoped = App(TestServer.appKey, baseUrl = TestServer.baseUrl, userTokenGetter = { token })
        assertEquals(0L, scoped.listGrants().total)
        assertEquals(0, scoped.grants().toList().size)
        val failing = App(TestServer.appKey, baseUrl = TestServer.baseUrl, userTokenGetter = { error("no session") })
        val err = assertThrows<InvalidArgumentException> { runBlocking { failing.listGrants() } }
        assertTrue(err.message!!.contains("no session"))
    }

    @Test
    fun `a call's own timeout overrides the client's`() = runBlocking<Unit> {
        TestServer.fault(mapOf("path_prefix" to "/sdk/grants/list", "status" to 0, "delay_ms" to 1500))
        try {
            val app = App(TestServer.appKey, baseUrl = TestServer.baseUrl, maxRetries = 0, timeout = Duration.ofSeconds(20))
            assertThrows<RequestTimeoutException> { runBlocking { app.listGrants(timeout = Duration.ofMillis(200)) } }
        } finally {
            TestServer.clearFaults()
        }
    }

    @Test
    fun `the blocking facade`() {
        val app = TestServer.app().blocking
        val l = label("blocking")
        val created = app.createManagedSecretGrant(msId, Principal.System(l))
        assertEquals(created.grantId, app.listGrants(label = l).grants.single().let { (it as GrantItem.ManagedSecret).grantId })
        assertEquals(created.grantId, app.revokeGrant(created.grantId).grantId)
        val agent = app.getAgent(TestServer.t("agent_id"))
        assertEquals(TestServer.t("agent_id"), agent.caller)
        assertTrue(agent.listGrants().total >= 0)
        app.close()
        assertThrows<ClientClosedException> { app.listGrants() }
    }

    @Test
    fun `closing, and what clients and principals show`() = runBlocking {
        val app = TestServer.app()
        app.use { }
        app.close() // idempotent
        assertThrows<ClientClosedException> { runBlocking { app.listGrants() } }
        assertThrows<ClientClosedException> { app.getAgent(TestServer.t("agent_id")) }
        val shown = listOf(
            app.toString(), app.blocking.toString(), Agent(TestServer.agentKey, baseUrl = TestServer.baseUrl).toString(),
            Principal.User("eyJsecret-token", "mine").toString(),
        )
        for (s in shown) {
            assertFalse(s.contains(TestServer.appKey) || s.contains(TestServer.agentKey) || s.contains("eyJsecret"), s)
        }
        assertTrue(shown[0].contains(TestServer.baseUrl))
        assertTrue(shown[3].contains("mine"))
        assertEquals(TestServer.baseUrl, app.baseUrl)
    }

    @Test
    fun `the actor id the server returns is kept`() = runBlocking {
        val app = TestServer.app()
        assertNull(app.actorId)
        app.listGrants(limit = 1)
        assertTrue(!app.actorId.isNullOrEmpty())
    }
}
