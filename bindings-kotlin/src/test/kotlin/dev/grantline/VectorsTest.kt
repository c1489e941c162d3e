// The shared key-format and request-signing vectors (tests/vectors) through the Kotlin surface.
package dev.grantline

import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertFalse
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test

class VectorsTest {
    @Test
    fun `key format vectors`() {
        val v = TestServer.vector("key_format.json")
        for (key in v["valid"]) assertTrue(isValidKey(key.asText()), key.asText())
        for (key in v["invalid"]) assertFalse(isValidKey(key.asText()), key.asText())
    }

    @Test
    fun `signing vectors`() {
        val v = TestServer.vector("signing.json")
        for (c in v["cases"]) {
            val name = c["name"].asText()
            val identity = TestServer.mapper.convertValue(c["identity"], Map::class.java).entries.associate { (k, v) -> k.toString() to v.toString() }
            val signed = signRequest(
                c["api_key"].asText(), c["method"].asText(), c["path_and_query"].asText(), c["body"].asText(),
                c["timestamp"].asText(), c["nonce"].asText(), identity,
            )
            val exp = c["expected"]
            assertEquals(exp["canonical_path"].asText(), signed.canonicalPath, name)
            assertEquals(exp["content_sha256"].asText(), signed.contentSha256, name)
            assertEquals(exp["string_to_sign"].asText(), signed.stringToSign, name)
            assertEquals(exp["x_alter_signature"].asText(), signed.signature, name)
            assertEquals(exp["x_alter_signature_v2"].textValue(), signed.signatureV2, name)
            exp["legacy_signature_not_sent"].textValue()?.let { assertEquals(it, signed.legacySignature, name) }
        }
    }
}
