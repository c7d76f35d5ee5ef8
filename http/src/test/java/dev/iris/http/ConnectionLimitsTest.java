package dev.iris.http;

import com.fasterxml.jackson.databind.JsonNode;
import dev.iris.runtime.engine.EngineOptions;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Connections a client holds without finishing its request, or after it, are closed on time, and
 * requests Helidon cannot take get a JSON error: raw sockets on loopback against a server with
 * short limits (1 s idle, 1 s for headers, 1 s pause within a body).
 */
class ConnectionLimitsTest {

    private static TestServer server;

    @BeforeAll
    static void start() throws IOException {
        ConnectionLimits tight = ConnectionLimits.DEFAULTS.withKeepAlive(Duration.ofSeconds(1))
                .withHeaders(Duration.ofSeconds(1)).withBodyStall(Duration.ofSeconds(1));
        server = new TestServer(ServerOptions.DEFAULTS.withConnections(tight), new EngineOptions(4, 2048, 0, true, 16, 64));
    }

    @AfterAll
    static void stop() throws IOException {
        server.close();
    }

    private Socket connect() throws IOException {
        Socket s = new Socket("127.0.0.1", server.server.port());
        s.setSoTimeout(10_000);
        return s;
    }

    /** Everything the server sends until it closes the connection. */
    private static String readToEnd(Socket s) throws IOException {
        ByteArrayOutputStream all = new ByteArrayOutputStream();
        s.getInputStream().transferTo(all);
        return all.toString(StandardCharsets.UTF_8);
    }

    private static long millisSince(long start) {
        return (System.nanoTime() - start) / 1_000_000;
    }

    @Test
    void aSilentConnectionIsClosedAfterTheIdleTimeout() throws IOException {
        try (Socket s = connect()) {
            long start = System.nanoTime();
            assertEquals(-1, s.getInputStream().read(), "closed without a byte");
            long took = millisSince(start);
            assertTrue(took >= 900 && took < 5000, "closed after " + took + " ms");
        }
    }

    @Test
    void aConnectionLeftIdleAfterARequestIsClosedAfterTheIdleTimeout() throws IOException {
        try (Socket s = connect()) {
            s.getOutputStream().write("GET /health HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            InputStream in = s.getInputStream();
            String head = new String(in.readNBytes(12), StandardCharsets.US_ASCII);
            assertEquals("HTTP/1.1 200", head);
            long start = System.nanoTime();
            readToEnd(s);
            assertTrue(millisSince(start) < 5000, "closed after " + millisSince(start) + " ms");
        }
    }

    @Test
    void headersTrickledByteByByteGetA408WhenTheirTimeIsUp() throws Exception {
        try (Socket s = connect()) {
            OutputStream out = s.getOutputStream();
            out.write("GET /health HTTP/1.1\r\n".getBytes(StandardCharsets.US_ASCII));
            long start = System.nanoTime();
            Thread trickle = Thread.ofVirtual().start(() -> {
                try {
                    for (byte b : "X-Slow: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa".getBytes(StandardCharsets.US_ASCII)) {
                        out.write(b);
                        out.flush();
                        Thread.sleep(100);
                    }
                } catch (IOException | InterruptedException e) {
                    // closed by the server, as expected
                }
            });
            String response = readToEnd(s);
            trickle.interrupt();
            assertTrue(response.startsWith("HTTP/1.1 408"), response);
            assertTrue(millisSince(start) < 3000, "answered after " + millisSince(start) + " ms");
            JsonNode error = TestServer.JSON.readTree(response.substring(response.indexOf("\r\n\r\n") + 4)).get("error");
            assertTrue(error.get("message").asText().contains("headers did not arrive within 1000 ms"), response);
        }
    }

    @Test
    void aBodyThatStopsArrivingGetsA408() throws IOException {
        try (Socket s = connect()) {
            s.getOutputStream().write(("POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                    + "Content-Length: 100\r\n\r\n{\"messages\":").getBytes(StandardCharsets.US_ASCII));
            long start = System.nanoTime();
            String response = readToEnd(s);
            assertTrue(response.startsWith("HTTP/1.1 408"), response);
            assertTrue(response.contains("The request body stalled"), response);
            assertTrue(millisSince(start) < 3000, "answered after " + millisSince(start) + " ms");
        }
    }

    @Test
    void connectionCloseClosesTheConnectionOnceAnswered() throws IOException {
        try (Socket s = connect()) {
            s.getOutputStream().write(("GET /v1/models HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
                    + "GET /v1/models HTTP/1.1\r\nHost: x\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            s.setSoTimeout(900); // well below the idle timeout: only a close ends the read in time
            String response;
            try {
                response = readToEnd(s);
            } catch (SocketTimeoutException e) {
                throw new AssertionError("the connection stayed open after Connection: close", e);
            }
            assertTrue(response.startsWith("HTTP/1.1 200"), response);
            assertEquals(1, response.split("HTTP/1.1 ", -1).length - 1, "the pipelined second request is not served");
        }
    }

    @Test
    void anHttp10RequestGetsAJsonErrorSayingToUseHttp11() throws IOException {
        try (Socket s = connect()) {
            s.getOutputStream().write("GET /health HTTP/1.0\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            String response = readToEnd(s);
            assertTrue(response.startsWith("HTTP/1.1 505"), response);
            assertTrue(response.contains("application/json"), response);
            JsonNode body = TestServer.JSON.readTree(response.substring(response.indexOf("\r\n\r\n") + 4));
            assertEquals("HTTP/1.0 is not supported: send the request as HTTP/1.1 (e.g. curl --http1.1).",
                    body.get("error").get("message").asText());
        }
    }

    @Test
    void aMalformedRequestGetsAJsonError() throws IOException {
        try (Socket s = connect()) {
            s.getOutputStream().write("GET /health HTTP/1.1\r\nHost: x\r\nno colon here\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            String response = readToEnd(s);
            assertTrue(response.startsWith("HTTP/1.1 400"), response);
            JsonNode body = TestServer.JSON.readTree(response.substring(response.indexOf("\r\n\r\n") + 4));
            assertTrue(body.get("error").get("message").asText().startsWith("Malformed HTTP request"), response);
        }
    }
}
