/**
 * The {@code iris} command line: {@code iris plugins} now; {@code serve}, {@code chat} and
 * {@code download} join it as the engine and the HTTP server land.
 */
module dev.iris.distribution {
    requires dev.iris.runtime;
    requires dev.iris.http;
}
