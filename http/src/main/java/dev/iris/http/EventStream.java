package dev.iris.http;

import com.fasterxml.jackson.databind.JsonNode;
import io.helidon.http.HeaderNames;
import io.helidon.webserver.http.ServerResponse;

import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;

/**
 * Server-sent events written byte for byte as the contract wants ({@code data: <json>\n\n}, each
 * flushed at once, {@code data: [DONE]\n\n} last), on the raw output stream: Helidon's SSE sink
 * writes {@code data:} without the space and refuses clients whose Accept lacks
 * {@code text/event-stream}, which the npm client's does.
 */
final class EventStream implements AutoCloseable {

    private static final byte[] DONE = "data: [DONE]\n\n".getBytes(StandardCharsets.US_ASCII);

    private final OutputStream out;

    EventStream(ServerResponse res) {
        res.header(HeaderNames.CONTENT_TYPE, "text/event-stream; charset=utf-8");
        res.header(HeaderNames.CACHE_CONTROL, "no-cache");
        this.out = res.outputStream();
    }

    void send(JsonNode event) {
        byte[] json = Json.bytes(event);
        byte[] frame = new byte[json.length + 8];
        System.arraycopy("data: ".getBytes(StandardCharsets.US_ASCII), 0, frame, 0, 6);
        System.arraycopy(json, 0, frame, 6, json.length);
        frame[frame.length - 2] = '\n';
        frame[frame.length - 1] = '\n';
        write(frame);
    }

    void done() {
        write(DONE);
    }

    private void write(byte[] bytes) {
        try {
            out.write(bytes);
            out.flush();
        } catch (IOException | UncheckedIOException e) {
            throw new ClientGone(e);
        } catch (RuntimeException e) {
            // Helidon reports a closed connection as ServerConnectionException (unchecked).
            throw new ClientGone(e);
        }
    }

    @Override
    public void close() {
        try {
            out.close();
        } catch (IOException | RuntimeException e) {
            // the client is gone; there is nothing left to finish
        }
    }
}
