package dev.iris.http.connection;

import io.helidon.common.buffers.DataReader;
import io.helidon.common.buffers.DataWriter;
import io.helidon.common.socket.HelidonSocket;
import io.helidon.common.socket.PeerInfo;
import io.helidon.http.DirectHandler;
import io.helidon.http.HeaderNames;
import io.helidon.http.Headers;
import io.helidon.http.HttpPrologue;
import io.helidon.http.RequestException;
import io.helidon.http.Status;
import io.helidon.http.WritableHeaders;
import io.helidon.webserver.ConnectionContext;
import io.helidon.webserver.ListenerContext;
import io.helidon.webserver.ProxyProtocolData;
import io.helidon.webserver.Router;
import io.helidon.webserver.ServerConnectionException;
import io.helidon.webserver.http.DirectTransportRequest;

import java.io.EOFException;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * One connection as Helidon's HTTP/1.1 connection sees it, with its reads coming from a pump
 * thread that owns the socket: the pump is always waiting on the socket, so it sees the client
 * close at once, even while a handler computes; Helidon's reads take what the pump read under the
 * deadline of the request's phase. Between requests (and while the request line arrives) there
 * is no deadline of ours: Helidon's idle timeout interrupts the wait and closes the connection.
 */
final class GuardedConnection implements ConnectionContext, Supplier<byte[]> {

    /** What the connection is reading now. */
    private enum Phase { IDLE, HEADERS, BODY }

    private static final Object END = new Object();

    private final ConnectionContext delegate;
    private final DataReader reader;
    /** A few socket reads of read-ahead: enough to keep the pump busy, little memory per connection. */
    private final BlockingQueue<Object> queue = new ArrayBlockingQueue<>(4);
    private final long headerNanos;
    private final long bodyStallNanos;
    private final Consumer<GuardedConnection> onEnd;
    private volatile boolean peerClosed;
    private volatile boolean closed;
    private volatile Phase phase = Phase.IDLE;
    private volatile long headerDeadline;
    /** Body bytes still to come; -1 for a chunked body of unknown length. */
    private volatile long bodyRemaining;
    private volatile HttpPrologue prologue;
    private volatile Headers headers;

    GuardedConnection(ConnectionContext delegate, Duration headerTimeout, Duration bodyStallTimeout,
                      Consumer<GuardedConnection> onEnd) {
        this.delegate = delegate;
        this.headerNanos = headerTimeout.toNanos();
        this.bodyStallNanos = bodyStallTimeout.toNanos();
        this.onEnd = onEnd;
        DataReader original = delegate.dataReader();
        int buffered = original.available(); // read while Helidon identified the protocol
        if (buffered > 0) {
            queue.add(original.readBytes(buffered));
        }
        this.reader = DataReader.create(this);
    }

    void start() {
        Thread.ofVirtual().name("iris-conn-" + delegate.childSocketId()).start(this::pump);
    }

    boolean peerClosed() {
        return peerClosed;
    }

    /** Closes the socket: a handler blocked on it fails, and reads end. */
    void close() {
        closed = true;
        try {
            delegate.serverSocket().close();
        } catch (RuntimeException e) {
            // Helidon closed it first
        }
    }

    /** The request line is in: the headers must follow within the deadline. */
    void prologueRead(HttpPrologue p) {
        prologue = p;
        headers = WritableHeaders.create();
        headerDeadline = System.nanoTime() + headerNanos;
        phase = Phase.HEADERS;
    }

    /** The headers are in: what is left is the body, if any. */
    void headersRead(Headers h) {
        headers = h;
        if (h.contains(HeaderNames.TRANSFER_ENCODING)) {
            bodyRemaining = -1;
            phase = Phase.BODY;
            return;
        }
        long length;
        try {
            length = h.contentLength().orElse(0);
        } catch (RuntimeException e) {
            length = 0; // Helidon answers 400 for it itself
        }
        long remaining = length - reader.available(); // part of it may have come with the headers
        bodyRemaining = remaining;
        phase = remaining > 0 ? Phase.BODY : Phase.IDLE;
    }

    /**
     * The response has begun: a chunked body of unknown length is over as far as deadlines go, so
     * the wait for the next request is an idle one.
     */
    void responseStarted() {
        if (phase == Phase.BODY && bodyRemaining < 0) {
            phase = Phase.IDLE;
        }
    }

    /** Reads the socket until it ends, handing each read to Helidon's reader. */
    private void pump() {
        HelidonSocket socket = delegate.serverSocket();
        try {
            while (true) {
                byte[] bytes;
                try {
                    bytes = socket.get();
                } catch (RuntimeException e) {
                    hand(e, socket);
                    return;
                }
                if (bytes == null) {
                    return;
                }
                if (!hand(bytes, socket)) {
                    return;
                }
            }
        } finally {
            peerClosed = true;
            hand(END, socket);
            onEnd.accept(this);
        }
    }

    /** Queues a read; false when nobody will take it any more (the connection was closed). */
    private boolean hand(Object item, HelidonSocket socket) {
        try {
            while (!queue.offer(item, 1, TimeUnit.SECONDS)) {
                if (closed || !socket.isConnected()) {
                    return false;
                }
            }
            return true;
        } catch (InterruptedException e) {
            return false;
        }
    }

    /** The next socket read, for Helidon's reader on the connection's thread; null at the end. */
    @Override
    public byte[] get() {
        if (closed) {
            return null;
        }
        try {
            Object item = switch (phase) {
                case IDLE -> queue.take(); // interrupted by Helidon's idle timeout
                case HEADERS -> poll(headerDeadline - System.nanoTime(),
                        "The request headers did not arrive within " + millis(headerNanos) + " ms.");
                case BODY -> poll(bodyStallNanos,
                        "The request body stalled: nothing arrived for " + millis(bodyStallNanos) + " ms.");
            };
            if (item == END) {
                queue.offer(END); // every later read sees the end too
                if (phase != Phase.IDLE) {
                    // The client left mid-request: end quietly, not as a server error.
                    closed = true;
                    throw new ServerConnectionException("the client closed the connection mid-request", new EOFException());
                }
                return null;
            }
            if (item instanceof RuntimeException e) {
                queue.offer(END);
                throw new ServerConnectionException("reading the connection failed", e);
            }
            byte[] bytes = (byte[]) item;
            if (phase == Phase.BODY && bodyRemaining > 0) {
                bodyRemaining -= bytes.length;
                if (bodyRemaining <= 0) {
                    phase = Phase.IDLE;
                }
            }
            return bytes;
        } catch (InterruptedException e) {
            return null; // idle timeout or shutdown: Helidon closes the connection
        }
    }

    private Object poll(long nanos, String timeoutMessage) throws InterruptedException {
        Object item = nanos > 0 ? queue.poll(nanos, TimeUnit.NANOSECONDS) : queue.poll();
        if (item == null) {
            closed = true;
            throw RequestException.builder()
                    .type(DirectHandler.EventType.BAD_REQUEST)
                    .status(Status.REQUEST_TIMEOUT_408)
                    .setKeepAlive(false)
                    .request(prologue == null ? DirectHandler.TransportRequest.empty()
                            : DirectTransportRequest.create(prologue, headers))
                    .message(timeoutMessage)
                    .safeMessage(true)
                    .build();
        }
        return item;
    }

    private static long millis(long nanos) {
        return TimeUnit.NANOSECONDS.toMillis(nanos);
    }

    @Override
    public DataReader dataReader() {
        return reader;
    }

    @Override
    public DataWriter dataWriter() {
        return delegate.dataWriter();
    }

    @Override
    public ListenerContext listenerContext() {
        return delegate.listenerContext();
    }

    @Override
    public ExecutorService executor() {
        return delegate.executor();
    }

    @Override
    public Router router() {
        return delegate.router();
    }

    @Override
    public Optional<ProxyProtocolData> proxyProtocolData() {
        return delegate.proxyProtocolData();
    }

    @Override
    public HelidonSocket serverSocket() {
        return delegate.serverSocket();
    }

    @Override
    public PeerInfo remotePeer() {
        return delegate.remotePeer();
    }

    @Override
    public PeerInfo localPeer() {
        return delegate.localPeer();
    }

    @Override
    public boolean isSecure() {
        return delegate.isSecure();
    }

    @Override
    public String socketId() {
        return delegate.socketId();
    }

    @Override
    public String childSocketId() {
        return delegate.childSocketId();
    }
}
