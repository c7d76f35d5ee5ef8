package dev.iris.http;

import dev.iris.http.connection.ConnectionGuard;
import io.helidon.webserver.http.ServerRequest;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Watches the clients of the generation requests being handled, and interrupts a handler whose
 * client has gone: a request still being prepared (templates, images, tokenizing) stops where it
 * checks for interruption, and one waiting for the engine stops waiting, so its generation is
 * aborted and nothing more is spent on it. One thread looks at every watched request
 * {@value #PERIOD_MILLIS} ms apart.
 */
final class ClientWatch {

    private static final long PERIOD_MILLIS = 50;
    private static final System.Logger LOG = System.getLogger(ClientWatch.class.getName());

    private final ConnectionGuard connections;
    private final Map<Watched, Boolean> watched = new ConcurrentHashMap<>();
    private final Thread thread;

    /** One handler's request; {@link #close()} ends the watch and clears a late interrupt. */
    final class Watched implements AutoCloseable {
        private final ConnectionGuard.Client client;
        private final Thread handler = Thread.currentThread();
        private volatile boolean gone;

        private Watched(ServerRequest req) {
            this.client = connections.client(req);
        }

        /** Whether the client left while the handler was watched. */
        boolean clientGone() {
            return gone;
        }

        private synchronized void check() {
            if (!gone && watched.containsKey(this) && client.gone()) {
                gone = true;
                handler.interrupt();
            }
        }

        @Override
        public void close() {
            synchronized (this) {
                watched.remove(this);
            }
            Thread.interrupted(); // an interrupt meant for the watched part must not reach what follows
        }
    }

    ClientWatch(ConnectionGuard connections) {
        this.connections = connections;
        this.thread = Thread.ofVirtual().name("iris-client-watch").start(this::run);
    }

    /** Stops watching (the server is closing). */
    void stop() {
        thread.interrupt();
    }

    /** Watches the client of {@code req} for the calling handler thread. */
    Watched watch(ServerRequest req) {
        Watched w = new Watched(req);
        watched.put(w, Boolean.TRUE);
        return w;
    }

    private void run() {
        while (true) {
            for (Watched w : watched.keySet()) {
                try {
                    w.check();
                } catch (RuntimeException e) {
                    LOG.log(System.Logger.Level.WARNING, "watching a client failed", e); // the others are still watched
                }
            }
            try {
                Thread.sleep(PERIOD_MILLIS);
            } catch (InterruptedException e) {
                return;
            }
        }
    }
}
