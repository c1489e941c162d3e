// A small HTTP server of the test's own, on 127.0.0.1, for the calls grantline-server has no
// endpoint for yet (mintGrant, delegate, revokeDelegation): it records every request as it
// arrived (method, path, headers, body) and answers each with the status and body the test set.
// Nothing about the protocol is simulated here; the test checks what the core sent.
package dev.grantline

import com.fasterxml.jackson.databind.JsonNode
import com.sun.net.httpserver.HttpServer
import java.net.InetAddress
import java.net.InetSocketAddress
import java.util.concurrent.CopyOnWriteArrayList

class LocalServer : AutoCloseable {
    /** One request as received; header names in lower case. */
    data class Request(val method: String, val path: String, val headers: Map<String, String>, val body: String) {
        fun json(): JsonNode = TestServer.mapper.readTree(body)
    }

    private val server = HttpServer.create(InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0)
    val requests = CopyOnWriteArrayList<Request>()

    @Volatile private var status = 200

    @Volatile private var body = ""

    init {
        server.createContext("/") { ex ->
            ex.use {
                requests += Request(
                    ex.requestMethod,
                    ex.requestURI.rawPath,
                    ex.requestHeaders.entries.associate { (k, v) -> k.lowercase() to v.joinToString(",") },
                    ex.requestBody.readBytes().decodeToString(),
                )
                val bytes = body.encodeToByteArray()
                ex.responseHeaders.add("content-type", "application/json")
                ex.sendResponseHeaders(status, if (bytes.isEmpty()) -1 else bytes.size.toLong())
                if (bytes.isNotEmpty()) ex.responseBody.write(bytes)
            }
        }
        server.start()
    }

    val baseUrl: String get() = "http://127.0.0.1:${server.address.port}"

    /** Every later request is answered [status] with [body] (JSON text; empty: no body). */
    fun answer(status: Int, body: Any? = null): LocalServer {
        this.body = when (body) {
            null -> ""
            is String -> body
            else -> TestServer.mapper.writeValueAsString(body)
        }
        this.status = status
        return this
    }

    /** The one request received since the last call, which it forgets. */
    fun single(): Request {
        val one = requests.single()
        requests.clear()
        return one
    }

    fun app(getter: UserTokenGetter? = null) =
        App(TestServer.appKey, baseUrl = baseUrl, maxRetries = 0, userTokenGetter = getter)

    fun agent() = Agent(TestServer.agentKey, baseUrl = baseUrl, maxRetries = 0)

    override fun close() = server.stop(0)
}
