package dev.grantline

/**
 * A one-off deny rule a constrained client ([App.withConstraints], [Agent.withConstraints])
 * carries on every call, inside the signature. grantline does not interpret it: the platform
 * evaluates it. The core checks that [ruleType] is not empty and that the encoded rule fits the
 * platform's 4096-byte header.
 *
 * @param ruleType the rule's type, e.g. `json_match`
 * @param ruleBody the rule itself: strings, numbers, booleans, nulls, lists and maps of them;
 *   sent exactly as written (keys are not renamed, null entries are kept)
 */
data class RequestRule(val ruleType: String, val ruleBody: Map<String, Any?>)
