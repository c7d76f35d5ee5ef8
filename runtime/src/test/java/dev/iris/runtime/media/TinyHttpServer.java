package dev.iris.runtime.media;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/** A local HTTP/1.1 server for the fetch tests: fixed answers per path, and a path that never answers. */
final class TinyHttpServer implements AutoCloseable {

    /** A canned answer: status line tail, extra header lines, body. */
    record Answer(String status, String headers, byte[] body) {
    }

    private final ServerSocket socket;
    private final Map<String, Answer> answers = new ConcurrentHashMap<>();
    final Map<String, Integer> hits = new ConcurrentHashMap<>();

    TinyHttpServer() throws IOException {
        socket = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        Thread.ofVirtual().start(this::serve);
    }

    int port() {
        return socket.getLocalPort();
    }

    String url(String path) {
        return "http://127.0.0.1:" + port() + path;
    }

    void answer(String path, Answer a) {
        answers.put(path, a);
    }

    private void serve() {
        while (!socket.isClosed()) {
            try {
                Socket client = socket.accept();
                Thread.ofVirtual().start(() -> handle(client));
            } catch (IOException e) {
                return;
            }
        }
    }

    private void handle(Socket client) {
        try (client) {
            BufferedReader in = new BufferedReader(new InputStreamReader(client.getInputStream(), StandardCharsets.ISO_8859_1));
            String request = in.readLine();
            for (String h; (h = in.readLine()) != null && !h.isEmpty(); ) {
                // headers are not needed
            }
            String path = request.split(" ")[1];
            hits.merge(path, 1, Integer::sum);
            Answer a = answers.get(path);
            if (a == null) {
                a = new Answer("404 Not Found", "", "no such image".getBytes(StandardCharsets.US_ASCII));
            }
            if (a.status().equals("hang")) {
                Thread.sleep(10_000);
                return;
            }
            OutputStream out = client.getOutputStream();
            out.write(("HTTP/1.1 " + a.status() + "\r\nContent-Length: " + a.body().length + "\r\n" + a.headers()
                    + "Connection: close\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
            out.write(a.body());
            out.flush();
        } catch (IOException | InterruptedException e) {
            // the test is over or the client left
        }
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
