// request() against a real grantline-server: its demo provider (the demo secret goes only there)
// and a provider stub of the test's own (ProviderStub) that records what it receives. Where the
// credential goes and where it never goes, bodies, URL rules checked before any lease, provider
// errors as typed exceptions, and the audit record written by close().
package dev.grantline

import kotlinx.coroutines.runBlocking
import org.junit.jupiter.api.Assertions.assertArrayEquals
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertFalse
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.assertThrows

class RequestTest {
    private fun occurrences(text: String, value: String) = text.windowed(value.length).count { it == value }

    @Test
    fun `the credential goes exactly once into its request, and close writes the audit record`() = runBlocking {
        ProviderStub().use { stub ->
            val app = TestServer.app()
            val s = ProviderStub.secret(app)
            val resp = app.request(
                "post", "${stub.url}/items/{id}",
                grantId = s.grantId,
                pathParams = mapOf("id" to "a b"),
                extraHeaders = mapOf("X-Trace" to "t1", "Authorization" to "Bearer not-the-credential"),
                queryParams = mapOf("q" to 1, "tag" to listOf("x", "y")),
                json = mapOf("camelKey" to mapOf("nested_key" to 1, "none" to null)),
                reason = "sync",
                context = mapOf("toolName" to "t"),
            )
            assertEquals(200, resp.status)
            assertTrue(resp.ok)
            assertEquals("{\"ok\":true,\"path\":\"/items/a%20b\"}", resp.text())
            assertArrayEquals(resp.text().encodeToByteArray(), resp.body)
            assertEquals("application/json", resp.headers["content-type"])
            assertEquals("a, b", resp.headers["x-multi"])
            assertEquals(s.grantId, resp.grantId)
            val seen = stub.seen.single()
            assertEquals(listOf("POST", "/items/a%20b", "q=1&tag=x&tag=y"), listOf(seen.method, seen.path, seen.query))
            // The lease's header wins over the caller's of the same name; the credential is
            // nowhere else in what the provider received.
            assertEquals(listOf("Bearer ${s.value}"), seen.header("authorization"))
            assertEquals(1, occurrences(seen.all(), s.value))
            assertEquals(listOf("t1"), seen.header("x-trace"))
            assertEquals(listOf("application/json"), seen.header("content-type"))
            val sent = TestServer.mapper.readTree(seen.body)
            assertEquals(TestServer.mapper.readTree("{\"camelKey\":{\"nested_key\":1,\"none\":null}}"), sent)
            assertFalse(resp.toString().contains(s.value) || app.toString().contains(s.value))
            app.close() // returns once the audit record is written
            val call = ProviderStub.calls(s.grantId).single()
            assertEquals(200, call["response_status"].asInt())
            assertEquals("POST", call["method"].asText())
            assertEquals("t", call["record"]["context"]["toolName"].asText())
            assertEquals(sent, call["record"]["request_body"])
            assertEquals("t1", call["record"]["request_headers"]["X-Trace"].asText())
            assertFalse(call.toString().contains(s.value), "$call")
            // Closed: the next call is refused, and closing again is a no-op.
            assertThrows<ClientClosedException> { runBlocking { app.request("GET", stub.url, grantId = s.grantId) } }
            app.close()
        }
    }

    @Test
    fun `a byte body, a header format and a query injection`() = runBlocking {
        ProviderStub().use { stub ->
            val app = TestServer.app()
            val s = ProviderStub.secret(app, mapOf("header" to "X-Api-Key", "format" to "{token}", "query_param" to "api_key"))
            val bytes = byteArrayOf(0, -1, 98)
            app.request("PUT", "${stub.url}/raw", grantId = s.grantId, body = bytes)
            val seen = stub.seen.single()
            assertArrayEquals(bytes, seen.body)
            assertEquals(listOf(s.value), seen.header("x-api-key"))
            assertEquals("api_key=${s.value}", seen.query)
            assertEquals(emptyList<String>(), seen.header("authorization"))
            app.close()
            assertEquals(1, ProviderStub.calls(s.grantId).size)
            assertFalse(ProviderStub.calls(s.grantId).toString().contains(s.value))
        }
    }

    @Test
    fun `a URL that is neither https nor loopback is refused before any lease`() = runBlocking {
        ProviderStub().use { stub ->
            val app = TestServer.app()
            val s = ProviderStub.secret(app)
            for (bad in listOf("http://example.com/x", "ftp://127.0.0.1/", "nope", "https://x.example/{id}")) {
                val e = assertThrows<InvalidArgumentException>(bad) { runBlocking { app.request("GET", bad, grantId = s.grantId) } }
                assertFalse(e.message!!.contains(s.value))
            }
            // Bad options: no grant, two ways to the grant, two bodies.
            val args: List<suspend () -> ProviderResponse> = listOf(
                { app.request("GET", stub.url) },
                { app.request("GET", stub.url, grantId = s.grantId, provider = "p") },
                { app.request("GET", stub.url, grantId = s.grantId, json = mapOf("a" to 1), body = byteArrayOf(1)) },
            )
            for (call in args) assertThrows<InvalidArgumentException> { runBlocking { call() } }
            app.close()
            assertEquals(0, stub.seen.size)
            assertEquals(0, ProviderStub.calls(s.grantId).size)
            // No lease either: the grant was never used.
            val uses = TestServer.audit(1000).filter { it["action"].asText() == "grant.use" && it["grant_id"]?.asText() == s.grantId }
            assertEquals(0, uses.size)
        }
    }

    @Test
    fun `provider errors are typed, scrubbed and recorded`() = runBlocking {
        ProviderStub().use { stub ->
            val app = TestServer.app()
            val s = ProviderStub.secret(app)
            val unauthorized = assertThrows<ProviderUnauthorizedException> {
                runBlocking { app.request("GET", "${stub.url}/unauthorized", grantId = s.grantId) }
            }
            assertTrue(ProviderApiException::class.isInstance(unauthorized))
            assertEquals(401, unauthorized.status)
            val failed = assertThrows<ProviderApiException> { runBlocking { app.request("GET", "${stub.url}/echo-error", grantId = s.grantId) } }
            assertFalse(failed is ProviderUnauthorizedException) // and never an ApiException: another branch of the tree
            assertEquals(500, failed.status)
            assertEquals(s.grantId, failed.grantId)
            assertEquals("bad token [REDACTED]", TestServer.mapper.readTree(failed.detailsJson)["response_body"].asText())
            assertFalse("$failed ${failed.detailsJson}".contains(s.value))
            assertThrows<ScopeReauthRequiredException> { runBlocking { app.request("GET", "${stub.url}/scope", grantId = s.grantId) } }
            app.close()
            val recorded = ProviderStub.calls(s.grantId)
            assertEquals(listOf(401, 403, 500), recorded.map { it["response_status"].asInt() }.sorted())
            assertFalse(recorded.toString().contains(s.value))
        }
    }

    @Test
    fun `the demo provider, from an App, its blocking twin and an Agent`() = runBlocking {
        val provider = TestServer.t("provider_url")
        val app = TestServer.app()
        val grant = app.createManagedSecretGrant(TestServer.managedSecretId, Principal.System(TestServer.label("demo"))).grantId
        // The demo provider answers 200 only when exactly one Authorization header carries the
        // demo credential, and echoes what it received without it.
        val resp = app.request("POST", "$provider/echo", grantId = grant, body = "hi".encodeToByteArray(),
            extraHeaders = mapOf("authorization" to "Bearer wrong"))
        assertEquals(200, resp.status)
        val echo = TestServer.mapper.readTree(resp.body)
        assertEquals("/echo", echo["path"].asText())
        assertEquals("hi", echo["body"].asText())
        val blocking = app.blocking.request("GET", "$provider/b", grantId = grant, queryParams = mapOf("n" to 2))
        assertEquals("n=2", TestServer.mapper.readTree(blocking.text())["query"].asText())
        app.blocking.close()
        assertEquals(2, ProviderStub.calls(grant).size)
        // An agent uses its own grant (and no app's: the platform's rule, a 404).
        val agent = Agent(TestServer.agentKey, baseUrl = TestServer.baseUrl)
        val own = agent.createManagedSecretGrant(TestServer.managedSecretId, Principal.Agent(TestServer.label("self"))).grantId
        assertEquals("/mine", TestServer.mapper.readTree(agent.request("GET", "$provider/mine", grantId = own).body)["path"].asText())
        assertThrows<GrantNotFoundException> { runBlocking { agent.request("GET", "$provider/x", grantId = grant) } }
        agent.close()
        assertEquals(1, ProviderStub.calls(own).size)
    }
}
