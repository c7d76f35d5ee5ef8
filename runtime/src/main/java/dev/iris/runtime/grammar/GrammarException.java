package dev.iris.runtime.grammar;

/**
 * A constraint that cannot be compiled: a malformed schema, regex or grammar, or one that uses
 * something Iris does not enforce. The message names the problem and is meant for the client.
 */
public final class GrammarException extends IllegalArgumentException {

    public GrammarException(String message) {
        super(message);
    }
}
