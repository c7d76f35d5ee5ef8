package dev.iris.http;

import dev.iris.runtime.media.MediaLoader;
import dev.iris.http.connection.ConnectionGuard;
import dev.iris.runtime.grammar.Constraints;
import dev.iris.runtime.grammar.TokenVocabulary;
import io.helidon.http.HeaderNames;
import io.helidon.http.HeaderValues;
import io.helidon.http.Method;
import io.helidon.webserver.CloseConnectionException;
import io.helidon.webserver.ErrorHandling;
import io.helidon.webserver.WebServer;
import io.helidon.webserver.http1.Http1Config;
import io.helidon.webserver.http.Handler;
import io.helidon.webserver.http.HttpRouting;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.security.MessageDigest;

/**
 * The HTTP server: SGLang's OpenAI-compatible and native endpoints for one served model on
 * Helidon SE (handlers run on virtual threads; generation runs on the engine's thread). Auth,
 * CORS, 404/405 bodies and the error bodies of each endpoint family are applied here.
 */
public final class IrisServer implements AutoCloseable {

    private static final System.Logger LOG = System.getLogger(IrisServer.class.getName());
    private static final System.Logger ACCESS = System.getLogger("dev.iris.http.access");

    private final WebServer server;
    private final InFlight inFlight;
    private final ClientWatch clients;
    private final ConnectionGuard guard;
    private final Duration shutdownGrace;

    private IrisServer(WebServer server, InFlight inFlight, ClientWatch clients, ConnectionGuard guard,
                       Duration shutdownGrace) {
        this.server = server;
        this.inFlight = inFlight;
        this.clients = clients;
        this.guard = guard;
        this.shutdownGrace = shutdownGrace;
    }

    /** Connections open now. */
    public int openConnections() {
        return guard.openConnections();
    }

    /**
     * A generation endpoint whose client is watched while it runs: when the client leaves, the
     * handler is interrupted wherever it is (preparing the prompt, waiting for the engine), its
     * generation is aborted, the abort is logged, and the connection is dropped without an answer.
     */
    private static Handler watched(Handler endpoint, ClientWatch clients, RequestLog log) {
        return (req, res) -> {
            try (ClientWatch.Watched w = clients.watch(req)) {
                try {
                    endpoint.handle(req, res);
                } catch (Exception e) {
                    if (!(e instanceof ClientGone) && !w.clientGone()) {
                        throw e;
                    }
                    log.aborted(req.context().get(RequestLog.ID, String.class).orElse(null), req.path().path(),
                            "the client disconnected before the answer was complete");
                    throw new CloseConnectionException("the client went away");
                }
            }
        };
    }

    /** Starts listening; the model must be ready to generate, and needs no warm-up. */
    public static IrisServer start(ServedModel model, ServerOptions options) {
        return start(model, options, Readiness.ready());
    }

    /** Starts listening; {@code /health} says 503 until {@code readiness} says the warm-up is done. */
    public static IrisServer start(ServedModel model, ServerOptions options, Readiness readiness) {
        return start(model, options, readiness, Map.of());
    }

    /**
     * Starts listening, with the server's arguments for {@code /get_server_info} (every flag under
     * its snake_case name, as SGLang's {@code ServerArgs} has them).
     */
    public static IrisServer start(ServedModel model, ServerOptions options, Readiness readiness,
                                   Map<String, Object> serverArgs) {
        InfoEndpoints info = new InfoEndpoints(model, options, readiness, serverArgs);
        InFlight inFlight = new InFlight();
        ConnectionLimits limits = options.connections();
        ConnectionGuard guard = ConnectionGuard.create(Http1Config.builder(), limits.headers(), limits.bodyStall());
        HttpRouting.Builder routing = HttpRouting.builder();
        routing.addFilter((chain, req, res) -> {
            // Helidon writes "Connection: close" but keeps reading the socket: end it once answered.
            chain.proceed();
            if (res.isSent() && (req.headers().containsToken(HeaderValues.CONNECTION_CLOSE)
                    || res.headers().containsToken(HeaderValues.CONNECTION_CLOSE))) {
                throw new CloseConnectionException("Connection: close");
            }
        });
        routing.addFilter((chain, req, res) -> {
            // Access log: one line per request once it is answered (streams: when they end).
            long start = System.nanoTime();
            String peer = req.remotePeer().host(); // read now: once the client has gone its address is too
            try {
                chain.proceed();
            } finally {
                if (ACCESS.isLoggable(System.Logger.Level.INFO)) {
                    ACCESS.log(System.Logger.Level.INFO, String.format(java.util.Locale.ROOT, "%s - \"%s %s\" %d %.3fs",
                            peer, req.prologue().method().text(), req.path().path(),
                            res.status().code(), (System.nanoTime() - start) / 1e9));
                }
            }
        });
        routing.addFilter((chain, req, res) -> {
            String origin = req.headers().first(HeaderNames.ORIGIN).orElse("*");
            res.header(HeaderNames.ACCESS_CONTROL_ALLOW_ORIGIN, origin);
            res.header(HeaderNames.ACCESS_CONTROL_ALLOW_CREDENTIALS, "true");
            if (req.prologue().method() == Method.OPTIONS) {
                res.header(HeaderNames.ACCESS_CONTROL_ALLOW_METHODS, "*");
                res.header(HeaderNames.ACCESS_CONTROL_ALLOW_HEADERS,
                        req.headers().first(HeaderNames.ACCESS_CONTROL_REQUEST_HEADERS).orElse("*"));
                res.send();
                return;
            }
            long length = req.headers().contentLength().orElse(0);
            if (length > options.maxRequestBytes()) {
                Errors.send(req, res, new ApiError(413, "The request body is larger than the limit of "
                        + options.maxRequestBytes() + " bytes.", null));
                return;
            }
            if (options.apiKey() != null && !req.path().path().startsWith("/health")
                    && !(options.playground() && Playground.isPage(req.path().path())) && !authorized(
                    req.headers().first(HeaderNames.AUTHORIZATION).orElse(""), options.apiKey())) {
                res.status(401);
                res.header(HeaderNames.CONTENT_TYPE, "application/json");
                res.send("{\"error\":\"Unauthorized\"}".getBytes(StandardCharsets.UTF_8));
                return;
            }
            chain.proceed();
        });
        Endpoints endpoints = new Endpoints(model, options, inFlight, new Images(model, new MediaLoader(options.media()), inFlight.metrics()),
                new RequestLog(options.logRequests()), guard, new Constraints(() -> {
                    model.requireTokenizer(); // grammars are over the tokens' text
                    return TokenVocabulary.of(model.tokenizer(), model.vocabSize());
                }, options.grammar()));
        ClientWatch clients = new ClientWatch(guard);
        Handler chat = watched(new ChatCompletionsEndpoint(endpoints), clients, endpoints.log());
        Handler completions = watched(new CompletionsEndpoint(endpoints), clients, endpoints.log());
        Handler generate = watched(new GenerateEndpoint(endpoints), clients, endpoints.log());
        routing.post("/v1/chat/completions", chat)
                .post("/invocations", chat)
                .post("/v1/completions", completions)
                .get("/v1/models", info::models)
                .post("/generate", generate)
                .put("/generate", generate)
                .get("/health", info::health)
                .get("/ping", (req, res) -> res.send())
                .get("/health_generate", info::healthGenerate)
                .get("/get_model_info", info::modelInfo)
                .get("/get_server_info", info::serverInfo)
                .post("/flush_cache", info::flushCache)
                .get("/flush_cache", info::flushCache);
        if (options.playground()) {
            routing.get("/", Playground::index).get("/playground/{file}", Playground::file);
        }
        if (options.enableMetrics()) {
            routing.get("/metrics", new MetricsEndpoint(model, inFlight.metrics()));
        }
        for (String path : new String[]{"/v1/chat/completions", "/v1/completions", "/v1/models", "/generate", "/health",
                "/health_generate", "/get_model_info", "/get_server_info", "/ping", "/invocations", "/flush_cache"}) {
            routing.any(path, (req, res) -> detail(res, 405, "Method Not Allowed"));
        }
        routing.any((req, res) -> detail(res, 404, "Not Found"));
        routing.error(ApiError.class, Errors::send);
        routing.error(Exception.class, (req, res, e) -> {
            LOG.log(System.Logger.Level.ERROR, "request " + req.prologue().method().text() + " " + req.path().path()
                    + " failed", e);
            Errors.send(req, res, new ApiError(500, "Internal server error: the request failed in a way the server did"
                    + " not foresee; the server log has the details.", null));
        });
        WebServer server = WebServer.builder()
                .host(options.host())
                .port(options.port())
                // The limit is enforced with the contract's 413: by the declared length above, and while reading.
                .maxPayloadSize(-1)
                .protocolsDiscoverServices(false) // the guard is the listener's only connection selector
                .addConnectionSelector(guard)
                .idleConnectionTimeout(limits.keepAlive())
                .idleConnectionPeriod(min(Duration.ofSeconds(1), limits.keepAlive().dividedBy(4)))
                .directHandlers(ProtocolErrors.handlers())
                .errorHandling(ErrorHandling.builder().includeEntity(true).build())
                .addRouting(routing)
                .build()
                .start();
        return new IrisServer(server, inFlight, clients, guard, options.shutdownGrace());
    }

    /** Constant-time comparison, so the key cannot be guessed byte by byte from response times. */
    private static boolean authorized(String header, String key) {
        return MessageDigest.isEqual(header.getBytes(StandardCharsets.UTF_8),
                ("Bearer " + key).getBytes(StandardCharsets.UTF_8));
    }

    private static void detail(io.helidon.webserver.http.ServerResponse res, int status, String text) {
        res.status(status);
        res.header(HeaderNames.CONTENT_TYPE, "application/json");
        res.send(("{\"detail\":\"" + text + "\"}").getBytes(StandardCharsets.UTF_8));
    }

    /** The port it listens on. */
    public int port() {
        return server.port();
    }

    /** Generation requests running now. */
    public int inFlight() {
        return inFlight.size();
    }

    /**
     * Shuts down gracefully: new generation requests get 503 at once; running ones may finish
     * within the grace period, and those still running then end with "The server is shutting
     * down." (streams in-band, then {@code [DONE]}); then the port closes.
     */
    @Override
    public void close() {
        inFlight.shutdown("The server is shutting down.", shutdownGrace);
        server.stop();
        clients.stop();
    }

    private static Duration min(Duration a, Duration b) {
        return a.compareTo(b) <= 0 ? a : b;
    }
}
