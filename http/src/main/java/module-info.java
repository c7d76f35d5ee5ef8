/**
 * The HTTP front (issue #6): the OpenAI-compatible and native APIs on Helidon SE, talking only to
 * the runtime's Engine API.
 */
module dev.iris.http {
    requires transitive dev.iris.runtime;
    requires io.helidon.webserver;
    requires com.fasterxml.jackson.databind;

    exports dev.iris.http;
}
