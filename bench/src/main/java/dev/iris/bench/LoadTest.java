package dev.iris.bench;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/**
 * A soak of the real server: {@code iris serve} started on loopback, {@code streams} clients each
 * sending streamed chat requests with an image (one of testdata/images, so the image cache and the
 * vision tower both work) back to back for {@code seconds}; one request in ten is read whole, one
 * in ten is abandoned after three chunks. Every few seconds the server's resident memory and its
 * K/V use (from {@code /metrics}) are sampled. Passes when no answer was a 5xx, the resident
 * memory after the warm-up stays within 10% of its value at the end of the warm-up, and the K/V
 * in use is back to 0 once the clients stop. Writes its figures to the results file.
 *
 * <p>Usage: {@code LoadTest IRIS_HOME RESULTS.md [streams] [seconds] [warmup-seconds] [-- serve flags]}.
 */
public final class LoadTest {

    static final String HEADING = "## Load test";
    private static final List<String> IMAGES = List.of("gradient_640x480.png", "tall_300x1000.png", "wide_1024x256.png",
            "tiny_rgba_37x23.png");
    private static final double RSS_TOLERANCE = 0.10;
    /** How long the server is left idle before its memory is read again. */
    private static final int IDLE_SECONDS = 45;

    private final HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
    private final URI base;
    private final List<String> images = new ArrayList<>();
    private final Map<Integer, LongAdder> statuses = new ConcurrentHashMap<>();
    private final LongAdder tokens = new LongAdder();
    private final LongAdder abandoned = new LongAdder();
    private final LongAdder failures = new LongAdder();

    private LoadTest(URI base) throws IOException {
        this.base = base;
        for (String name : IMAGES) {
            byte[] png = Files.readAllBytes(Path.of("testdata/images", name));
            images.add("data:image/png;base64," + Base64.getEncoder().encodeToString(png));
        }
    }

    /** One resource sample. */
    record Sample(double seconds, long rssKib, long kvTokens, int running) {
    }

    public static void main(String[] args) throws Exception {
        Path home = Path.of(args[0]);
        Path results = Path.of(args[1]);
        int streams = args.length > 2 ? Integer.parseInt(args[2]) : 16;
        int seconds = args.length > 3 ? Integer.parseInt(args[3]) : 300;
        int warmup = args.length > 4 ? Integer.parseInt(args[4]) : 60;
        List<String> serveFlags = new ArrayList<>();
        for (int i = 5; i < args.length; i++) {
            if (!args[i].equals("--")) {
                serveFlags.add(args[i]);
            }
        }
        int port;
        try (ServerSocket free = new ServerSocket(0)) {
            port = free.getLocalPort();
        }
        List<String> cmd = new ArrayList<>(List.of(home.resolve("bin/iris").toString(), "serve", "--host", "127.0.0.1",
                "--port", String.valueOf(port), "--enable-metrics"));
        cmd.addAll(serveFlags);
        Path log = Files.createTempFile("iris-load", ".log");
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile());
        pb.environment().putIfAbsent("JAVA_HOME", System.getProperty("java.home"));
        Process server = pb.start();
        try {
            LoadTest t = new LoadTest(URI.create("http://127.0.0.1:" + port));
            t.awaitHealthy(server, Duration.ofMinutes(10));
            String report = t.run(server.pid(), streams, seconds, warmup, String.join(" ", serveFlags), log);
            System.out.println(report);
            BenchMain.replaceSection(results, HEADING, report);
        } finally {
            server.toHandle().destroy();
            if (!server.waitFor(60, TimeUnit.SECONDS)) {
                server.destroyForcibly();
            }
            System.out.println("server exit " + server.exitValue() + "; log: " + log);
        }
    }

    private void awaitHealthy(Process server, Duration limit) throws InterruptedException {
        long deadline = System.nanoTime() + limit.toNanos();
        while (System.nanoTime() < deadline && server.isAlive()) {
            try {
                if (client.send(HttpRequest.newBuilder(base.resolve("/health")).build(),
                        HttpResponse.BodyHandlers.discarding()).statusCode() == 200) {
                    return;
                }
            } catch (IOException e) {
                // not listening yet
            }
            Thread.sleep(200);
        }
        throw new IllegalStateException("the server did not become healthy" + (server.isAlive() ? "" : " (it exited)"));
    }

    private String run(long pid, int streams, int seconds, int warmup, String flags, Path log) throws Exception {
        long start = System.nanoTime();
        long end = start + TimeUnit.SECONDS.toNanos(seconds);
        List<Sample> samples = new ArrayList<>();
        Thread sampler = Thread.ofVirtual().start(() -> {
            try {
                while (!Thread.currentThread().isInterrupted()) {
                    samples.add(sample(pid, start));
                    Thread.sleep(5000);
                }
            } catch (InterruptedException e) {
                // done
            }
        });
        AtomicLong requests = new AtomicLong();
        List<Thread> clients = new ArrayList<>();
        for (int c = 0; c < streams; c++) {
            clients.add(Thread.ofVirtual().start(() -> {
                while (System.nanoTime() < end) {
                    long n = requests.incrementAndGet();
                    oneRequest(n);
                }
            }));
        }
        for (Thread c : clients) {
            c.join();
        }
        double loadSeconds = (System.nanoTime() - start) / 1e9;
        // The clients stopped: every page of K/V must come back.
        Sample idle = sample(pid, start);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while ((idle.kvTokens() != 0 || idle.running() != 0) && System.nanoTime() < deadline) {
            Thread.sleep(200);
            idle = sample(pid, start);
        }
        sampler.interrupt();
        sampler.join();
        samples.add(idle);
        Thread.sleep(TimeUnit.SECONDS.toMillis(IDLE_SECONDS)); // the launcher's periodic GC returns idle heap
        Sample rested = sample(pid, start);
        // What the server logged once it was serving (its start-up warnings, e.g. the demo model's, aside).
        List<String> served = Files.readAllLines(log);
        served = served.subList(served.stream().filter(l -> l.contains("fired up")).findFirst().map(served::indexOf)
                .orElse(0), served.size());
        long complaints = served.stream().filter(l -> l.contains("WARNING") || l.contains("ERROR")
                || l.contains("Exception")).count();
        return report(streams, seconds, warmup, flags, loadSeconds, requests.get(), samples, idle, rested, complaints);
    }

    /** One chat request with an image: streamed and read to the end, read whole, or abandoned early. */
    private void oneRequest(long n) {
        ThreadLocalRandom r = ThreadLocalRandom.current();
        boolean whole = n % 10 == 3;
        boolean abandon = n % 10 == 7;
        String body = "{\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"image_url\",\"image_url\":{\"url\":\""
                + images.get((int) (n % images.size())) + "\"}},{\"type\":\"text\",\"text\":\"Describe image " + n
                + " in detail.\"}]}],\"max_tokens\":" + r.nextInt(16, 65) + ",\"ignore_eos\":true,\"temperature\":0.7"
                + (whole ? "" : ",\"stream\":true") + "}";
        HttpRequest req = HttpRequest.newBuilder(base.resolve("/v1/chat/completions"))
                .header("Content-Type", "application/json").timeout(Duration.ofMinutes(10))
                .POST(HttpRequest.BodyPublishers.ofString(body)).build();
        try {
            HttpResponse<InputStream> res = client.send(req, HttpResponse.BodyHandlers.ofInputStream());
            statuses.computeIfAbsent(res.statusCode(), k -> new LongAdder()).increment();
            try (BufferedReader lines = new BufferedReader(new InputStreamReader(res.body(), StandardCharsets.UTF_8))) {
                if (whole) {
                    String json = lines.lines().reduce("", String::concat);
                    int at = json.indexOf("\"completion_tokens\":");
                    if (at >= 0) {
                        tokens.add(Long.parseLong(json.substring(at + 20).split("[,}]")[0].trim()));
                    }
                    return;
                }
                int chunks = 0;
                for (String line; (line = lines.readLine()) != null; ) {
                    if (line.startsWith("data: {") && line.contains("\"content\":\"") && !line.contains("\"role\":\"assistant\"")) {
                        tokens.increment();
                        if (abandon && ++chunks == 3) {
                            abandoned.increment();
                            return; // closing the stream leaves the server mid-answer
                        }
                    }
                }
            }
        } catch (IOException | InterruptedException e) {
            failures.increment();
        }
    }

    private Sample sample(long pid, long start) {
        long rss = -1;
        try {
            for (String line : Files.readAllLines(Path.of("/proc", String.valueOf(pid), "status"))) {
                if (line.startsWith("VmRSS:")) {
                    rss = Long.parseLong(line.replaceAll("\\D", ""));
                }
            }
        } catch (IOException e) {
            // not Linux: no figure
        }
        long kv = -1;
        int running = -1;
        try {
            String metrics = client.send(HttpRequest.newBuilder(base.resolve("/metrics")).build(),
                    HttpResponse.BodyHandlers.ofString()).body();
            kv = (long) metric(metrics, "sglang:num_used_tokens");
            running = (int) metric(metrics, "sglang:num_running_reqs");
        } catch (IOException | InterruptedException e) {
            // the sample goes without K/V figures
        }
        return new Sample((System.nanoTime() - start) / 1e9, rss, kv, running);
    }

    private static double metric(String text, String name) {
        for (String line : text.split("\n")) {
            if (line.startsWith(name + "{") || line.startsWith(name + " ")) {
                return Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
            }
        }
        return -1;
    }

    private String report(int streams, int seconds, int warmup, String flags, double loadSeconds, long requests,
                          List<Sample> samples, Sample idle, Sample rested, long complaints) {
        long atWarmup = samples.stream().filter(s -> s.seconds() >= warmup).mapToLong(Sample::rssKib).findFirst().orElse(-1);
        long peakAfter = samples.stream().filter(s -> s.seconds() >= warmup).mapToLong(Sample::rssKib).max().orElse(-1);
        long fivexx = statuses.entrySet().stream().filter(e -> e.getKey() >= 500).mapToLong(e -> e.getValue().sum()).sum();
        double growth = atWarmup > 0 ? (double) peakAfter / atWarmup - 1 : Double.NaN;
        boolean pass = fivexx == 0 && failures.sum() == 0 && growth <= RSS_TOLERANCE && idle.kvTokens() == 0
                && complaints == 0;
        StringBuilder b = new StringBuilder(HEADING + "\n\n");
        b.append(String.format(Locale.ROOT, "`LoadTest`, %s, on %s (%d cores): `iris serve %s`, %d streams of image chats"
                        + " for %d s (warm-up %d s), loopback.%n%n", LocalDate.now(), BenchMain.cpuModel(),
                Runtime.getRuntime().availableProcessors(), flags.isEmpty() ? "(demo model)" : flags, streams, seconds,
                warmup));
        b.append("| figure | value |\n|---|---:|\n");
        b.append(String.format(Locale.ROOT, "| requests (streamed, 1 in 10 whole, 1 in 10 abandoned) | %d |%n", requests));
        b.append(String.format(Locale.ROOT, "| answers by status | %s |%n", statuses.entrySet().stream().sorted(Map.Entry.comparingByKey())
                .map(e -> e.getKey() + ": " + e.getValue().sum()).reduce((x, y) -> x + ", " + y).orElse("none")));
        b.append(String.format(Locale.ROOT, "| 5xx answers / client errors | %d / %d |%n", fivexx, failures.sum()));
        b.append(String.format(Locale.ROOT, "| streams abandoned mid-answer | %d |%n", abandoned.sum()));
        b.append(String.format(Locale.ROOT, "| tokens received, per second | %d, %.1f |%n", tokens.sum(), tokens.sum() / loadSeconds));
        b.append(String.format(Locale.ROOT, "| RSS at the end of the warm-up | %.0f MiB |%n", atWarmup / 1024.0));
        b.append(String.format(Locale.ROOT, "| RSS peak after the warm-up | %.0f MiB (%+.1f%%) |%n", peakAfter / 1024.0, growth * 100));
        b.append(String.format(Locale.ROOT, "| RSS when the clients stop, and %d s later | %.0f MiB, %.0f MiB |%n",
                IDLE_SECONDS, idle.rssKib() / 1024.0, rested.rssKib() / 1024.0));
        b.append(String.format(Locale.ROOT, "| K/V tokens in use once idle | %d |%n", idle.kvTokens()));
        b.append(String.format(Locale.ROOT, "| server log lines with a warning, an error or an exception | %d |%n",
                complaints));
        b.append(String.format(Locale.ROOT, "| verdict (no 5xx, RSS within %.0f%%, K/V back to 0, a clean log) | %s |%n%n",
                RSS_TOLERANCE * 100, pass ? "pass" : "FAIL"));
        b.append("RSS (MiB) every 5 s: ");
        b.append(samples.stream().map(s -> String.valueOf(Math.round(s.rssKib() / 1024.0))).reduce((x, y) -> x + " " + y)
                .orElse(""));
        b.append("\n");
        return b.toString();
    }
}
