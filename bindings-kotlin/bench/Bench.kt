// grantline-kotlin against a hand-written JVM client of the kind a team would otherwise write
// (java.net.http.HttpClient with keep-alive, Jackson into plain classes, javax.crypto.Mac for
// the signature), side by side in one run against the same grantline-server:
//   - client CPU per call (the whole JVM process: Kotlin, JNA and the native library's threads)
//     for listGrants(limit = 100) and for a create, one call at a time;
//   - calls/s with 64 calls in flight.
// Warm-up-aware: each variant first runs WARMUP calls (JIT, connection pools), then ROUNDS rounds
// of CALLS calls; the table reports the median round. Run it with `make bench-kotlin`.
package dev.grantline.bench

import com.fasterxml.jackson.annotation.JsonIgnoreProperties
import com.fasterxml.jackson.databind.DeserializationFeature
import com.fasterxml.jackson.databind.ObjectMapper
import com.fasterxml.jackson.databind.PropertyNamingStrategies
import dev.grantline.App
import dev.grantline.GrantItem
import dev.grantline.Principal
import dev.grantline.TestServer
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.future.await
import kotlinx.coroutines.launch
import kotlinx.coroutines.runBlocking
import kotlinx.coroutines.sync.Semaphore
import kotlinx.coroutines.sync.withPermit
import java.lang.management.ManagementFactory
import java.net.URI
import java.net.http.HttpClient
import java.net.http.HttpRequest
import java.net.http.HttpResponse
import java.security.MessageDigest
import java.security.SecureRandom
import java.time.Instant
import java.util.HexFormat
import java.util.concurrent.CompletableFuture
import javax.crypto.Mac
import javax.crypto.spec.SecretKeySpec

private val WARMUP = System.getProperty("bench.warmup", "1000").toInt()
private val ROUNDS = System.getProperty("bench.rounds", "5").toInt()
private val CALLS = System.getProperty("bench.calls", "300").toInt()
private val LOAD_CALLS = System.getProperty("bench.loadCalls", "3000").toInt()
private const val IN_FLIGHT = 64

// ---- the hand-written client ----------------------------------------------------------------

@JsonIgnoreProperties(ignoreUnknown = true)
class HPolicy { var expiresAt: Instant? = null; var maxTtlSeconds: Long? = null; var defaultTtlSeconds: Long? = null }

@JsonIgnoreProperties(ignoreUnknown = true)
class HGrant {
    var grantKind: String? = null; var grantId: String? = null; var managedSecretId: String? = null
    var managedSecretSlug: String? = null; var managedSecretName: String? = null; var agentId: String? = null
    var accountIdentifier: String? = null; var status: String? = null; var expiresAt: Instant? = null
    var grantExpiresAt: Instant? = null; var createdAt: Instant? = null; var lastUsedAt: Instant? = null
    var principalType: String? = null; var accessVia: String? = null; var delegatedAt: Instant? = null
    var label: String? = null; var credentialId: String? = null; var parentGrantId: String? = null
    var grantPolicy: HPolicy? = null; var depth: Long = 0; var delegable: Boolean = false
    var scopeConstraint: List<String>? = null; var credentialKind: String? = null; var credentialLabel: String? = null
    var providerId: String? = null; var scopes: List<String>? = null
}

@JsonIgnoreProperties(ignoreUnknown = true)
class HPage { var grants: List<HGrant> = emptyList(); var total: Long = 0; var limit: Long = 0; var offset: Long = 0; var hasMore = false }

@JsonIgnoreProperties(ignoreUnknown = true)
class HCreated { var grantId: String? = null; var principalType: String? = null; var label: String? = null; var createdAt: Instant? = null }

class HandWritten(private val apiKey: String, private val baseUrl: String) {
    private val http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build()
    private val mapper = ObjectMapper().findAndRegisterModules()
        .setPropertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
        .configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false)
    private val signingKey: ByteArray = hmac(apiKey.toByteArray(), "alter-signing-v1".toByteArray())
    private val random = SecureRandom()
    private val hex = HexFormat.of()

    private fun hmac(key: ByteArray, data: ByteArray): ByteArray =
        Mac.getInstance("HmacSHA256").apply { init(SecretKeySpec(key, "HmacSHA256")) }.doFinal(data)

    private fun request(path: String, body: String): HttpRequest {
        val bytes = body.toByteArray()
        val ts = (System.currentTimeMillis() / 1000).toString()
        val nonce = ByteArray(16).also(random::nextBytes).let(hex::formatHex)
        val sha = hex.formatHex(MessageDigest.getInstance("SHA-256").digest(bytes))
        val signature = hex.formatHex(hmac(signingKey, "POST\n$path\n$ts\n$nonce\n$sha\n".toByteArray()))
        return HttpRequest.newBuilder(URI.create(baseUrl + path))
            .header("x-api-key", apiKey).header("content-type", "application/json")
            .header("x-alter-timestamp", ts).header("x-alter-nonce", nonce)
            .header("x-alter-content-sha256", sha).header("x-alter-signature", signature)
            .POST(HttpRequest.BodyPublishers.ofByteArray(bytes)).build()
    }

    private fun <T> parse(res: HttpResponse<ByteArray>, type: Class<T>): T {
        check(res.statusCode() in 200..299) { "HTTP ${res.statusCode()}: ${String(res.body())}" }
        return mapper.readValue(res.body(), type)
    }

    fun listGrantsAsync(limit: Int): CompletableFuture<HPage> =
        http.sendAsync(request("/sdk/grants/list", "{\"limit\":$limit,\"offset\":0}"), HttpResponse.BodyHandlers.ofByteArray())
            .thenApply { parse(it, HPage::class.java) }

    fun createAsync(managedSecretId: String, label: String): CompletableFuture<HCreated> =
        http.sendAsync(
            request(
                "/sdk/managed-secrets/$managedSecretId/grants",
                mapper.writeValueAsString(mapOf("principal" to mapOf("type" to "system", "label" to label), "grant_policy" to emptyMap<String, Any>())),
            ),
            HttpResponse.BodyHandlers.ofByteArray(),
        ).thenApply { parse(it, HCreated::class.java) }
}

// ---- the harness ------------------------------------------------------------------------------

private val os = ManagementFactory.getOperatingSystemMXBean() as com.sun.management.OperatingSystemMXBean

/** A caller that reads every field of a page once, as real code would. */
private var sink = 0L
private fun touch(page: dev.grantline.GrantPage) {
    for (g in page.grants) if (g is GrantItem.ManagedSecret) sink += g.grantId.length + g.createdAt.epochSecond + (g.label?.length ?: 0) + g.status.length
}
private fun touch(page: HPage) {
    for (g in page.grants) sink += g.grantId!!.length + g.createdAt!!.epochSecond + (g.label?.length ?: 0) + g.status!!.length
}

data class Round(val cpuMsPerCall: Double, val wallMsPerCall: Double)

private fun sequential(calls: Int, one: suspend (Int) -> Unit): Round = runBlocking {
    val cpu0 = os.processCpuTime
    val t0 = System.nanoTime()
    for (i in 0 until calls) one(i)
    Round((os.processCpuTime - cpu0) / 1e6 / calls, (System.nanoTime() - t0) / 1e6 / calls)
}

private fun measure(name: String, one: suspend (Int) -> Unit): Round {
    sequential(WARMUP, one)
    val rounds = (1..ROUNDS).map { sequential(CALLS, one) }.sortedBy { it.cpuMsPerCall }
    val median = rounds[rounds.size / 2]
    System.err.println("  $name: CPU/call per round ${rounds.joinToString { "%.3f".format(it.cpuMsPerCall) }} ms")
    return median
}

/** One round of [calls] calls, [IN_FLIGHT] at a time: calls/s and client CPU per call. */
private fun loadRound(calls: Int, one: suspend (Int) -> Unit): Pair<Double, Double> = runBlocking {
    val gate = Semaphore(IN_FLIGHT)
    val cpu0 = os.processCpuTime
    val t0 = System.nanoTime()
    (0 until calls).map { i -> launch(Dispatchers.Default) { gate.withPermit { one(i) } } }.forEach { it.join() }
    val secs = (System.nanoTime() - t0) / 1e9
    Pair(calls / secs, (os.processCpuTime - cpu0) / 1e6 / calls)
}

private fun load(name: String, one: suspend (Int) -> Unit): Pair<Double, Double> {
    loadRound(LOAD_CALLS / 3, one) // warm-up
    val rounds = (1..3).map { loadRound(LOAD_CALLS, one) }.sortedBy { it.first }
    System.err.println("  $name at $IN_FLIGHT in flight: calls/s per round ${rounds.joinToString { "%.0f".format(it.first) }}")
    return rounds[1]
}

fun main() {
    val server = TestServer
    val app = App(server.appKey, baseUrl = server.baseUrl)
    val hand = HandWritten(server.appKey, server.baseUrl)
    val ms = server.managedSecretId
    runBlocking {
        // 100 grants to list.
        val have = app.listGrants(limit = 1).total
        for (i in have until 100) app.createManagedSecretGrant(ms, Principal.System("bench-seed-$i"))
        check(app.listGrants(limit = 100).grants.size == 100)
        check(hand.listGrantsAsync(100).await().grants.size == 100)
    }
    val run = System.nanoTime().toString(36)
    System.err.println("grantline-kotlin benchmark: warm-up $WARMUP, $ROUNDS rounds of $CALLS calls, $LOAD_CALLS calls at $IN_FLIGHT in flight")
    val rows = listOf(
        "listGrants(limit = 100)" to listOf(
            measure("grantline list") { touch(app.listGrants(limit = 100)) },
            measure("hand-written list") { touch(hand.listGrantsAsync(100).await()) },
        ),
        "createManagedSecretGrant" to listOf(
            measure("grantline create") { app.createManagedSecretGrant(ms, Principal.System("b-$run-g$it-${System.nanoTime()}")) },
            measure("hand-written create") { hand.createAsync(ms, "b-$run-h$it-${System.nanoTime()}").await() },
        ),
    )
    val loads = listOf(
        load("grantline list") { touch(app.listGrants(limit = 100)) },
        load("hand-written list") { touch(hand.listGrantsAsync(100).await()) },
    )
    println()
    println("| call | grantline-kotlin CPU/call | hand-written CPU/call | grantline wall/call | hand-written wall/call |")
    println("|---|---|---|---|---|")
    for ((call, r) in rows) {
        println("| $call | %.3f ms | %.3f ms | %.3f ms | %.3f ms |".format(r[0].cpuMsPerCall, r[1].cpuMsPerCall, r[0].wallMsPerCall, r[1].wallMsPerCall))
    }
    println()
    println("| listGrants(limit = 100), $IN_FLIGHT in flight | calls/s | client CPU/call |")
    println("|---|---|---|")
    println("| grantline-kotlin | %.0f | %.3f ms |".format(loads[0].first, loads[0].second))
    println("| hand-written (HttpClient + Jackson + Mac) | %.0f | %.3f ms |".format(loads[1].first, loads[1].second))
    System.err.println("(checksum $sink)")
    app.close()
}
