// grantline quickstart (Kotlin): issue grants on a managed secret to a user, a group, the system
// and an agent, list them, walk every page, revoke one; mint a sibling grant; delegate the
// agent's grant to a second agent, which lists it and then loses it. `make demo`
// (scripts/demo.sh) runs it against a local `grantline-server dev`, which exports the ALTER_*
// variables used below.
package dev.grantline.examples

import dev.grantline.Agent
import dev.grantline.App
import dev.grantline.GrantItem
import dev.grantline.GrantPolicy
import dev.grantline.Principal
import dev.grantline.SiblingLabelConflictException
import kotlinx.coroutines.flow.count
import kotlinx.coroutines.runBlocking
import java.time.Instant
import java.time.temporal.ChronoUnit

private fun env(name: String): String =
    System.getenv(name)?.takeIf { it.isNotEmpty() } ?: error("set $name (scripts/demo.sh does)")

fun main() = runBlocking {
    App(env("ALTER_APP_KEY"), baseUrl = env("ALTER_BASE_URL")).use { app ->
        val secret = env("ALTER_MANAGED_SECRET_ID")
        val run = java.lang.Long.toString(System.currentTimeMillis(), 36)
        println("client: $app") // the key is never shown

        val issued = listOf(
            app.createManagedSecretGrant(
                secret,
                Principal.User(env("ALTER_USER_TOKEN"), "alice-laptop-$run"),
                grantPolicy = GrantPolicy(maxTtlSeconds = 3600, defaultTtlSeconds = 900),
            ),
            app.createManagedSecretGrant(secret, Principal.Group(env("ALTER_GROUP_ID"), env("ALTER_IDP_ID"), "eng-$run")),
            app.createManagedSecretGrant(
                secret,
                Principal.System("nightly-sync-$run"),
                grantPolicy = GrantPolicy(expiresAt = Instant.now().plus(1, ChronoUnit.DAYS)),
            ),
            // An agent issues a grant for itself, here through the app's key.
            app.getAgent(env("ALTER_AGENT_ID")).createManagedSecretGrant(secret, Principal.Agent("agent-$run")),
        )
        // The agent uses its grant: the credential is leased, injected, and the call recorded
        // (the record is written by the time `use {}` has closed the client).
        val resp = app.getAgent(env("ALTER_AGENT_ID"))
            .request("GET", "${env("ALTER_PROVIDER_URL")}/v1/whoami", grantId = issued.last().grantId, reason = "quickstart")
        println("the agent called the demo provider: ${resp.status} (${resp.body.size} bytes, ${resp.headers["content-type"]})")
        for (g in issued) {
            println("issued  ${g.principalType.padEnd(6)} ${g.grantId} label=${g.label ?: "-"} created=${g.createdAt}")
        }

        try {
            app.createManagedSecretGrant(secret, Principal.System("nightly-sync-$run"))
        } catch (e: SiblingLabelConflictException) {
            println("refused a second grant with the same label: ${e::class.simpleName} (HTTP ${e.status}, ${e.code})")
        }

        val page = app.listGrants(status = "active", limit = 10)
        println("listed ${page.grants.size} of ${page.total} active grants (hasMore=${page.hasMore}):")
        for (g in page.grants) {
            when (g) {
                is GrantItem.ManagedSecret ->
                    println("  managed_secret ${g.grantId} ${g.principalType.padEnd(6)} ${g.managedSecretSlug} label=${g.label ?: "-"}")
                is GrantItem.OAuth -> println("  oauth          ${g.grantId} ${g.providerId} scopes=${g.scopes.joinToString(",")}")
                is GrantItem.Unknown -> println("  (unknown kind ${g.rawGrantKind})")
            }
        }

        println("grants() walked ${app.grants(limit = 2).count()} grants page by page")

        val revoked = app.revokeGrant(issued[2].grantId, reason = "quickstart cleanup")
        println("revoked ${revoked.grantId} at ${revoked.revokedAt}: ${revoked.message}")

        // A sibling of the user's grant: the same credential and user, its own label and policy.
        val sibling = app.mintGrant(issued[0].grantId, "alice-ci-$run", GrantPolicy(maxTtlSeconds = 600))
        println("minted sibling ${sibling.grantId} label=${sibling.label} credential=${sibling.credentialId}")

        // The agent hands its grant to a second agent, which lists it, then loses it.
        val own = issued.last()
        val secondId = env("ALTER_AGENT2_ID")
        Agent(env("ALTER_AGENT_KEY"), baseUrl = env("ALTER_BASE_URL")).use { first ->
            Agent(env("ALTER_AGENT2_KEY"), baseUrl = env("ALTER_BASE_URL")).use { second ->
                val delegation = first.delegate(own.grantId, secondId, ttlSeconds = 600)
                println("delegated ${own.grantId} to the second agent: ${delegation.grantId} (depth ${delegation.depth})")
                suspend fun held() = second.listGrants().grants
                    .filterIsInstance<GrantItem.ManagedSecret>().single { it.grantId == delegation.grantId }
                val item = held()
                println("  the second agent lists it: ${item.accessVia}, parent ${item.parentGrantId}, ${item.status}")
                app.revokeDelegation(own.grantId, secondId)
                println("  after the app revoked the delegation: ${held().status}")
            }
        }
    }
}
