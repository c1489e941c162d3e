package dev.grantline

/**
 * Who a grant is for. The core checks the values when a call sends one (labels 1–255
 * characters, a user token 1–8192): a bad one is an [InvalidArgumentException] and nothing is
 * sent. `toString` never shows a user token.
 */
sealed class Principal {
    /** The wire `type`: `user`, `group`, `system` or `agent`. */
    abstract val type: String

    internal abstract fun wire(): Map<String, Any?>

    /** An end user, by their IDP token (a secret). */
    class User(val userToken: String, val label: String) : Principal() {
        override val type: String get() = "user"
        override fun wire() = mapOf("type" to type, "userToken" to userToken, "label" to label)
        override fun toString() = "Principal.User(userToken=<redacted>, label=$label)"
        override fun equals(other: Any?) = other is User && other.userToken == userToken && other.label == label
        override fun hashCode() = 31 * userToken.hashCode() + label.hashCode()
    }

    /** Every member of an IDP group. */
    data class Group(val externalGroupId: String, val idpId: String, val label: String) : Principal() {
        override val type: String get() = "group"
        override fun wire() =
            mapOf("type" to type, "externalGroupId" to externalGroupId, "idpId" to idpId, "label" to label)
    }

    /** The system (a service acting on its own behalf). */
    data class System(val label: String? = null) : Principal() {
        override val type: String get() = "system"
        override fun wire() = mapOf("type" to type, "label" to label)
    }

    /** The calling agent (the only principal an [Agent] may grant to). */
    data class Agent(val label: String? = null) : Principal() {
        override val type: String get() = "agent"
        override fun wire() = mapOf("type" to type, "label" to label)
    }
}
