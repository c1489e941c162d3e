// The Kotlin surface against the core's contract (tests/vectors/, generated from the core):
// every error class and its ancestors (error_tree.json), every model's fields and their types
// (model_fields.json), every operation and setting of App, Agent and their blocking twins
// (api.json) and of the native library's table (`operations()`). Kotlin names are the vectors'
// camelCase (`typescript`) names.
package dev.grantline

import kotlinx.coroutines.runBlocking
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import java.time.Instant
import java.util.UUID
import kotlin.reflect.KClass
import kotlin.reflect.KParameter
import kotlin.reflect.full.memberFunctions
import kotlin.reflect.full.memberProperties
import kotlin.reflect.full.primaryConstructor

class ContractTest {
    private val api = TestServer.vector("api.json")

    @Test
    fun `every error class has the ancestors of the tree`() {
        val tree = TestServer.vector("error_tree.json")["classes"]
        for (entry in tree) {
            val name = entry["class"].asText().removeSuffix("Error") + "Exception"
            val cls = Class.forName("dev.grantline.$name")
            val chain = generateSequence(cls.superclass) { it.superclass }
                .takeWhile { it != Exception::class.java }
                .map { it.simpleName.removeSuffix("Exception") + "Error" }
                .toList()
            assertEquals(entry["parents"].map { it.asText() }, chain, name)
        }
    }

    private fun typeOk(value: Any?, type: String, classes: Map<String, KClass<*>>, field: String = ""): Boolean {
        if (type.endsWith("?")) return value == null || typeOk(value, type.dropLast(1), classes, field)
        if (type.startsWith("'")) return value in type.split("|").map { it.trim('\'') }
        return when (type) {
            "str" -> value is String
            // Counts and sizes are Longs; an HTTP status is an Int, as GrantlineException.status.
            "int" -> value is Long || (field == "status" && value is Int)
            "bytes" -> value is ByteArray
            "bool" -> value is Boolean
            "datetime" -> value is Instant
            "list[str]" -> value is List<*> && value.all { it is String }
            "list[GrantItem]" -> value is List<*> && value.all { it is GrantItem }
            "object" -> value is Map<*, *> && value.all { (k, v) -> k is String && v is String }
            else -> classes[type]?.isInstance(value) ?: error("unknown type $type")
        }
    }

    @Test
    fun `every model has exactly the fields of the vector, with their types`() = runBlocking {
        fun item(kind: String, fields: Map<String, Any>) = mapOf(
            "grant_kind" to kind, "grant_id" to "g-$kind", "status" to "active", "created_at" to "2026-01-01T00:00:00Z",
            "principal_type" to "system", "grant_expires_at" to "2027-01-01T00:00:00Z", "label" to "l",
            "grant_policy" to mapOf("max_ttl_seconds" to 60, "expires_at" to "2027-01-01T00:00:00Z"),
            "scope_constraint" to listOf("a"),
        ) + fields
        val body = mapOf(
            "grants" to listOf(
                item("managed_secret", mapOf("managed_secret_id" to "m", "managed_secret_slug" to "demo", "managed_secret_name" to "Demo", "credential_kind" to "developer")),
                item("oauth", mapOf("provider_id" to "google", "scopes" to listOf("email"), "delegated_agent_ids" to listOf("x"))),
                item("connector", emptyMap()),
            ),
            "total" to 3, "limit" to 100, "offset" to 0, "has_more" to false,
        )
        TestServer.fault(mapOf("path_prefix" to "/sdk/grants/list", "status" to 200, "body" to TestServer.mapper.writeValueAsString(body)))
        val app = TestServer.app()
        val page = app.listGrants()
        val created = app.createManagedSecretGrant(TestServer.managedSecretId, Principal.System(TestServer.label("contract")))
        val revoked = app.revokeGrant(created.grantId)
        val (ms, oauth, unknown) = page.grants
        // grantline-server does not serve mint and delegate yet: their answers come from a local
        // server, every field present, through the same native call and conversion.
        val (minted, delegated) = LocalServer().use { local ->
            val m = local.answer(200, item("oauth", mapOf("provider_id" to "google", "scopes" to listOf("email"), "account_identifier" to "a",
                "account_display_name" to "A", "api_base_url" to "https://api.example.com", "scope_mismatch" to true,
                "expires_at" to "2027-01-01T00:00:00Z", "last_used_at" to "2026-02-01T00:00:00Z", "credential_id" to "c")))
                .app().mintGrant(UUID.randomUUID().toString(), "l")
            val d = local.answer(201, mapOf("grant_id" to "g-child", "grant_kind" to "oauth", "parent_grant_id" to "g-oauth", "depth" to 2,
                "delegable" to true, "status" to "active", "expires_at" to "2027-01-01T00:00:00Z"))
                .agent().delegate(UUID.randomUUID().toString(), UUID.randomUUID().toString())
            m to d
        }
        // The demo secret goes to the demo provider `dev` started.
        val responded = app.request(
            "GET", "${TestServer.t("provider_url")}/contract",
            grantId = app.createManagedSecretGrant(TestServer.managedSecretId, Principal.System()).grantId,
        )
        // Exactly the models of the vector (a new one fails here until it has a class and a sample).
        val classes = mapOf(
            "GrantPolicy" to GrantPolicy::class,
            "ManagedSecretGrantItem" to GrantItem.ManagedSecret::class,
            "OAuthGrantItem" to GrantItem.OAuth::class,
            "UnknownGrantItem" to GrantItem.Unknown::class,
            "CreateGrantResult" to CreateGrantResult::class,
            "RevokeGrantResult" to RevokeGrantResult::class,
            "GrantListResult" to GrantPage::class,
            "GrantInfo" to GrantInfo::class,
            "DelegationResult" to DelegationResult::class,
            "ProviderResponse" to ProviderResponse::class,
        )
        val samples = mapOf(
            "GrantPolicy" to (ms as GrantItem.ManagedSecret).grantPolicy, "ManagedSecretGrantItem" to ms,
            "OAuthGrantItem" to oauth, "UnknownGrantItem" to unknown, "CreateGrantResult" to created,
            "RevokeGrantResult" to revoked, "GrantListResult" to page, "GrantInfo" to minted,
            "DelegationResult" to delegated, "ProviderResponse" to responded,
        )
        val models = TestServer.vector("model_fields.json")["models"]
        assertEquals(models.map { it["name"].asText() }.toSet(), classes.keys)
        for (model in models) {
            val name = model["name"].asText()
            val cls = classes.getValue(name)
            // A field TypeScript reads through a method has no TypeScript name: Kotlin reads the
            // body's bytes as the property `body` (a ByteArray) and its text through `text()`.
            val fields = model["fields"].mapNotNull {
                val type = it["type"].asText()
                val name = it["typescript"].textValue() ?: if (type == "bytes") "body" else return@mapNotNull null
                name to type
            }
            // Exactly these constructor parameters (the data class's fields), in this order.
            assertEquals(fields.map { it.first }, cls.primaryConstructor!!.parameters.map { it.name }, name)
            val sample = samples.getValue(name)!!
            for ((field, type) in fields) {
                val prop = cls.memberProperties.first { it.name == field }
                val value = prop.getter.call(sample)
                assertTrue(typeOk(value, type, classes, field), "$name.$field: $type ≠ $value")
                assertEquals(type.endsWith("?"), prop.returnType.isMarkedNullable, "$name.$field nullability")
            }
        }
        assertEquals("connector", (unknown as GrantItem.Unknown).rawGrantKind)
        assertEquals("\"g-connector\"", unknown.fields["grant_id"])
    }

    private fun params(f: kotlin.reflect.KFunction<*>) =
        f.parameters.filter { it.kind == KParameter.Kind.VALUE }.map { it.name }

    @Test
    fun `App, Agent and the blocking clients have exactly the operations of the core`() {
        val surfaces = mapOf(
            "App" to listOf(App::class, BlockingApp::class),
            "Agent" to listOf(Agent::class, BlockingAgent::class),
        )
        val listOptions = api["operations"].first { it["name"].asText() == "list_grants" }["typescript"]["options"].map { it.asText() }
        for (op in api["operations"]) {
            val ts = op["typescript"]
            val method = ts["method"].asText()
            val clients = op["clients"].map { it.asText() }
            // An option only an App passes is not a parameter of the Agent's method; on the App's
            // it is required where the core requires it of an App (revokeDelegation's agentId),
            // as in Python and Node.
            val appOnly = op["app_only"].map { it["typescript"].asText() }
            for ((kind, classes) in surfaces) {
                val options = ts["options"].map { it.asText() }.filter { kind == "App" || it !in appOnly }
                val expected = ts["positional"].map { it.asText() } + options
                for (cls in classes) {
                    val found = cls.memberFunctions.filter { it.name == method }
                    assertEquals(if (kind in clients) 1 else 0, found.size, "${cls.simpleName}.$method")
                    found.forEach { f ->
                        assertEquals(expected, params(f), "${cls.simpleName}.$method parameters")
                        val optional = f.parameters.filter { it.kind == KParameter.Kind.VALUE && it.isOptional }.map { it.name }
                        assertEquals(options - appOnly.toSet(), optional, "${cls.simpleName}.$method: options are optional")
                    }
                }
            }
            // The native table the Kotlin layer runs through agrees with the vector.
            val native = OPERATIONS.getValue(method)
            assertEquals(op["name"].asText(), native.name)
            assertEquals(op["user_token_option"].textValue()?.let { camel(it) }, native.userTokenOption)
        }
        // Every operation of the native library's table is in the vector, so on the surfaces above.
        assertEquals(api["operations"].map { it["typescript"]["method"].asText() }.toSet(), operations().map { it.method }.toSet())
        // `grants` takes the listing's options, on every client.
        for (cls in listOf(App::class, Agent::class, BlockingApp::class, BlockingAgent::class)) {
            assertEquals(listOptions, params(cls.memberFunctions.single { it.name == "grants" }), "${cls.simpleName}.grants")
        }
        // `withConstraints` on every client, returning a client of its own type.
        for (cls in listOf(App::class, Agent::class, BlockingApp::class, BlockingAgent::class)) {
            val f = cls.memberFunctions.single { it.name == "withConstraints" }
            assertEquals(listOf("scopes", "rule"), params(f), "${cls.simpleName}.withConstraints")
            assertEquals(cls, f.returnType.classifier, "${cls.simpleName}.withConstraints")
        }
        // No other public operation-like methods were added by hand.
        val known = api["operations"].map { it["typescript"]["method"].asText() }.toSet() +
            setOf("grants", "getAgent", "withConstraints", "close", "equals", "hashCode", "toString", "describe")
        for (cls in listOf(App::class, Agent::class, BlockingApp::class, BlockingAgent::class)) {
            val extra = cls.memberFunctions.filter { it.visibility == kotlin.reflect.KVisibility.PUBLIC }.map { it.name }.toSet() - known
            assertEquals(emptySet<String>(), extra, "${cls.simpleName}")
        }
    }

    private fun camel(snake: String) = snake.split('_').mapIndexed { i, w -> if (i == 0) w else w.replaceFirstChar(Char::uppercase) }.joinToString("")

    @Test
    fun `every setting is a constructor parameter`() {
        val settings = api["settings"]["typescript"].map { it.asText() }
        val appCtor = App::class.constructors.single { c -> c.parameters.firstOrNull()?.name == "apiKey" }
        assertEquals(settings + "userTokenGetter", appCtor.parameters.map { it.name })
        // An agent's caller type is always `agent`: the core refuses the setting on an Agent.
        val agentCtor = Agent::class.constructors.single { c -> c.parameters.firstOrNull()?.name == "apiKey" }
        assertEquals(settings - "callerType", agentCtor.parameters.map { it.name })
        val defaults = api["settings"]["defaults"]
        assertEquals(30.0, defaults["timeout_seconds"].asDouble()) // documented on App's KDoc
        assertEquals(2, defaults["max_retries"].asInt())
    }
}
