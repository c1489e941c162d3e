// The root of the exception tree. Every other class (InvalidArgumentException, ApiException,
// SiblingLabelConflictException, …) is generated from the core's error tree (GrantlineErrors.kt,
// by scripts/generate.sh; the test script checks it is current), each under its parent, so this
// package cannot drift from the tree every grantline language implements
// (tests/vectors/error_tree.json; ContractTest checks it).
package dev.grantline

import java.time.Duration

/** A credential the caller may choose, on a [CredentialIdRequiredException]. */
data class CredentialChoice(val credentialId: String, val label: String)

/** The fields of an error beyond its message, as the native library reports them. */
internal class ErrorInfo(
    val status: Int?,
    val code: String?,
    val requestId: String?,
    val detailsJson: String?,
    val retryAfter: Duration?,
    val label: String?,
    val grantId: String?,
    val credentials: List<CredentialChoice>,
)

/**
 * Every error grantline raises. Catch a subclass for one case (`catch (e:
 * SiblingLabelConflictException)`), [ApiException] for any answer of the server, this class for
 * everything. No message, field or `toString` ever holds an API key or an end-user token.
 */
open class GrantlineException internal constructor(
    message: String,
    private val info: ErrorInfo? = null,
    cause: Throwable? = null,
) : Exception(message, cause) {
    /** The HTTP status (API errors and [ResponseValidationException]), else null. */
    val status: Int? get() = info?.status

    /** The wire `error` code, when the server sent one. */
    val code: String? get() = info?.code

    /** The response's `X-Request-ID`, when present. */
    val requestId: String? get() = info?.requestId

    /** The error body as JSON text (`status_code` included), for fields not modelled here. */
    val detailsJson: String? get() = info?.detailsJson

    /** How long to wait before retrying ([RateLimitException], [ServerException]), else null. */
    val retryAfter: Duration? get() = info?.retryAfter

    /** The conflicting label, on a [SiblingLabelConflictException] when the server said. */
    val label: String? get() = info?.label

    /** The grant concerned, on a [GrantRevokedException] when the server said. */
    val grantId: String? get() = info?.grantId

    /** The credentials to choose from, on a [CredentialIdRequiredException]. */
    val credentials: List<CredentialChoice> get() = info?.credentials ?: emptyList()
}

/** The exception a native failure stands for. */
internal fun NativeException.toGrantline(): GrantlineException = when (this) {
    is NativeException.Failed -> exceptionFor(
        errorClass,
        errorMessage,
        ErrorInfo(
            status = status?.toInt(),
            code = code,
            requestId = requestId,
            detailsJson = detailsJson,
            retryAfter = retryAfter,
            label = label,
            grantId = grantId,
            credentials = credentials.map { CredentialChoice(it.credentialId, it.label) },
        ),
        null,
    )
}

/** Runs a native call, turning its failures into the exception tree. */
internal inline fun <T> native(block: () -> T): T =
    try {
        block()
    } catch (e: NativeException) {
        throw e.toGrantline()
    } catch (e: InternalException) {
        throw GrantlineException("internal error in the grantline native library: ${e.message}", null, e)
    }
