package dev.iris.http;

/** The client closed the connection: nothing more can be written to it, and its requests are aborted. */
final class ClientGone extends RuntimeException {

    ClientGone(Throwable cause) {
        super("the client went away", cause, false, false);
    }
}
