package dev.iris.http;

import dev.iris.http.connection.ConnectionGuard;
import dev.iris.runtime.grammar.Constraints;
import io.helidon.webserver.http.ServerRequest;

/**
 * What every generation endpoint works with: the served model, the server's options, the
 * registry of running generations, image loading, the request log, the connections (to see a
 * client leave, and to close a connection nobody reads), and the compiled output constraints.
 */
record Endpoints(ServedModel model, ServerOptions options, InFlight inFlight, Images images, RequestLog log,
                 ConnectionGuard connections, Constraints constraints) {

    /**
     * Back-pressure for a request's generations: a stream pauses once its client is a buffer
     * behind, and one left unread past {@code --stream-stall-timeout} is aborted, its connection
     * closed (which frees a handler stuck writing to it) and the abort logged; answers sent whole
     * never pause.
     */
    Generations.Backpressure backpressure(ServerRequest req, String id, boolean stream) {
        if (!stream) {
            return Generations.Backpressure.NONE;
        }
        ConnectionLimits limits = options.connections();
        ConnectionGuard.Client client = connections.client(req);
        String path = req.path().path();
        return new Generations.Backpressure(limits.streamBuffer(), limits.streamStall(), () -> {
            log.aborted(id, path, "its stream went unread for " + limits.streamStall().toMillis() / 1000.0
                    + " s (--stream-stall-timeout)");
            client.close();
        });
    }
}
