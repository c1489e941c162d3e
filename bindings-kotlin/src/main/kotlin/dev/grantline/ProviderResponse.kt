// What `request` returns: the provider's answer, unchanged. The package has no JSON dependency,
// so there is no `json()` here: parse `text()` or `body` with the JSON library of your choice
// (bindings-kotlin/README.md, "Using a grant").
package dev.grantline

/**
 * A provider's answer to [App.request] / [Agent.request] (a status below 400: an error status is
 * a [ProviderApiException]; a redirect is returned, not followed).
 *
 * @property status the HTTP status
 * @property headers the headers, names in lower case, in the order received (a repeated
 *   header's values joined by `", "`)
 * @property body the body's bytes, as the provider sent them
 * @property grantId the grant the call used
 */
class ProviderResponse internal constructor(
    val status: Int,
    val headers: Map<String, String>,
    val body: ByteArray,
    val grantId: String,
) {
    /** Whether the status is 2xx. */
    val ok: Boolean get() = status in 200..299

    /** The body decoded as UTF-8 (malformed sequences become U+FFFD). */
    fun text(): String = body.decodeToString()

    /** Status and size only: the body is the provider's, not for logs. */
    override fun toString() = "ProviderResponse(status=$status, body=<${body.size} bytes>, grantId=$grantId)"

    internal companion object {
        fun of(native: NativeProviderResponse): ProviderResponse {
            val headers = LinkedHashMap<String, String>()
            for (h in native.headers) headers.merge(h.name, h.value) { a, b -> "$a, $b" }
            return ProviderResponse(native.status.toInt(), headers, native.body, native.grantId)
        }
    }
}
