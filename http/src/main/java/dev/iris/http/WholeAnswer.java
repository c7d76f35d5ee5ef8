package dev.iris.http;

import dev.iris.runtime.engine.GenerationResult;
import io.helidon.http.HeaderNames;
import io.helidon.webserver.http.ServerResponse;

import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.util.List;

/**
 * A non-streamed answer that may take long. A client that closes its connection must have its
 * requests aborted within seconds even when nothing is streamed, and Helidon notices a closed
 * connection only on a write; so once generation has run for {@value #HEARTBEAT_MILLIS} ms the
 * 200 header goes out and a space is written every as long (JSON allows leading whitespace) until
 * the body follows. A failure after that point can no longer change the status: its error body
 * is written instead. Answers that end sooner are plain responses.
 */
final class WholeAnswer {

    static final long HEARTBEAT_MILLIS = 2000;

    private final ServerResponse res;
    private final boolean openAi;
    private OutputStream started;

    WholeAnswer(ServerResponse res, boolean openAi) {
        this.res = res;
        this.openAi = openAi;
        res.header(HeaderNames.CONTENT_TYPE, "application/json");
    }

    /**
     * The results, or null when an error was already written.
     *
     * @throws ClientGone when the client left (its requests are aborted)
     */
    List<GenerationResult> await(Generations generations) throws InterruptedException {
        while (!generations.awaitEnd(HEARTBEAT_MILLIS)) {
            try {
                if (started == null) {
                    started = res.outputStream();
                }
                started.write(' ');
                started.flush();
            } catch (IOException | RuntimeException e) {
                generations.close();
                throw new ClientGone(e);
            }
        }
        try {
            return generations.results();
        } catch (ApiError e) {
            if (started == null) {
                throw e;
            }
            write(Json.bytes(openAi ? Errors.openAiBody(e) : Errors.nativeBody(e)));
            return null;
        }
    }

    /** Sends the body, as the whole response or after the spaces already written. */
    void send(byte[] json) {
        if (started == null) {
            res.send(json);
        } else {
            write(json);
        }
    }

    private void write(byte[] bytes) {
        try (OutputStream out = started) {
            out.write(bytes);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (RuntimeException e) {
            // the client left as the answer was ready; nothing is lost
        }
    }
}
