package dev.iris.http;

/**
 * What every generation endpoint works with: the served model, the server's options, the
 * registry of running generations, image loading and the request log.
 */
record Endpoints(ServedModel model, ServerOptions options, InFlight inFlight, Images images, RequestLog log) {
}
