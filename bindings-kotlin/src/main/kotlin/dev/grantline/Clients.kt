// `App` and `Agent`: thin wrappers over the native client. Every operation is the core's: its
// arguments go to the native library as one JSON text (the core reads them with its rules and
// names, so a bad value is an InvalidArgumentException naming the Kotlin parameter, and nothing
// is sent), results come back as the generated data classes, failures as the exception tree.
// Each method's parameters are the core's options (tests/vectors/api.json, checked by
// ContractTest); an option left null takes the core's default.
package dev.grantline

import kotlinx.coroutines.flow.Flow
import kotlinx.coroutines.flow.flow
import java.time.Duration

/** The core's operation table, by Kotlin method name. */
internal val OPERATIONS: Map<String, NativeOperation> = operations().associateBy { it.method }

/** How long [Client.close] waits for pending audit records (as Python's and Node's do). */
private val FLUSH_TIMEOUT: Duration = Duration.ofSeconds(10)

/** Supplies an end user's token (a JWT) for the calls of an [App] that take one. */
typealias UserTokenGetter = suspend () -> String

/** What [App] and [Agent] share: the operations both have, settings, closing, display. */
sealed class Client(
    internal val handle: NativeClient,
    internal val userTokenGetter: UserTokenGetter?,
) : AutoCloseable {
    /** The resolved base URL. */
    val baseUrl: String get() = handle.baseUrl()

    /** The actor id the server returned, once it has. */
    val actorId: String? get() = handle.actorId()

    /** `args` with the end-user token the app's getter supplies, where `method` takes one. */
    private suspend fun withUserToken(method: String, args: Map<String, Any?>): Map<String, Any?> {
        val option = OPERATIONS[method]?.userTokenOption ?: return args
        val getter = userTokenGetter ?: return args
        if (args[option] != null) return args
        val token = try {
            getter()
        } catch (e: kotlinx.coroutines.CancellationException) {
            throw e
        } catch (e: Exception) {
            throw InvalidArgumentException("userTokenGetter failed: ${e.message}", null, e)
        }
        if (token.isEmpty()) throw InvalidArgumentException("userTokenGetter must return a non-empty string")
        return args + (option to token)
    }

    /** Runs the core operation behind `method` with `args` (Kotlin names). */
    internal suspend fun operation(method: String, args: Map<String, Any?>): NativeOutcome {
        val op = OPERATIONS[method] ?: throw InvalidArgumentException("no such operation: $method")
        val json = Json.write(withUserToken(method, args))
        return native { handle.call(op.name, json) }
    }

    /**
     * Issues a grant on a managed secret to [principal] (an [Agent]: only to itself, with
     * [Principal.Agent]). Never retried once the server may have acted on it.
     *
     * @param grantPolicy bounds on the grant's lifetime (default: none beyond the app's ceiling)
     * @param credentialId the credential to bind; may be omitted while the secret has one
     *   developer credential
     * @param timeout this call's timeout (default: the client's)
     */
    suspend fun createManagedSecretGrant(
        managedSecretId: String,
        principal: Principal,
        grantPolicy: GrantPolicy? = null,
        credentialId: String? = null,
        timeout: Duration? = null,
    ): CreateGrantResult {
        val args = mapOf(
            "managedSecretId" to managedSecretId,
            "principal" to principal,
            "grantPolicy" to grantPolicy,
            "credentialId" to credentialId,
            "timeout" to timeout,
        )
        return (operation("createManagedSecretGrant", args) as NativeOutcome.Created).result
    }

    /**
     * One page of the grants this client can see: an app, every grant of the app (or, with an
     * end-user token, that user's and their groups'); an agent, its own. Filters are AND-ed.
     *
     * @param providerId OAuth provider id (e.g. `google`) or managed-secret slug
     * @param status `active`, `expired` or `revoked`
     * @param endUserToken an end user's JWT: only that user's grants (a secret)
     * @param limit page size, 1–1000 (default 100)
     * @param offset offset of the first grant (default 0)
     * @param timeout this call's timeout (default: the client's)
     */
    suspend fun listGrants(
        providerId: String? = null,
        status: String? = null,
        account: String? = null,
        label: String? = null,
        endUserToken: String? = null,
        limit: Int? = null,
        offset: Long? = null,
        timeout: Duration? = null,
    ): GrantPage {
        val args = mapOf(
            "providerId" to providerId,
            "status" to status,
            "account" to account,
            "label" to label,
            "endUserToken" to endUserToken,
            "limit" to limit,
            "offset" to offset,
            "timeout" to timeout,
        )
        return (operation("listGrants", args) as NativeOutcome.Page).page
    }

    /**
     * Every grant matching the filters, page after page, as a cold [Flow] (each collection walks
     * the pages again; `limit` is the page size). Same parameters as [listGrants].
     */
    fun grants(
        providerId: String? = null,
        status: String? = null,
        account: String? = null,
        label: String? = null,
        endUserToken: String? = null,
        limit: Int? = null,
        offset: Long? = null,
        timeout: Duration? = null,
    ): Flow<GrantItem> = flow {
        val args = withUserToken(
            "listGrants",
            mapOf(
                "providerId" to providerId,
                "status" to status,
                "account" to account,
                "label" to label,
                "endUserToken" to endUserToken,
                "limit" to limit,
                "offset" to offset,
                "timeout" to timeout,
            ),
        )
        val json = Json.write(args)
        native { handle.grants(json) }.use { cursor ->
            while (true) {
                val items = native { cursor.nextPage() }
                if (items.isEmpty()) break
                for (item in items) emit(item)
            }
        }
    }

    /** The native client of a constrained copy of this one (see [App.withConstraints]). */
    internal fun constrained(scopes: List<String>?, rule: RequestRule?): NativeClient {
        val json = Json.write(mapOf("scopes" to scopes, "rule" to rule))
        return native { handle.withConstraints(json) }
    }

    /**
     * Calls a provider's API with a grant's credential injected, and has the call recorded
     * (docs/request.md). The grant is [grantId], or found by [provider] (narrowed by [account],
     * [label], [appUserId]). The URL must be `https`, or plain `http` to a loopback host: any
     * other is refused with [InvalidArgumentException] before anything is sent. The provider call
     * is never retried and a redirect is returned, not followed. A provider status ≥ 400 throws
     * [ProviderUnauthorizedException] (401), [ScopeReauthRequiredException] (403, missing
     * scopes) or [ProviderApiException] (its `status`; its `detailsJson` holds `response_body`,
     * the credential scrubbed). The audit record is written in the background: [close] waits
     * for it.
     *
     * @param method the HTTP method (any case)
     * @param url absolute URL; `{name}` placeholders are filled from [pathParams]
     * @param json a JSON body (maps, lists, strings, numbers, booleans, nulls), sent as
     *   `application/json`; not with [body]
     * @param body a raw body; not with [json]
     * @param extraHeaders headers besides the injected one (one with the credential's name is
     *   dropped)
     * @param queryParams query parameters to add (a list value repeats the parameter)
     * @param pathParams values for the URL's `{name}` placeholders (percent-encoded)
     * @param reason why, recorded with the lease and the audit record
     * @param context free-form audit context
     * @param userToken the end user's token for a user or group grant (a secret); an app's
     *   `userTokenGetter` supplies it when null
     * @param timeout the lease's and the provider call's timeout each (default: the client's)
     */
    suspend fun request(
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
    ): ProviderResponse {
        val args = mapOf(
            "method" to method,
            "url" to url,
            "grantId" to grantId,
            "provider" to provider,
            "account" to account,
            "label" to label,
            "appUserId" to appUserId,
            "json" to json?.let(::CallerJson),
            "body" to body,
            "extraHeaders" to extraHeaders,
            "queryParams" to queryParams,
            "pathParams" to pathParams,
            "reason" to reason,
            "context" to context,
            "userToken" to userToken,
            "timeout" to timeout,
        )
        return ProviderResponse.of((operation("request", args) as NativeOutcome.Responded).response)
    }

    /**
     * Closes the client: every later call throws [ClientClosedException]. Idempotent. Then
     * waits (blocking the calling thread, at most 10 s) until the audit records of earlier
     * [request] calls are written; returns at once when none is pending.
     */
    override fun close() {
        handle.closeClient()
        if (handle.pendingBackground() > 0uL) handle.flush(FLUSH_TIMEOUT)
    }

    protected fun describe(extra: String = "") =
        "${this::class.simpleName}(baseUrl=$baseUrl$extra, apiKey=<redacted>)"

    override fun toString() = describe()
}

/** The settings of a client as the native library reads them (names as in api.json). */
private fun settings(
    apiKey: String,
    baseUrl: String?,
    timeout: Duration?,
    maxRetries: Int?,
    caller: String?,
    callerType: String?,
) = Json.write(
    mapOf(
        "apiKey" to apiKey,
        "baseUrl" to baseUrl,
        "timeout" to timeout,
        "maxRetries" to maxRetries,
        "caller" to caller,
        "callerType" to callerType,
    ),
)

/**
 * The operator client: issues, lists and revokes grants for an app. No I/O happens until the
 * first call; bad settings throw [InvalidArgumentException] here.
 *
 * @param apiKey the app key (`alter_rk_…`), a secret never shown
 * @param baseUrl the backend URL (default: `ALTER_BASE_URL`, else Alter's); `https` required
 *   except for loopback hosts
 * @param timeout per-request timeout (default 30 s); a call's own `timeout` wins
 * @param maxRetries retries after the first attempt (default 2; 0 disables them)
 * @param caller the caller sent as `X-Alter-Caller` (1–255 printable ASCII characters)
 * @param callerType `service` (default) or `agent`; sent only with a caller
 * @param userTokenGetter supplies the end user's token for the calls that take one
 *   ([listGrants], [revokeGrant], [request]) when the call names none
 */
class App private constructor(handle: NativeClient, getter: UserTokenGetter?) : Client(handle, getter) {
    @JvmOverloads
    constructor(
        apiKey: String,
        baseUrl: String? = null,
        timeout: Duration? = null,
        maxRetries: Int? = null,
        caller: String? = null,
        callerType: String? = null,
        userTokenGetter: UserTokenGetter? = null,
    ) : this(
        native { NativeClient.app(settings(apiKey, baseUrl, timeout, maxRetries, caller, callerType)) },
        userTokenGetter,
    )

    /**
     * Revokes a grant of either kind; with [userToken] (or the app's `userTokenGetter`), as that
     * end user, who may revoke only their own grants.
     *
     * @param grantId a canonical UUID (any case)
     * @param reason recorded in the audit log
     * @param userToken an end user's JWT (a secret)
     * @param timeout this call's timeout (default: the client's)
     */
    suspend fun revokeGrant(
        grantId: String,
        reason: String? = null,
        userToken: String? = null,
        timeout: Duration? = null,
    ): RevokeGrantResult {
        val args = mapOf("grantId" to grantId, "reason" to reason, "userToken" to userToken, "timeout" to timeout)
        return (operation("revokeGrant", args) as NativeOutcome.Revoked).result
    }

    /**
     * Mints a sibling grant on the source grant's credential: the same principal, its own
     * [label] (unique among the credential's active grants) and policy. Delegations are not
     * copied.
     *
     * @param sourceGrantId a canonical UUID (any case)
     * @param label the sibling's label, 1–255 characters
     * @param grantPolicy the sibling's bounds (`expiresAt`, `maxTtlSeconds`; no
     *   `defaultTtlSeconds`)
     * @param grantTags tags stored on the sibling (1–255 characters each)
     * @param timeout this call's timeout (default: the client's)
     */
    suspend fun mintGrant(
        sourceGrantId: String,
        label: String,
        grantPolicy: GrantPolicy? = null,
        grantTags: List<String>? = null,
        timeout: Duration? = null,
    ): GrantInfo {
        val args = mapOf(
            "sourceGrantId" to sourceGrantId,
            "label" to label,
            "grantPolicy" to grantPolicy,
            "grantTags" to grantTags,
            "timeout" to timeout,
        )
        return (operation("mintGrant", args) as NativeOutcome.Minted).result
    }

    /**
     * Revokes agent [agentId]'s delegation of [grantId] and every delegation below it; the
     * grant itself stays. Idempotent.
     *
     * @param grantId a canonical UUID (any case)
     * @param agentId the agent whose delegation to revoke (a UUID)
     * @param timeout this call's timeout (default: the client's)
     */
    suspend fun revokeDelegation(grantId: String, agentId: String, timeout: Duration? = null) {
        val args = mapOf("grantId" to grantId, "agentId" to agentId, "timeout" to timeout)
        check(operation("revokeDelegation", args) is NativeOutcome.DelegationRevoked)
    }

    /**
     * An app sharing this one's connections (and `userTokenGetter`) whose every call carries
     * these constraints inside the signature: [scopes] to narrow to, and/or a one-off [rule].
     * At least one is required. Attenuation only narrows: call it on the original client, never
     * on a constrained one (that throws [InvalidArgumentException]). Closing either closes both.
     *
     * @param scopes scope strings (printable ASCII, no spaces or commas), never `*`
     * @param rule a deny rule the platform evaluates on every call
     */
    @JvmOverloads
    fun withConstraints(scopes: List<String>? = null, rule: RequestRule? = null): App =
        App(constrained(scopes, rule), userTokenGetter)

    /** An [Agent] acting as the managed agent [agentId] through this app's key. */
    fun getAgent(agentId: String): Agent = Agent(native { handle.getAgent(agentId) })

    /** This client for Java and other blocking callers: every call waits on the calling thread. */
    val blocking: BlockingApp get() = BlockingApp(this)
}

/**
 * The workload client: an agent lists its grants, issues grants for itself and delegates the
 * grants it holds to other agents of its app.
 *
 * @param apiKey the agent key (`alter_ak_…`), a secret never shown
 * @see App for the other settings (an agent's caller type is always `agent`)
 */
class Agent internal constructor(handle: NativeClient) : Client(handle, null) {
    @JvmOverloads
    constructor(
        apiKey: String,
        baseUrl: String? = null,
        timeout: Duration? = null,
        maxRetries: Int? = null,
        caller: String? = null,
    ) : this(native { NativeClient.agent(settings(apiKey, baseUrl, timeout, maxRetries, caller, null)) })

    /** The impersonated agent id, for agents made by [App.getAgent]. */
    val caller: String? get() = handle.caller()

    /**
     * Hands a grant this agent holds to another agent of the same app, one level deeper. The
     * child never outlives the grant ([ttlSeconds] only shortens) nor outranks it
     * ([scopeConstraint] only narrows).
     *
     * @param grantId the grant to delegate, a canonical UUID (any case)
     * @param toAgentId the receiving agent (a UUID)
     * @param delegable whether the child may delegate onward (default: a new child may not)
     * @param scopeConstraint 1–100 provider scopes to narrow the child to (never `*`)
     * @param ttlSeconds the child's lifetime in seconds (> 0; never past the parent's)
     * @param timeout this call's timeout (default: the client's)
     */
    suspend fun delegate(
        grantId: String,
        toAgentId: String,
        delegable: Boolean? = null,
        scopeConstraint: List<String>? = null,
        ttlSeconds: Long? = null,
        timeout: Duration? = null,
    ): DelegationResult {
        val args = mapOf(
            "grantId" to grantId,
            "toAgentId" to toAgentId,
            "delegable" to delegable,
            "scopeConstraint" to scopeConstraint,
            "ttlSeconds" to ttlSeconds,
            "timeout" to timeout,
        )
        return (operation("delegate", args) as NativeOutcome.Delegated).result
    }

    /**
     * Revokes this agent's own delegation of [grantId] and every delegation below it.
     * Idempotent.
     *
     * @param grantId a canonical UUID (any case)
     * @param timeout this call's timeout (default: the client's)
     */
    suspend fun revokeDelegation(grantId: String, timeout: Duration? = null) {
        val args = mapOf("grantId" to grantId, "timeout" to timeout)
        check(operation("revokeDelegation", args) is NativeOutcome.DelegationRevoked)
    }

    /** See [App.withConstraints]; the copy keeps this agent's [caller]. */
    @JvmOverloads
    fun withConstraints(scopes: List<String>? = null, rule: RequestRule? = null): Agent =
        Agent(constrained(scopes, rule))

    /** This client for Java and other blocking callers: every call waits on the calling thread. */
    val blocking: BlockingAgent get() = BlockingAgent(this)

    override fun toString() = describe(caller?.let { ", caller=$it" } ?: "")
}

