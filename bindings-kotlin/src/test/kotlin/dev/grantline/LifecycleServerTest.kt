// mintGrant, delegate, revokeDelegation and withConstraints end to end against the real
// grantline-server of the suite (TestServer): what each call answers, what the other agents then
// list, and each refusal as its exact class and code (docs/domain.md, "Minting and delegation").
// LifecycleTest checks the requests themselves (path, body, signature, headers) on a LocalServer.
package dev.grantline

import dev.grantline.TestServer.label
import kotlinx.coroutines.runBlocking
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertFalse
import org.junit.jupiter.api.Assertions.assertNotEquals
import org.junit.jupiter.api.Assertions.assertNotNull
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.assertThrows
import java.time.Duration
import java.time.Instant
import java.util.UUID

class LifecycleServerTest {
    private val msId = TestServer.managedSecretId
    private val agentId = TestServer.t("agent_id")
    private val agent2Id = TestServer.t("agent2_id")

    private fun agent(key: String) = Agent(key, baseUrl = TestServer.baseUrl, maxRetries = 0)

    /** A fresh agent of the demo app (id, client), for chains deeper than the tenant's two. */
    private fun newAgent(): Pair<String, Agent> {
        val id = TestServer.admin("POST", "/admin/apps/${TestServer.t("app_id")}/agents", mapOf("name" to label("agent")))!!["agent_id"].asText()
        val key = TestServer.admin("POST", "/admin/apps/${TestServer.t("app_id")}/keys", mapOf("kind" to "agent", "agent_id" to id))!!["key"].asText()
        return id to agent(key)
    }

    /** [grantId] as [client] lists it (every status), or null. */
    private suspend fun listed(client: Client, grantId: String, status: String? = null): GrantItem.ManagedSecret? =
        client.listGrants(status = status, limit = 1000).grants
            .filterIsInstance<GrantItem.ManagedSecret>().singleOrNull { it.grantId == grantId }

    /** The `detail_reason` of a refusal (GrantNotDelegableException), from its error body. */
    private fun detailReason(e: GrantlineException): String? =
        TestServer.mapper.readTree(e.detailsJson)["detail_reason"]?.asText()

    @Test
    fun `an app mints a sibling grant on the same credential`() = runBlocking {
        val app = TestServer.app()
        val src = app.createManagedSecretGrant(msId, Principal.System(label("ops")))
        val name = label("ops-ci")
        val before = Instant.now().minusSeconds(5)
        val info = app.mintGrant(src.grantId.uppercase(), name, GrantPolicy(maxTtlSeconds = 600), grantTags = listOf("ci"))
        assertNotEquals(src.grantId, info.grantId)
        assertEquals(name, info.label)
        assertEquals(src.credentialId, info.credentialId)
        assertEquals(TestServer.t("managed_secret_slug"), info.providerId)
        assertEquals("system", info.principalType)
        assertEquals("active", info.status)
        assertEquals(600L, info.grantPolicy!!.maxTtlSeconds)
        assertTrue(info.createdAt.isAfter(before), "${info.createdAt}")
        assertTrue(info.expiresAt!!.isAfter(info.createdAt))
        // The sibling is a grant of its own, on the same managed secret and credential.
        val sibling = listed(app, info.grantId)!!
        assertEquals(msId, sibling.managedSecretId)
        assertEquals(src.credentialId, sibling.credentialId)
        assertEquals(name to "ownership", sibling.label to sibling.accessVia)
        assertEquals("active", listed(app, src.grantId)!!.status)

        // A taken label, a policy in the past, an unknown source: refused, nothing minted.
        val total = app.listGrants().total
        val taken = assertThrows<SiblingLabelConflictException> { runBlocking { app.mintGrant(src.grantId, name) } }
        assertEquals(Triple(409, "sibling_label_conflict", name), Triple(taken.status, taken.code, taken.label))
        val past = assertThrows<UnprocessableEntityException> {
            runBlocking { app.mintGrant(src.grantId, label("late"), GrantPolicy(expiresAt = Instant.parse("2001-01-01T00:00:00Z"))) }
        }
        assertEquals(422, past.status)
        val missing = assertThrows<GrantNotFoundException> { runBlocking { app.mintGrant(UUID.randomUUID().toString(), label("m")) } }
        assertEquals(404 to "grant_not_found", missing.status to missing.code)
        // An agent cannot mint, even a grant it holds: an app key acting as the agent is refused.
        val own = agent(TestServer.agentKey).createManagedSecretGrant(msId, Principal.Agent(label("own")))
        val asAgent = App(TestServer.appKey, baseUrl = TestServer.baseUrl, maxRetries = 0, caller = agentId, callerType = "agent")
        val refused = assertThrows<AgentsCannotMintException> { runBlocking { asAgent.mintGrant(own.grantId, label("nope")) } }
        assertTrue(refused is PermissionDeniedException)
        assertEquals(403 to "agents_cannot_mint", refused.status to refused.code)
        assertEquals(total + 1, app.listGrants().total) // only the agent's own grant was added
    }

    @Test
    fun `an agent delegates its grant to agent2, which lists it with its chain, then loses it`() = runBlocking {
        val app = TestServer.app()
        val a = agent(TestServer.agentKey)
        val b = agent(TestServer.t("agent2_key"))
        val (cId, c) = newAgent()
        val rootLabel = label("deploy")
        val root = a.createManagedSecretGrant(msId, Principal.Agent(rootLabel))
        val before = Instant.now()
        val d = a.delegate(root.grantId, agent2Id.uppercase(), delegable = true, ttlSeconds = 3600)
        assertNotEquals(root.grantId, d.grantId)
        assertEquals("managed_secret", d.grantKind)
        assertEquals(root.grantId, d.parentGrantId)
        assertEquals(1L, d.depth)
        assertTrue(d.delegable)
        assertEquals("active", d.status)
        // Expiry: now + ttlSeconds (the root, with no policy, ends later).
        val expires = d.expiresAt!!
        assertTrue(!expires.isBefore(before.plusSeconds(3599)) && !expires.isAfter(Instant.now().plusSeconds(3601)), "$expires")

        // agent2 lists the delegation with its place in the chain.
        val held = listed(b, d.grantId)!!
        assertEquals("ms_delegation", held.accessVia)
        assertEquals(1L, held.depth)
        assertEquals(root.grantId, held.parentGrantId)
        assertTrue(held.delegable)
        assertNotNull(held.delegatedAt)
        assertEquals("agent" to "active", held.principalType to held.status)
        assertEquals(msId, held.managedSecretId)
        assertEquals(rootLabel, held.label) // the child copies its parent's binding and label
        assertEquals(expires, held.grantExpiresAt)
        assertEquals(null, listed(a, d.grantId)) // the delegating agent does not hold it

        // Onward: agent2 hands it to c, a leaf (onward delegation is opt-in at each hop).
        val d2 = b.delegate(d.grantId, cId)
        assertEquals(Triple(2L, false, d.grantId), Triple(d2.depth, d2.delegable, d2.parentGrantId))
        val leaf = assertThrows<GrantNotDelegableException> { runBlocking { c.delegate(d2.grantId, agentId) } }
        assertTrue(leaf is PermissionDeniedException)
        assertEquals(403 to "grant_not_delegable", leaf.status to leaf.code)
        assertEquals("holder_not_delegable", detailReason(leaf))
        // One live delegation per (parent, agent); an unknown agent; a grant c does not hold;
        // a delegation is no source for a sibling.
        val again = assertThrows<ConflictException> { runBlocking { a.delegate(root.grantId, agent2Id) } }
        assertEquals(409 to "delegation_exists", again.status to again.code)
        assertEquals(d.grantId, TestServer.mapper.readTree(again.detailsJson)["existing_grant_id"].asText())
        val nobody = assertThrows<AgentNotFoundException> { runBlocking { a.delegate(root.grantId, UUID.randomUUID().toString()) } }
        assertEquals(404 to "agent_not_found", nobody.status to nobody.code)
        val notHeld = assertThrows<GrantNotFoundException> { runBlocking { c.delegate(root.grantId, agent2Id) } }
        assertEquals(404 to "grant_not_found", notHeld.status to notHeld.code)
        val fromDelegation = assertThrows<PermissionDeniedException> { runBlocking { app.mintGrant(d.grantId, label("sib")) } }
        assertEquals("mint_source_is_delegation", fromDelegation.code)
        // None of these refusals changed the chain: agent2 still holds exactly its delegation.
        assertEquals(listOf(d.grantId), b.listGrants(limit = 1000).grants.filterIsInstance<GrantItem.ManagedSecret>().filter { it.parentGrantId == root.grantId }.map { it.grantId })

        // The app revokes agent2's delegation (naming the agent): agent2 and c lose it, the
        // agent keeps its grant. Idempotent: the same revoke again answers 204 as well.
        app.revokeDelegation(root.grantId, agent2Id)
        app.revokeDelegation(root.grantId, agent2Id)
        assertEquals("revoked", listed(b, d.grantId)!!.status)
        assertEquals(null, listed(b, d.grantId, status = "active"))
        assertEquals("revoked", listed(c, d2.grantId)!!.status)
        assertEquals("active", listed(a, root.grantId)!!.status)
        val audit = TestServer.audit().first { it["grant_id"]?.asText() == d.grantId && it["action"].asText() == "delegation.revoke" }
        assertTrue(audit["actor"].asText().startsWith("app_key:"), "$audit")

        // An agent gives up its own delegation (`…/delegations/me`), named by its parent or by
        // the delegation itself; agent2 then no longer lists it as active.
        for (name in listOf("parent", "delegation")) {
            val again2 = a.delegate(root.grantId, agent2Id)
            assertEquals("active", listed(b, again2.grantId, status = "active")!!.status)
            b.revokeDelegation(if (name == "parent") root.grantId else again2.grantId)
            assertEquals("revoked", listed(b, again2.grantId)!!.status, name)
            assertEquals(null, listed(b, again2.grantId, status = "active"), name)
        }
        assertEquals("active", listed(a, root.grantId)!!.status)
        for (client in listOf(a, b, c)) client.close()
    }

    @Test
    fun `exact answers for grants that are not there`() = runBlocking {
        val app = TestServer.app()
        val a = agent(TestServer.agentKey)
        val missing = UUID.randomUUID().toString()
        for (call in listOf<suspend () -> Unit>(
            { app.mintGrant(missing, "sibling") },
            { a.delegate(missing, agent2Id) },
            { app.revokeDelegation(missing, agent2Id) },
            { a.revokeDelegation(missing) },
        )) {
            val e = assertThrows<GrantNotFoundException> { runBlocking { call() } }
            assertEquals(404 to "grant_not_found", e.status to e.code)
        }
        // A grant of the app with no such delegation: nothing to revoke, 204 all the same.
        val own = a.createManagedSecretGrant(msId, Principal.Agent(label("none")))
        app.revokeDelegation(own.grantId, agent2Id)
        app.revokeDelegation(own.grantId, UUID.randomUUID().toString())
        a.revokeDelegation(own.grantId)
        assertEquals("active", listed(a, own.grantId)!!.status)
        // An app key acting as an agent revokes only at `…/me`, which an Agent client uses.
        val asAgent = App(TestServer.appKey, baseUrl = TestServer.baseUrl, maxRetries = 0, caller = agentId, callerType = "agent")
        val wrongPath = assertThrows<PermissionDeniedException> { runBlocking { asAgent.revokeDelegation(own.grantId, agent2Id) } }
        assertEquals(403 to "use_self_revoke_path", wrongPath.status to wrongPath.code)
    }

    @Test
    fun `constrained clients' lifecycle calls pass the server's signature check`() = runBlocking {
        val (bId, b) = newAgent()
        val a = agent(TestServer.agentKey).withConstraints(scopes = listOf("grants:read", "grants:write"))
        val root = a.createManagedSecretGrant(msId, Principal.Agent(label("c")))
        val d = a.delegate(root.grantId, bId, ttlSeconds = 600)
        assertEquals(1L, d.depth)
        val ruled = TestServer.app().withConstraints(
            rule = RequestRule("content_match", mapOf("deny" to listOf("x"))),
        )
        val src = ruled.createManagedSecretGrant(msId, Principal.System(label("r")))
        assertEquals(src.credentialId, ruled.mintGrant(src.grantId, label("r-sib")).credentialId)
        ruled.revokeDelegation(root.grantId, bId)
        assertEquals("revoked", listed(b, d.grantId)!!.status)
        val again = a.delegate(root.grantId, bId)
        b.withConstraints(scopes = listOf("grants:write")).revokeDelegation(again.grantId)
        assertEquals("revoked", listed(b, again.grantId)!!.status)
    }

    @Test
    fun `the blocking facade, once through`() {
        val app = TestServer.app().blocking
        val a = agent(TestServer.agentKey).blocking
        val b = agent(TestServer.t("agent2_key")).blocking
        val src = app.createManagedSecretGrant(msId, Principal.System(label("bl")))
        val sibling = app.mintGrant(src.grantId, label("bl-sib"), timeout = Duration.ofSeconds(10))
        assertEquals(src.credentialId, sibling.credentialId)
        val root = a.createManagedSecretGrant(msId, Principal.Agent(label("bl-a")))
        val d = a.delegate(root.grantId, agent2Id, ttlSeconds = 60)
        assertEquals(Triple(1L, false, root.grantId), Triple(d.depth, d.delegable, d.parentGrantId))
        val held = b.listGrants(status = "active", limit = 1000).grants.filterIsInstance<GrantItem.ManagedSecret>().single { it.grantId == d.grantId }
        assertEquals("ms_delegation", held.accessVia)
        val leaf = assertThrows<GrantNotDelegableException> { b.delegate(d.grantId, agentId) }
        assertEquals("holder_not_delegable", detailReason(leaf))
        b.revokeDelegation(root.grantId)
        assertFalse(b.listGrants(status = "active", limit = 1000).grants.any { it is GrantItem.ManagedSecret && it.grantId == d.grantId })
        app.revokeDelegation(root.grantId, agent2Id) // idempotent
        assertThrows<InvalidArgumentException> { app.revokeDelegation(root.grantId, "") }
    }
}
