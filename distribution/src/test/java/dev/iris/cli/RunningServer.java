package dev.iris.cli;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code iris serve} from the assembled launcher ({@code iris.home}) on a free port, started and
 * ready; closing it sends SIGTERM and waits.
 */
final class RunningServer implements AutoCloseable {
    final Process process;
    final int port;
    final String log;
    /** What the server logs after it is ready. */
    private final StringBuffer later;
    private final Thread drain;

    private RunningServer(Process process, int port, String log, StringBuffer later, Thread drain) {
        this.process = process;
        this.port = port;
        this.log = log;
        this.later = later;
        this.drain = drain;
    }

    /** Everything the server logged after it was ready, once it has ended. */
    String laterLog() throws InterruptedException {
        drain.join();
        return later.toString();
    }

    static RunningServer start(String... flags) throws IOException {
        return start(Map.of(), flags);
    }

    static RunningServer start(Map<String, String> env, String... flags) throws IOException {
        int port;
        try (java.net.ServerSocket free = new java.net.ServerSocket(0)) {
            port = free.getLocalPort();
        }
        Path launcher = Path.of(System.getProperty("iris.home")).resolve("bin/iris");
        List<String> cmd = new ArrayList<>(List.of(launcher.toString(), "serve", "--port", String.valueOf(port)));
        cmd.addAll(List.of(flags));
        ProcessBuilder pb = new ProcessBuilder(cmd);
        pb.environment().put("JAVA_HOME", System.getProperty("java.home"));
        pb.environment().putAll(env);
        pb.redirectOutput(ProcessBuilder.Redirect.DISCARD);
        Process p = pb.start();
        StringBuilder log = new StringBuilder();
        java.io.BufferedReader err = new java.io.BufferedReader(
                new java.io.InputStreamReader(p.getErrorStream(), StandardCharsets.UTF_8));
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
        for (String line; !log.toString().contains("The server is fired up and ready to roll!")
                && System.nanoTime() < deadline && (line = err.readLine()) != null; ) {
            log.append(line).append('\n');
        }
        if (!log.toString().contains("The server is fired up and ready to roll!")) {
            p.destroyForcibly();
            throw new AssertionError("the server did not get ready:\n" + log);
        }
        StringBuffer later = new StringBuffer();
        Thread drain = Thread.ofVirtual().start(() -> {
            try {
                for (String line; (line = err.readLine()) != null; ) {
                    later.append(line).append('\n');
                }
            } catch (IOException ignored) {
                // the process ended
            }
        });
        return new RunningServer(p, port, log.toString(), later, drain);
    }

    @Override
    public void close() throws Exception {
        try {
            process.destroy(); // SIGTERM
            assertTrue(process.waitFor(30, TimeUnit.SECONDS), "the server did not stop on SIGTERM");
            drain.join();
        } finally {
            process.destroyForcibly();
        }
    }
}
