// The JSON text of a call's arguments, as the native library reads them (camelCase names,
// durations in milliseconds, instants as ISO-8601 strings). Only writes: every rule about the
// values is the core's. A null entry of a map is left out (the core's default), except inside a
// request rule's body and a request's `json`, which are the caller's JSON and go as written.
package dev.grantline

import java.time.Duration
import java.time.Instant

/** A value that is the caller's JSON document, written with its nulls. */
internal class CallerJson(val value: Any?)

internal object Json {
    fun write(value: Any?): String = StringBuilder(128).also { put(it, value, keepNulls = false) }.toString()

    private fun put(out: StringBuilder, value: Any?, keepNulls: Boolean) {
        when (value) {
            null -> out.append("null")
            is String -> string(out, value)
            is Boolean, is Int, is Long, is Short, is Byte -> out.append(value.toString())
            is Double -> number(out, value)
            is Float -> number(out, value.toDouble())
            // Milliseconds, fractions kept (the core reads the JavaScript dialect's unit).
            is Duration -> number(out, value.seconds * 1000.0 + value.nano / 1_000_000.0)
            is Instant -> string(out, value.toString())
            is Principal -> put(out, value.wire(), keepNulls = false)
            // A request body's bytes, in the core's byte form.
            is ByteArray -> {
                out.append("{\"base64\":")
                string(out, java.util.Base64.getEncoder().encodeToString(value))
                out.append('}')
            }
            // The caller's JSON (a request's `json`): sent as written, nulls included.
            is CallerJson -> put(out, value.value, keepNulls = true)
            is RequestRule -> {
                out.append("{\"ruleType\":")
                string(out, value.ruleType)
                out.append(",\"ruleBody\":")
                put(out, value.ruleBody, keepNulls = true)
                out.append('}')
            }
            is GrantPolicy -> put(
                out,
                mapOf(
                    "expiresAt" to value.expiresAt,
                    "maxTtlSeconds" to value.maxTtlSeconds,
                    "defaultTtlSeconds" to value.defaultTtlSeconds,
                ),
                keepNulls = false,
            )
            is Map<*, *> -> {
                out.append('{')
                var first = true
                for ((k, v) in value) {
                    if (v == null && !keepNulls) continue // absent: the core's default
                    if (!first) out.append(',')
                    first = false
                    string(out, k.toString())
                    out.append(':')
                    put(out, v, keepNulls)
                }
                out.append('}')
            }
            is Iterable<*> -> {
                out.append('[')
                value.forEachIndexed { i, v ->
                    if (i > 0) out.append(',')
                    put(out, v, keepNulls)
                }
                out.append(']')
            }
            else -> throw InvalidArgumentException("cannot pass a ${value::class.qualifiedName} to grantline")
        }
    }

    private fun number(out: StringBuilder, v: Double) {
        if (!v.isFinite()) throw InvalidArgumentException("numbers must be finite (got $v)")
        if (v == Math.rint(v) && kotlin.math.abs(v) < 1e15) out.append(v.toLong()) else out.append(v)
    }

    private fun string(out: StringBuilder, s: String) {
        out.append('"')
        for (c in s) {
            when {
                c == '"' -> out.append("\\\"")
                c == '\\' -> out.append("\\\\")
                c == '\n' -> out.append("\\n")
                c == '\r' -> out.append("\\r")
                c == '\t' -> out.append("\\t")
                c < ' ' -> out.append("\\u").append(String.format("%04x", c.code))
                else -> out.append(c)
            }
        }
        out.append('"')
    }
}
