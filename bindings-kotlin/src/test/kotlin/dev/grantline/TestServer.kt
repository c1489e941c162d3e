// A real `grantline-server dev` for the suite (ephemeral port, fresh SQLite file), started once
// per JVM, and its admin API for fixtures and fault injection. The server exits when its
// standard input closes, i.e. when this JVM ends however it ends.
package dev.grantline

import com.fasterxml.jackson.databind.JsonNode
import com.fasterxml.jackson.databind.ObjectMapper
import java.io.File
import java.net.URI
import java.net.http.HttpClient
import java.net.http.HttpRequest
import java.net.http.HttpResponse
import java.nio.file.Files
import java.util.UUID

object TestServer {
    val mapper = ObjectMapper()
    private val http: HttpClient = HttpClient.newHttpClient()
    private val process: Process
    val tenant: JsonNode

    init {
        val bin = System.getenv("GRANTLINE_SERVER_BIN") ?: defaultServerBin()
        require(File(bin).canExecute()) { "grantline-server not found at $bin: run `make server` (or set GRANTLINE_SERVER_BIN)" }
        val dir = Files.createTempDirectory("grantline-kotlin-")
        dir.toFile().deleteOnExit()
        process = ProcessBuilder(
            bin, "dev", "--listen", "127.0.0.1:0", "--database", "sqlite://$dir/db.sqlite", "--exit-on-stdin-close",
        ).redirectError(dir.resolve("server.log").toFile()).start()
        val line = process.inputStream.bufferedReader().readLine()
            ?: error("grantline-server exited: ${dir.resolve("server.log").toFile().readText()}")
        tenant = mapper.readTree(line)
        Runtime.getRuntime().addShutdownHook(Thread { process.outputStream.close(); process.waitFor() })
    }

    /**
     * Where `make server` puts the debug server when `make` did not say (a run by hand):
     * `$CARGO_TARGET_DIR` (default: the repository's `target/`) / the host's triple / `debug`.
     */
    private fun defaultServerBin(): String {
        val dir = System.getenv("CARGO_TARGET_DIR") ?: "${System.getProperty("grantline.repo") ?: ".."}/target"
        val triple = System.getenv("CARGO_BUILD_TARGET")
            ?: ProcessBuilder("rustc", "-vV").start().inputReader().readLines()
                .firstOrNull { it.startsWith("host: ") }?.removePrefix("host: ")
            ?: error("cannot tell the host's target triple (rustc -vV): set GRANTLINE_SERVER_BIN")
        return "$dir/$triple/debug/grantline-server"
    }

    fun t(field: String): String = tenant[field].asText()

    val baseUrl get() = t("base_url")
    val appKey get() = t("app_key")
    val agentKey get() = t("agent_key")
    val managedSecretId get() = t("managed_secret_id")

    fun admin(method: String, path: String, body: Any? = null): JsonNode? {
        val req = HttpRequest.newBuilder(URI.create(baseUrl + path))
            .header("authorization", "Bearer ${t("admin_token")}")
            .header("content-type", "application/json")
            .method(
                method,
                if (body == null) HttpRequest.BodyPublishers.noBody()
                else HttpRequest.BodyPublishers.ofString(mapper.writeValueAsString(body)),
            ).build()
        val res = http.send(req, HttpResponse.BodyHandlers.ofString())
        check(res.statusCode() in 200..299) { "admin $method $path: ${res.statusCode()} ${res.body()}" }
        return if (res.body().isEmpty()) null else mapper.readTree(res.body())
    }

    fun fault(spec: Map<String, Any?>) {
        admin("POST", "/admin/faults", spec)
    }

    fun clearFaults() {
        admin("DELETE", "/admin/faults")
    }

    /** A fresh end-user token of the demo IDP for [sub]. */
    fun userToken(sub: String): String =
        admin("POST", "/admin/apps/${t("app_id")}/idps/${t("idp_id")}/tokens", mapOf("sub" to sub))!!["token"].asText()

    /** The audit records of the demo app, newest first. */
    fun audit(limit: Int = 50): JsonNode =
        admin("GET", "/admin/apps/${t("app_id")}/audit?limit=$limit")!!["records"]

    fun label(prefix: String) = "$prefix-${UUID.randomUUID().toString().take(8)}"

    fun app(maxRetries: Int = 0) = App(appKey, baseUrl = baseUrl, maxRetries = maxRetries)

    /** A shared vector file of tests/vectors. */
    fun vector(name: String): JsonNode =
        mapper.readTree(File(System.getProperty("grantline.repo") ?: "..", "tests/vectors/$name"))
}
