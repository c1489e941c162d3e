// The lifecycle calls through the Kotlin surface: mintGrant, delegate, revokeDelegation and
// withConstraints, suspending and blocking. What each call sends (method, path, body, signature,
// constraint headers) and how an answer becomes a model are checked on a LocalServer of the
// test's own, which records every request; bad arguments are typed exceptions with nothing sent.
// The same calls end to end against grantline-server, with its exact answers and refusals, are
// LifecycleServerTest.
package dev.grantline

import kotlinx.coroutines.runBlocking
import org.junit.jupiter.api.AfterEach
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertFalse
import org.junit.jupiter.api.Assertions.assertNotEquals
import org.junit.jupiter.api.Assertions.assertNull
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.assertThrows
import java.time.Duration
import java.time.Instant
import java.util.Base64

class LifecycleTest {
    private val local = LocalServer()

    @AfterEach
    fun stop() = local.close()

    private val grant = "9b1deb4d-3b7d-4bad-9bdd-2b0d7b3dcb6d"
    private val otherAgent = "0f8fad5b-d9cb-469f-a165-70867728950e"

    /** The request's signature is the core's over exactly what arrived (no identity headers). */
    private fun assertSigned(req: LocalServer.Request, apiKey: String) {
        val signed = signRequest(
            apiKey, req.method, req.path, req.body,
            req.headers.getValue("x-alter-timestamp"), req.headers.getValue("x-alter-nonce"), emptyMap(),
        )
        assertEquals(signed.signature, req.headers["x-alter-signature"], "${req.method} ${req.path}")
    }

    @Test
    fun `mintGrant sends the sibling request and returns a GrantInfo`() = runBlocking {
        val app = local.answer(200, GRANT_INFO).app()
        val info = app.mintGrant(
            grant.uppercase(), "sibling", GrantPolicy(maxTtlSeconds = 3600), grantTags = listOf("nightly"),
            timeout = Duration.ofSeconds(5),
        )
        val req = local.single()
        assertEquals("POST", req.method)
        assertEquals("/sdk/grants/$grant/mint", req.path) // canonical (lower-case) UUID
        assertEquals(
            TestServer.mapper.readTree("""{"label":"sibling","grant_policy":{"max_ttl_seconds":3600},"grant_tags":["nightly"]}"""),
            req.json(),
        )
        assertSigned(req, TestServer.appKey)
        assertEquals("8a6e0804-2bd0-4672-b79d-d97027f9071a", info.grantId)
        assertEquals("demo", info.providerId)
        assertEquals(listOf("read"), info.scopes)
        assertEquals("https://api.example.com", info.apiBaseUrl)
        assertEquals(Instant.parse("2026-01-01T00:00:00Z"), info.createdAt)
        assertEquals(Instant.parse("2027-01-01T00:00:00Z"), info.expiresAt)
        assertNull(info.lastUsedAt)
        assertEquals(GrantPolicy(maxTtlSeconds = 3600), info.grantPolicy)
        assertEquals("sibling", info.label)
        // The blocking twin; options left out are not sent.
        assertEquals(info, app.blocking.mintGrant(grant, "sibling"))
        assertEquals(TestServer.mapper.readTree("""{"label":"sibling"}"""), local.single().json())
    }

    @Test
    fun `delegate sends the delegation request and returns a DelegationResult`() = runBlocking {
        val agent = local.answer(201, DELEGATION).agent()
        val result = agent.delegate(grant, otherAgent.uppercase(), delegable = true, scopeConstraint = listOf("email"), ttlSeconds = 600)
        val req = local.single()
        assertEquals("POST", req.method)
        assertEquals("/sdk/grants/$grant/delegate", req.path)
        assertEquals(
            TestServer.mapper.readTree("""{"to_agent_id":"$otherAgent","delegable":true,"scope_constraint":["email"],"ttl_seconds":600}"""),
            req.json(),
        )
        assertSigned(req, TestServer.agentKey)
        assertEquals(DelegationResult("c56a4180-65aa-42ec-a945-5fd21dec0538", "managed_secret", grant, 1L, false, "active", Instant.parse("2026-06-01T00:00:00Z")), result)
        assertEquals(result, agent.blocking.delegate(grant, otherAgent))
        assertEquals(TestServer.mapper.readTree("""{"to_agent_id":"$otherAgent"}"""), local.single().json())
    }

    @Test
    fun `revokeDelegation names the agent on an App and means me on an Agent`() = runBlocking {
        local.answer(204)
        val app = local.app()
        val agent = local.agent()
        assertEquals(Unit, app.revokeDelegation(grant, otherAgent))
        val byApp = local.single()
        assertEquals("DELETE" to "/sdk/grants/$grant/delegations/$otherAgent", byApp.method to byApp.path)
        assertEquals("", byApp.body)
        assertSigned(byApp, TestServer.appKey)
        agent.revokeDelegation(grant)
        val byAgent = local.single()
        assertEquals("DELETE" to "/sdk/grants/$grant/delegations/me", byAgent.method to byAgent.path)
        assertSigned(byAgent, TestServer.agentKey)
        app.blocking.revokeDelegation(grant, otherAgent)
        assertEquals("/sdk/grants/$grant/delegations/$otherAgent", local.single().path)
        agent.blocking.revokeDelegation(grant)
        assertEquals("/sdk/grants/$grant/delegations/me", local.single().path)
    }

    @Test
    fun `withConstraints returns a client of the same type whose every call carries them, signed`() = runBlocking {
        local.answer(200, EMPTY_PAGE)
        val app = local.app(getter = { "user-token-1" })
        val rule = RequestRule("json_match", mapOf("when" to mapOf("maxTtlSeconds" to 1, "label" to null), "effect" to "deny"))
        val constrained: App = app.withConstraints(scopes = listOf("grants:read", "grants:write"), rule = rule)
        constrained.listGrants()
        val req = local.single()
        assertEquals("grants:read,grants:write", req.headers["x-alter-scope-constraints"])
        val decoded = TestServer.mapper.readTree(Base64.getUrlDecoder().decode(req.headers.getValue("x-alter-request-rule")))
        // The rule body as written: keys not renamed, the null entry kept.
        assertEquals(
            TestServer.mapper.readTree("""{"rule_type":"json_match","rule_body":{"when":{"maxTtlSeconds":1,"label":null},"effect":"deny"}}"""),
            decoded,
        )
        // The constraints are inside the signature: it is not the unconstrained one.
        val plain = signRequest(TestServer.appKey, "POST", req.path, req.body, req.headers.getValue("x-alter-timestamp"), req.headers.getValue("x-alter-nonce"), emptyMap())
        assertNotEquals(plain.signature, req.headers["x-alter-signature"])
        // The copy keeps the app's userTokenGetter; the original stays unconstrained.
        assertEquals("user-token-1", req.json()["user_token"].asText())
        app.listGrants()
        assertFalse(local.single().headers.keys.any { it == "x-alter-scope-constraints" || it == "x-alter-request-rule" })
        // An agent's copy is an Agent; the blocking twins give blocking clients.
        val agent: Agent = local.agent().withConstraints(scopes = listOf("grants:read"))
        agent.listGrants()
        assertEquals("grants:read", local.single().headers["x-alter-scope-constraints"])
        val blocking: BlockingApp = app.blocking.withConstraints(listOf("grants:read"))
        blocking.listGrants()
        assertEquals("grants:read", local.single().headers["x-alter-scope-constraints"])
        val blockingAgent: BlockingAgent = local.agent().blocking.withConstraints(rule = rule)
        blockingAgent.listGrants()
        assertNull(local.single().headers["x-alter-scope-constraints"])
        // Attenuation only narrows, and a copy needs something to narrow by: refused locally.
        for (refused in listOf<() -> Unit>(
            { constrained.withConstraints(scopes = listOf("grants:read")) },
            { app.withConstraints() },
            { app.withConstraints(scopes = listOf("*")) },
            { app.withConstraints(scopes = emptyList()) },
            { app.withConstraints(rule = RequestRule("", emptyMap())) },
            { app.withConstraints(rule = RequestRule("big", mapOf("x" to "y".repeat(5000)))) },
        )) {
            assertThrows<InvalidArgumentException> { refused() }
        }
        // Closing either closes both (they share the connections).
        constrained.close()
        assertThrows<ClientClosedException> { runBlocking { app.listGrants() } }
        assertTrue(local.requests.isEmpty())
    }

    @Test
    fun `bad arguments are typed exceptions and nothing is sent`() {
        val app = local.answer(500, "{}").app()
        val agent = local.agent()
        val bad: List<Pair<String, suspend () -> Unit>> = listOf(
            "source_grant_id" to { app.mintGrant("not-a-uuid", "l") },
            "source_grant_id" to { app.mintGrant(grant.replace("-", ""), "l") },
            "label" to { app.mintGrant(grant, "") },
            "label" to { app.mintGrant(grant, "x".repeat(256)) },
            "default_ttl_seconds" to { app.mintGrant(grant, "l", GrantPolicy(defaultTtlSeconds = 60)) },
            "maxTtlSeconds" to { app.mintGrant(grant, "l", GrantPolicy(maxTtlSeconds = 0)) },
            "grant_tags" to { app.mintGrant(grant, "l", grantTags = listOf("")) },
            "grant_id" to { agent.delegate("nope", otherAgent) },
            "to_agent_id" to { agent.delegate(grant, "nope") },
            "scope_constraint" to { agent.delegate(grant, otherAgent, scopeConstraint = listOf("*")) },
            "scope_constraint" to { agent.delegate(grant, otherAgent, scopeConstraint = emptyList()) },
            "ttlSeconds" to { agent.delegate(grant, otherAgent, ttlSeconds = 0) },
            "milliseconds" to { agent.delegate(grant, otherAgent, timeout = Duration.ZERO) },
            "grant_id" to { app.revokeDelegation("nope", otherAgent) },
            "agent_id" to { app.revokeDelegation(grant, "nope") },
            "grant_id" to { agent.revokeDelegation("nope") },
        )
        for ((mention, call) in bad) {
            val e = assertThrows<GrantlineException> { runBlocking { call() } }
            assertTrue(e is InvalidArgumentException, "$mention: $e")
            assertTrue(e.message!!.contains(mention, ignoreCase = true), "expected ${e.message} to name $mention")
        }
        assertThrows<InvalidArgumentException> { app.blocking.mintGrant(grant, "") }
        assertThrows<InvalidArgumentException> { agent.blocking.delegate(grant, "nope") }
        assertTrue(local.requests.isEmpty(), "sent: ${local.requests}")
    }

    private companion object {
        val GRANT_INFO = mapOf(
            "grant_id" to "8a6e0804-2bd0-4672-b79d-d97027f9071a", "provider_id" to "demo", "scopes" to listOf("read"),
            "account_identifier" to "acct", "account_display_name" to "Account", "api_base_url" to "https://api.example.com",
            "status" to "active", "scope_mismatch" to false, "expires_at" to "2027-01-01T00:00:00Z",
            "created_at" to "2026-01-01T00:00:00Z", "last_used_at" to null, "principal_type" to "system", "label" to "sibling",
            "credential_id" to "cred-1", "grant_policy" to mapOf("max_ttl_seconds" to 3600),
        )
        val DELEGATION = mapOf(
            "grant_id" to "c56a4180-65aa-42ec-a945-5fd21dec0538", "grant_kind" to "managed_secret",
            "parent_grant_id" to "9b1deb4d-3b7d-4bad-9bdd-2b0d7b3dcb6d", "depth" to 1, "delegable" to false, "status" to "active",
            "expires_at" to "2026-06-01T00:00:00Z",
        )
        val EMPTY_PAGE = mapOf("grants" to emptyList<Any>(), "total" to 0, "limit" to 100, "offset" to 0, "has_more" to false)
    }
}
