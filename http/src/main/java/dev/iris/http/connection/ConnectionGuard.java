package dev.iris.http.connection;

import io.helidon.common.buffers.BufferData;
import io.helidon.common.socket.PeerInfo;
import io.helidon.http.Headers;
import io.helidon.http.HttpPrologue;
import io.helidon.http.Status;
import io.helidon.webserver.ConnectionContext;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http1.Http1Config;
import io.helidon.webserver.http1.Http1ConnectionListener;
import io.helidon.webserver.http1.Http1ConnectionSelector;
import io.helidon.webserver.spi.ServerConnection;
import io.helidon.webserver.spi.ServerConnectionSelector;

import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The listener's HTTP/1.1 connection selector (installed with {@code protocolsDiscoverServices(false)}),
 * wrapping Helidon's so that every connection's socket is read by a thread of its own
 * ({@link GuardedConnection}). That gives what Helidon 4.5 lacks: a deadline for the request line
 * and headers (slowloris), a limit on pauses within a body, a way to see that a client has gone
 * while its request is still being prepared, and a way to close a connection whose handler is
 * stuck writing to a client that reads nothing. Both 408s go out through the server's direct
 * handlers, like Helidon's own protocol errors.
 */
public final class ConnectionGuard implements ServerConnectionSelector {

    private final Http1ConnectionSelector http1;
    private final Duration headerTimeout;
    private final Duration bodyStallTimeout;
    private final Map<String, GuardedConnection> live = new ConcurrentHashMap<>();

    private ConnectionGuard(Http1Config.Builder http1, Duration headerTimeout, Duration bodyStallTimeout) {
        this.headerTimeout = headerTimeout;
        this.bodyStallTimeout = bodyStallTimeout;
        Http1Config config = http1
                .addReceiveListener(new Http1ConnectionListener() {
                    @Override
                    public void prologue(ConnectionContext ctx, HttpPrologue prologue) {
                        if (ctx instanceof GuardedConnection c) {
                            c.prologueRead(prologue);
                        }
                    }

                    @Override
                    public void headers(ConnectionContext ctx, Headers headers) {
                        if (ctx instanceof GuardedConnection c) {
                            c.headersRead(headers);
                        }
                    }
                })
                .addSendListener(new Http1ConnectionListener() {
                    @Override
                    public void status(ConnectionContext ctx, Status status) {
                        if (ctx instanceof GuardedConnection c) {
                            c.responseStarted();
                        }
                    }
                })
                .build();
        this.http1 = Http1ConnectionSelector.builder().config(config).build();
    }

    /**
     * @param http1            Helidon's HTTP/1.1 settings (header and line limits); the guard adds
     *                         its listeners to it
     * @param headerTimeout    the request line and headers must have arrived this long after the
     *                         request's first byte
     * @param bodyStallTimeout the longest pause between two parts of a request body
     */
    public static ConnectionGuard create(Http1Config.Builder http1, Duration headerTimeout, Duration bodyStallTimeout) {
        return new ConnectionGuard(http1, headerTimeout, bodyStallTimeout);
    }

    /**
     * The connection a request came on, to ask later whether its client is still there or to
     * close it. Take it while the request is being handled (once the socket is closed its peer
     * can no longer be read); a request whose connection is already gone gets {@link Client#GONE}.
     */
    public Client client(ServerRequest req) {
        GuardedConnection c;
        try {
            c = live.get(key(req.serverSocketId(), req.socketId(), req.remotePeer()));
        } catch (RuntimeException e) {
            return Client.GONE; // the socket is closed: its peer address is gone with it
        }
        return c == null ? Client.GONE : new Client(c);
    }

    /** One request's connection, as {@link #client} found it. */
    public static final class Client {

        /** A connection that was already closed. */
        public static final Client GONE = new Client(null);

        private final GuardedConnection connection;

        private Client(GuardedConnection connection) {
            this.connection = connection;
        }

        /** Whether the client has closed or reset its connection. */
        public boolean gone() {
            return connection == null || connection.peerClosed();
        }

        /** Closes the connection from any thread: a handler blocked writing to it fails at once. */
        public void close() {
            if (connection != null) {
                connection.close();
            }
        }
    }

    @Override
    public int bytesToIdentifyConnection() {
        return 0;
    }

    @Override
    public Support supports(BufferData request) {
        return Support.SUPPORTED; // the only selector: HTTP/1.0 then gets Helidon's 505, through the direct handlers
    }

    @Override
    public Set<String> supportedApplicationProtocols() {
        return http1.supportedApplicationProtocols();
    }

    @Override
    public ServerConnection connection(ConnectionContext ctx) {
        String key = key(ctx.socketId(), ctx.childSocketId(), ctx.remotePeer()); // read while the socket is open
        GuardedConnection c = new GuardedConnection(ctx, headerTimeout, bodyStallTimeout, ended -> live.remove(key, ended));
        live.put(key, c);
        c.start();
        return http1.connection(c);
    }

    /** Connections open now (for tests: every ended connection is forgotten). */
    public int openConnections() {
        return live.size();
    }

    private static String key(String serverSocketId, String socketId, PeerInfo remote) {
        return serverSocketId + '|' + socketId + '|' + remote.host() + ':' + remote.port();
    }
}
