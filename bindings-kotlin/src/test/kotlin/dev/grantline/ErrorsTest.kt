// Every class of the error tree raised through the Kotlin surface (API classes from the server's
// answers, the others from local checks, the network, timeouts, bad bodies and closing), the
// shared error-classification vectors, and bad inputs: a typed exception, and nothing sent.
package dev.grantline

import dev.grantline.TestServer.label
import kotlinx.coroutines.runBlocking
import org.junit.jupiter.api.AfterEach
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.assertThrows
import java.net.ServerSocket
import java.time.Duration
import java.time.Instant

class ErrorsTest {
    private val msId = TestServer.managedSecretId

    @AfterEach
    fun clear() = TestServer.clearFaults()

    private fun caught(block: suspend () -> Unit): GrantlineException =
        assertThrows<GrantlineException> { runBlocking { block() } }

    private fun kotlinName(core: String) = core.removeSuffix("Error") + "Exception"

    /**
     * Whether [message] names [field]. Fields the core reads are named as Kotlin writes them
     * (camelCase); the checks the core runs after reading (`credential_id`, `grant_id`,
     * `agent_id`) still name the core's snake_case field, so either spelling counts here.
     */
    private fun names(message: String, field: String) =
        message.contains(field, ignoreCase = true) ||
            message.contains(field.replace(Regex("([a-z])([A-Z])"), "$1_$2").lowercase())

    @Test
    fun `every class of the tree is raised`() {
        val app = TestServer.app()
        val raised = mutableSetOf<String>()
        // The server's answers: each (status, code) the tree lists, injected as the next answer.
        for (cls in TestServer.vector("error_tree.json")["classes"]) {
            for (wire in cls["wire"]) {
                val status = if (wire["status"].isTextual) 503 else wire["status"].asInt()
                val body = mutableMapOf<String, Any?>("message" to "injected")
                if (!wire["code"].isNull) body["error"] = wire["code"].asText()
                TestServer.fault(mapOf("path_prefix" to "/sdk/grants/list", "status" to status, "body" to TestServer.mapper.writeValueAsString(body)))
                val e = caught { app.listGrants() }
                assertEquals(kotlinName(cls["class"].asText()), e::class.simpleName, "$wire")
                assertEquals(status, e.status)
                assertEquals("injected", e.message)
                raised += cls["class"].asText()
            }
        }
        // Any other error status: the ApiException itself.
        TestServer.fault(mapOf("path_prefix" to "/sdk/grants/list", "status" to 405, "body" to "{\"message\":\"no\"}"))
        caught { app.listGrants() }.also { assertEquals("ApiException", it::class.simpleName); assertEquals(405, it.status); raised += "ApiError" }
        // A 404 with no code on a grant, from the server's own rules.
        caught { app.revokeGrant("9b1deb4d-3b7d-4bad-9bdd-2b0d7b3dcb6d") }.let {
            assertTrue(it is GrantNotFoundException, "$it")
        }
        // Local checks, the network, a timeout, a malformed success body, a closed client.
        caught { app.listGrants(limit = 0) }.also { assertTrue(it is InvalidArgumentException); raised += "InvalidArgumentError" }
        val closedPort = ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress()).use { it.localPort }
        caught { App(TestServer.appKey, baseUrl = "http://127.0.0.1:$closedPort", maxRetries = 0).listGrants() }
            .also { assertEquals("NetworkException", it::class.simpleName); raised += "NetworkError" }
        TestServer.fault(mapOf("path_prefix" to "/sdk/grants/list", "status" to 0, "delay_ms" to 1000))
        caught { app.listGrants(timeout = Duration.ofMillis(100)) }
            .also { assertTrue(it is RequestTimeoutException && NetworkException::class.isInstance(it)); raised += "RequestTimeoutError" }
        TestServer.fault(mapOf("path_prefix" to "/sdk/grants/list", "status" to 200, "body" to "{\"grants\": 5}"))
        caught { app.listGrants() }
            .also { assertTrue(it is ResponseValidationException); assertEquals(200, it.status); raised += "ResponseValidationError" }
        // The provider's refusals, which only request() raises (RequestTest checks their fields).
        ProviderStub().use { stub ->
            val grant = runBlocking { ProviderStub.secret(app) }.grantId
            for ((path, cls) in listOf("/echo-error" to "ProviderApiError", "/unauthorized" to "ProviderUnauthorizedError", "/scope" to "ScopeReauthRequiredError")) {
                caught { app.request("GET", stub.url + path, grantId = grant) }
                    .also { assertEquals(kotlinName(cls), it::class.simpleName, path); raised += cls }
            }
        }
        app.close()
        caught { app.listGrants() }.also { assertTrue(it is ClientClosedException); raised += "ClientClosedError" }
        val tree = TestServer.vector("error_tree.json")["classes"].map { it["class"].asText() }.toSet()
        // The root and NotFoundError (reserved: a 404 is a grant or an agent not found) are
        // only ever caught, never raised as such.
        assertEquals(tree - setOf("GrantlineError", "NotFoundError"), raised)
    }

    @Test
    fun `the error classification vectors`() {
        val app = TestServer.app()
        var replayed = 0
        for (c in TestServer.vector("errors.json")["cases"]) {
            val headers = c["headers"]
            if (headers.has("x-request-id")) continue // the fault injector sets no X-Request-ID
            val spec = mutableMapOf<String, Any?>(
                "path_prefix" to "/sdk/grants/list", "status" to c["status"].asInt(), "body" to c["body"].asText(),
            )
            if (headers.has("retry-after")) spec["retry_after"] = headers["retry-after"].asText()
            TestServer.fault(spec)
            val e = caught { app.listGrants() }
            val exp = c["expected"]
            val name = c["name"].asText()
            assertEquals(kotlinName(exp["kind"].asText()), e::class.simpleName, name)
            assertEquals(c["status"].asInt(), e.status, name)
            assertEquals(exp["code"].textValue(), e.code, name)
            assertEquals(exp["message"].asText(), e.message, name)
            assertEquals(exp["retry_after_seconds"].let { if (it == null || it.isNull) null else Duration.ofSeconds(it.asLong()) }, e.retryAfter, name)
            assertEquals(exp["label"]?.textValue(), e.label, name)
            assertEquals(exp["grant_id"]?.textValue(), e.grantId, name)
            assertEquals(
                exp["credentials"]?.map { CredentialChoice(it["credential_id"].asText(), it["label"].asText()) } ?: emptyList<CredentialChoice>(),
                e.credentials, name,
            )
            assertEquals(c["status"].asInt(), TestServer.mapper.readTree(e.detailsJson)["status_code"].asInt(), name)
            replayed++
        }
        assertTrue(replayed >= 10, "replayed $replayed cases")
    }

    @Test
    fun `a real conflict carries its label`() = runBlocking {
        val app = TestServer.app()
        val l = label("dup")
        app.createManagedSecretGrant(msId, Principal.System(l))
        val e = assertThrows<SiblingLabelConflictException> {
            runBlocking { app.createManagedSecretGrant(msId, Principal.System(l)) }
        }
        assertTrue(ConflictException::class.isInstance(e) && ApiException::class.isInstance(e))
        assertEquals(409, e.status)
        assertEquals("sibling_label_conflict", e.code)
    }

    @Test
    fun `bad input is a typed exception and sends nothing`() {
        val app = TestServer.app()
        // Armed for the next /sdk request: if a bad call sent anything, it would consume this
        // fault and the good call at the end would not see it.
        TestServer.fault(mapOf("path_prefix" to "/sdk", "status" to 503, "body" to "{\"message\":\"armed\"}"))
        val bad: List<Pair<String, suspend () -> Unit>> = listOf(
            "" to { app.createManagedSecretGrant("", Principal.System()) },
            "userToken" to { app.createManagedSecretGrant(msId, Principal.User("", "l")) },
            "label" to { app.createManagedSecretGrant(msId, Principal.User("t", "")) },
            "label" to { app.createManagedSecretGrant(msId, Principal.System("x".repeat(256))) },
            "externalGroupId" to { app.createManagedSecretGrant(msId, Principal.Group("", "idp", "l")) },
            "grantPolicy.maxTtlSeconds" to { app.createManagedSecretGrant(msId, Principal.System(), GrantPolicy(maxTtlSeconds = 0)) },
            "defaultTtlSeconds" to { app.createManagedSecretGrant(msId, Principal.System(), GrantPolicy(maxTtlSeconds = 5, defaultTtlSeconds = 10)) },
            "credentialId" to { app.createManagedSecretGrant(msId, Principal.System(), credentialId = "") },
            "limit" to { app.listGrants(limit = 0) },
            "limit" to { app.listGrants(limit = 1001) },
            "offset" to { app.listGrants(offset = -1) },
            "milliseconds" to { app.listGrants(timeout = Duration.ZERO) },
            "milliseconds" to { app.listGrants(timeout = Duration.ofSeconds(-1)) },
            "milliseconds" to { app.listGrants(timeout = Duration.ofDays(2)) },
            "grantId" to { app.revokeGrant("not-a-uuid") },
            "grantId" to { app.revokeGrant("9b1deb4d3b7d4bad9bdd2b0d7b3dcb6d") },
            "agent" to { Agent(TestServer.agentKey, baseUrl = TestServer.baseUrl).createManagedSecretGrant(msId, Principal.System()) },
        )
        for ((mention, call) in bad) {
            val e = caught(call)
            assertTrue(e is InvalidArgumentException, "$mention: $e")
            assertTrue(names(e.message!!, mention), "expected ${e.message} to name $mention")
        }
        for ((mention, make) in listOf<Pair<String, () -> Unit>>(
            "apiKey" to { App("nope", baseUrl = TestServer.baseUrl) },
            "https" to { App(TestServer.appKey, baseUrl = "http://example.com") },
            "maxRetries" to { App(TestServer.appKey, baseUrl = TestServer.baseUrl, maxRetries = -1) },
            "caller" to { App(TestServer.appKey, baseUrl = TestServer.baseUrl, caller = "") },
            "callerType" to { App(TestServer.appKey, baseUrl = TestServer.baseUrl, callerType = "robot") },
            "milliseconds" to { App(TestServer.appKey, baseUrl = TestServer.baseUrl, timeout = Duration.ZERO) },
            "agentId" to { app.getAgent("") },
        )) {
            val e = assertThrows<InvalidArgumentException> { make() }
            assertTrue(names(e.message!!, mention), "expected ${e.message} to name $mention")
        }
        // A policy in the past is the server's to refuse: it is sent, and consumes the fault.
        val armed = caught { app.listGrants() }
        assertTrue(armed is ServerException && armed.message == "armed", "$armed")
        assertTrue(caught { app.createManagedSecretGrant(msId, Principal.System(label("past")), GrantPolicy(expiresAt = Instant.EPOCH)) } is ApiException)
    }

    @Test
    fun `a panic in the native library is a GrantlineException and the JVM goes on`() {
        val e = assertThrows<GrantlineException> { runBlocking { native { panicForTests("boom") } } }
        assertTrue(e.message!!.contains("boom"))
        runBlocking { native { panicForTests("") } }
    }
}
