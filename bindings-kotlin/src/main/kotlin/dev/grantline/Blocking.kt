// The blocking facade, for Java and other callers without coroutines: the same methods as App
// and Agent (ContractTest checks both surfaces against tests/vectors/api.json), each running the
// suspending one on the calling thread. Java sees the optional parameters as overloads.
package dev.grantline

import kotlinx.coroutines.flow.toList
import kotlinx.coroutines.runBlocking
import java.time.Duration

/** What [BlockingApp] and [BlockingAgent] share. */
sealed class BlockingClient(private val client: Client) : AutoCloseable {
    /** The resolved base URL. */
    val baseUrl: String get() = client.baseUrl

    /** See [Client.createManagedSecretGrant]. */
    @JvmOverloads
    fun createManagedSecretGrant(
        managedSecretId: String,
        principal: Principal,
        grantPolicy: GrantPolicy? = null,
        credentialId: String? = null,
        timeout: Duration? = null,
    ): CreateGrantResult = runBlocking {
        client.createManagedSecretGrant(managedSecretId, principal, grantPolicy, credentialId, timeout)
    }

    /** See [Client.listGrants]. */
    @JvmOverloads
    fun listGrants(
        providerId: String? = null,
        status: String? = null,
        account: String? = null,
        label: String? = null,
        endUserToken: String? = null,
        limit: Int? = null,
        offset: Long? = null,
        timeout: Duration? = null,
    ): GrantPage = runBlocking {
        client.listGrants(providerId, status, account, label, endUserToken, limit, offset, timeout)
    }

    /** Every grant matching the filters, every page read (see [Client.grants]). */
    @JvmOverloads
    fun grants(
        providerId: String? = null,
        status: String? = null,
        account: String? = null,
        label: String? = null,
        endUserToken: String? = null,
        limit: Int? = null,
        offset: Long? = null,
        timeout: Duration? = null,
    ): List<GrantItem> = runBlocking {
        client.grants(providerId, status, account, label, endUserToken, limit, offset, timeout).toList()
    }

    /** See [Client.request]. */
    @JvmOverloads
    fun request(
        method: String,
        url: String,
        grantId: String? = null,
        provider: String? = null,
        account: String? = null,
        label: String? = null,
        appUserId: String? = null,
        json: Any? = null,
        body: ByteArray? = null,
        extraHeaders: Map<String, String>? = null,
        queryParams: Map<String, Any>? = null,
        pathParams: Map<String, String>? = null,
        reason: String? = null,
        context: Map<String, String>? = null,
        userToken: String? = null,
        timeout: Duration? = null,
    ): ProviderResponse = runBlocking {
        client.request(
            method, url, grantId, provider, account, label, appUserId, json, body, extraHeaders, queryParams,
            pathParams, reason, context, userToken, timeout,
        )
    }

    /** Closes the client and waits for its audit records (see [Client.close]). */
    override fun close() = client.close()

    override fun toString() = "Blocking$client"
}

/** [App] for blocking callers (`new App(key, baseUrl).getBlocking()` in Java). */
class BlockingApp internal constructor(private val app: App) : BlockingClient(app) {
    /** See [App.revokeGrant]. */
    @JvmOverloads
    fun revokeGrant(
        grantId: String,
        reason: String? = null,
        userToken: String? = null,
        timeout: Duration? = null,
    ): RevokeGrantResult = runBlocking { app.revokeGrant(grantId, reason, userToken, timeout) }

    /** See [App.mintGrant]. */
    @JvmOverloads
    fun mintGrant(
        sourceGrantId: String,
        label: String,
        grantPolicy: GrantPolicy? = null,
        grantTags: List<String>? = null,
        timeout: Duration? = null,
    ): GrantInfo = runBlocking { app.mintGrant(sourceGrantId, label, grantPolicy, grantTags, timeout) }

    /** See [App.revokeDelegation]. */
    @JvmOverloads
    fun revokeDelegation(grantId: String, agentId: String, timeout: Duration? = null): Unit =
        runBlocking { app.revokeDelegation(grantId, agentId, timeout) }

    /** See [App.withConstraints]. */
    @JvmOverloads
    fun withConstraints(scopes: List<String>? = null, rule: RequestRule? = null): BlockingApp =
        app.withConstraints(scopes, rule).blocking

    /** See [App.getAgent]. */
    fun getAgent(agentId: String): BlockingAgent = app.getAgent(agentId).blocking
}

/** [Agent] for blocking callers. */
class BlockingAgent internal constructor(private val agent: Agent) : BlockingClient(agent) {
    /** The impersonated agent id, for agents made by [BlockingApp.getAgent]. */
    val caller: String? get() = agent.caller

    /** See [Agent.delegate]. */
    @JvmOverloads
    fun delegate(
        grantId: String,
        toAgentId: String,
        delegable: Boolean? = null,
        scopeConstraint: List<String>? = null,
        ttlSeconds: Long? = null,
        timeout: Duration? = null,
    ): DelegationResult = runBlocking { agent.delegate(grantId, toAgentId, delegable, scopeConstraint, ttlSeconds, timeout) }

    /** See [Agent.revokeDelegation]. */
    @JvmOverloads
    fun revokeDelegation(grantId: String, timeout: Duration? = null): Unit =
        runBlocking { agent.revokeDelegation(grantId, timeout) }

    /** See [Agent.withConstraints]. */
    @JvmOverloads
    fun withConstraints(scopes: List<String>? = null, rule: RequestRule? = null): BlockingAgent =
        agent.withConstraints(scopes, rule).blocking
}
