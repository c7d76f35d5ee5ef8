package dev.iris.http;

import dev.iris.http.connection.ConnectionGuard;

/**
 * What every generation endpoint works with: the served model, the server's options, the
 * registry of running generations, image loading, the request log, and the connections (to see a
 * client leave, and to close a connection nobody reads).
 */
record Endpoints(ServedModel model, ServerOptions options, InFlight inFlight, Images images, RequestLog log,
                 ConnectionGuard connections) {
}
