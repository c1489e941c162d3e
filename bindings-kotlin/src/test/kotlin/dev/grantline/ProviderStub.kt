// A provider of the test's own for request(): a small HTTP server on 127.0.0.1 that records every
// request as it arrived (method, raw path, raw query, headers in order, body bytes) and answers
// by path — /unauthorized 401, /scope 403 naming missing scopes, /echo-error 500 echoing the
// Authorization header, anything else 200 with a small JSON document. Nothing of grantline is
// simulated: the lease, the injection and the audit record are grantline-server's and the core's.
package dev.grantline

import com.sun.net.httpserver.HttpServer
import java.net.InetAddress
import java.net.InetSocketAddress
import java.util.UUID
import java.util.concurrent.CopyOnWriteArrayList

class ProviderStub : AutoCloseable {
    /** One request as received; [headers] as (name in lower case, value) pairs, in order. */
    class Seen(val method: String, val path: String, val query: String?, val headers: List<Pair<String, String>>, val body: ByteArray) {
        fun header(name: String) = headers.filter { it.first == name.lowercase() }.map { it.second }

        /** Everything received, as text (to count occurrences of a credential). */
        fun all(): String = "$method $path?$query\n${headers.joinToString("\n")}\n${body.decodeToString()}"
    }

    private val server = HttpServer.create(InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0)
    val seen = CopyOnWriteArrayList<Seen>()

    init {
        server.createContext("/") { ex ->
            ex.use {
                val headers = ex.requestHeaders.entries.flatMap { (k, vs) -> vs.map { k.lowercase() to it } }
                val s = Seen(ex.requestMethod, ex.requestURI.rawPath, ex.requestURI.rawQuery, headers, ex.requestBody.readBytes())
                seen += s
                val (status, body) = when (s.path) {
                    "/unauthorized" -> 401 to "no"
                    "/scope" -> {
                        ex.responseHeaders.add("www-authenticate", "Bearer error=\"insufficient_scope\", scope=\"repo admin\"")
                        403 to "scopes"
                    }
                    "/echo-error" -> 500 to "bad token ${s.header("authorization").joinToString()}"
                    else -> {
                        ex.responseHeaders.add("content-type", "application/json")
                        ex.responseHeaders.add("x-multi", "a")
                        ex.responseHeaders.add("x-multi", "b")
                        200 to "{\"ok\":true,\"path\":\"${s.path}\"}"
                    }
                }
                val bytes = body.encodeToByteArray()
                ex.sendResponseHeaders(status, bytes.size.toLong())
                ex.responseBody.write(bytes)
            }
        }
        server.start()
    }

    val url: String get() = "http://127.0.0.1:${server.address.port}"

    override fun close() = server.stop(0)

    /** A managed secret of the demo app with a known credential value. */
    class Secret(val value: String, val managedSecretId: String, val grantId: String)

    companion object {
        /**
         * A new managed secret with the credential [Secret.value] injected as [injection] says
         * (default `Authorization: Bearer {token}`), and a system grant on it issued by [app].
         */
        suspend fun secret(app: App, injection: Map<String, Any?> = emptyMap()): Secret {
            val appId = TestServer.t("app_id")
            val value = "cred-${UUID.randomUUID()}"
            val ms = TestServer.admin("POST", "/admin/apps/$appId/managed-secrets", mapOf("slug" to TestServer.label("s"), "name" to "S"))!!["managed_secret_id"].asText()
            TestServer.admin("POST", "/admin/apps/$appId/managed-secrets/$ms/credentials", mapOf("label" to "k", "kind" to "developer", "value" to value))
            TestServer.admin("PUT", "/admin/apps/$appId/managed-secrets/$ms/injection", mapOf("header" to "Authorization", "format" to "Bearer {token}") + injection)
            val grant = app.createManagedSecretGrant(ms, Principal.System(TestServer.label("r"))).grantId
            return Secret(value, ms, grant)
        }

        /** The audit records of provider calls (admin `api-calls`) made with [grantId]. */
        fun calls(grantId: String) =
            TestServer.admin("GET", "/admin/apps/${TestServer.t("app_id")}/api-calls?limit=1000")!!["records"]
                .filter { it["grant_id"].asText() == grantId }
    }
}
