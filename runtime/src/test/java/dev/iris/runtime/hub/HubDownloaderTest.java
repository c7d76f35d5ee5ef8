package dev.iris.runtime.hub;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The Hub downloader against a fake Hub on loopback ({@code HF_ENDPOINT}): the API's revision
 * answer, {@code resolve} URLs with ETags (sha256 for the weights, as LFS files have), ranges, a
 * transfer that breaks halfway, a gated repository. The files are tiny-qwen2-vl's (testdata).
 */
class HubDownloaderTest {

    private static final Path MODEL = Path.of("../testdata/models/tiny-qwen2-vl");
    private static final String COMMIT = "0123456789abcdef0123456789abcdef01234567";
    private static final List<String> FILES = List.of("config.json", "generation_config.json", "tokenizer.json",
            "tokenizer_config.json", "preprocessor_config.json", "chat_template.json", "model.safetensors");

    @TempDir
    Path cache;

    private HttpServer hub;
    private final List<String> requests = new CopyOnWriteArrayList<>();
    private final AtomicBoolean breakOnce = new AtomicBoolean(true);

    @BeforeEach
    void start() throws IOException {
        hub = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        hub.createContext("/", this::answer);
        hub.start();
    }

    @AfterEach
    void stop() {
        hub.stop(0);
    }

    private HubSettings settings(String token, boolean offline) {
        return HubSettings.from(Map.of("HF_ENDPOINT", "http://127.0.0.1:" + hub.getAddress().getPort(),
                "HF_HUB_CACHE", cache.toString(), "HF_TOKEN", token == null ? "" : token,
                "HF_HUB_OFFLINE", offline ? "1" : "0"), cache);
    }

    private void answer(HttpExchange x) throws IOException {
        String path = x.getRequestURI().getPath();
        String range = x.getRequestHeaders().getFirst("Range");
        requests.add(x.getRequestMethod() + " " + path + (range == null ? "" : " " + range));
        if (path.startsWith("/api/models/org/gated/") || path.startsWith("/org/gated/")) {
            send(x, 401, "{\"error\":\"Access to model org/gated is restricted.\"}".getBytes(StandardCharsets.UTF_8), Map.of());
            return;
        }
        if (path.equals("/api/models/org/tiny/revision/main")) {
            StringBuilder siblings = new StringBuilder();
            for (String f : FILES) {
                siblings.append(siblings.isEmpty() ? "" : ",").append("{\"rfilename\":\"").append(f).append("\"}");
            }
            siblings.append(",{\"rfilename\":\"pytorch_model.bin\"}"); // never fetched
            send(x, 200, ("{\"id\":\"org/tiny\",\"sha\":\"" + COMMIT + "\",\"siblings\":[" + siblings + "]}")
                    .getBytes(StandardCharsets.UTF_8), Map.of());
            return;
        }
        String prefix = "/org/tiny/resolve/" + COMMIT + "/";
        if (!path.startsWith(prefix) || !FILES.contains(path.substring(prefix.length()))) {
            send(x, 404, new byte[0], Map.of());
            return;
        }
        String file = path.substring(prefix.length());
        byte[] body = Files.readAllBytes(MODEL.resolve(file));
        boolean lfs = file.endsWith(".safetensors");
        Map<String, String> headers = lfs ? Map.of("X-Linked-Etag", "\"" + sha256(body) + "\"", "X-Linked-Size",
                String.valueOf(body.length)) : Map.of("ETag", "\"" + sha256(body).substring(0, 40) + "\"");
        if (x.getRequestMethod().equals("HEAD")) {
            headers.forEach((k, v) -> x.getResponseHeaders().add(k, v));
            x.sendResponseHeaders(200, -1);
            x.close();
            return;
        }
        if (range != null) {
            int from = Integer.parseInt(range.substring("bytes=".length(), range.indexOf('-')));
            x.getResponseHeaders().add("Content-Range", "bytes " + from + "-" + (body.length - 1) + "/" + body.length);
            send(x, 206, java.util.Arrays.copyOfRange(body, from, body.length), Map.of());
            return;
        }
        if (lfs && breakOnce.getAndSet(false)) { // the first transfer of the weights breaks halfway
            x.sendResponseHeaders(200, body.length);
            OutputStream out = x.getResponseBody();
            out.write(body, 0, body.length / 2);
            out.flush();
            x.close(); // fewer bytes than announced: the server drops the connection
            return;
        }
        send(x, 200, body, Map.of());
    }

    private static void send(HttpExchange x, int status, byte[] body, Map<String, String> headers) throws IOException {
        headers.forEach((k, v) -> x.getResponseHeaders().add(k, v));
        x.sendResponseHeaders(status, body.length == 0 ? -1 : body.length);
        if (body.length > 0) {
            x.getResponseBody().write(body);
        }
        x.close();
    }

    private static String sha256(byte[] b) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    @Test
    void aRepoIsDownloadedIntoTheHfCacheLayoutResumingABrokenTransfer() throws IOException {
        Path snapshot = new HubDownloader(settings(null, false), HubDownloader.Progress.NONE).snapshot("org/tiny", null);
        Path root = cache.resolve("models--org--tiny");
        assertEquals(root.resolve("snapshots").resolve(COMMIT), snapshot);
        assertEquals(COMMIT, Files.readString(root.resolve("refs/main")));
        for (String f : FILES) {
            assertArrayEquals(Files.readAllBytes(MODEL.resolve(f)), Files.readAllBytes(snapshot.resolve(f)), f);
            assertTrue(Files.isSymbolicLink(snapshot.resolve(f)), f + " links into blobs/");
        }
        byte[] weights = Files.readAllBytes(MODEL.resolve("model.safetensors"));
        assertTrue(Files.exists(root.resolve("blobs").resolve(sha256(weights))));
        assertTrue(requests.stream().anyMatch(r -> r.startsWith("GET /org/tiny/resolve/" + COMMIT + "/model.safetensors bytes=")),
                "the broken transfer resumed with a range: " + requests);
        assertTrue(requests.stream().noneMatch(r -> r.contains("pytorch_model.bin")));

        // A second start offline answers from the cache alone.
        requests.clear();
        Path again = new HubDownloader(settings(null, true), HubDownloader.Progress.NONE).snapshot("org/tiny", null);
        assertEquals(snapshot, again);
        assertEquals(List.of(), requests);
        // And online, a complete snapshot is not downloaded again (one API call).
        Path online = new HubDownloader(settings(null, false), HubDownloader.Progress.NONE).snapshot("org/tiny", null);
        assertEquals(snapshot, online);
        assertEquals(List.of("GET /api/models/org/tiny/revision/main"), requests);
    }

    @Test
    void aGatedRepoWithoutATokenSaysWhatToDo() {
        HubException e = assertThrows(HubException.class,
                () -> new HubDownloader(settings(null, false), HubDownloader.Progress.NONE).snapshot("org/gated", null));
        assertTrue(e.getMessage().contains("org/gated is gated or private") && e.getMessage().contains("HF_TOKEN"),
                e.getMessage());
    }

    @Test
    void offlineWithoutTheModelInTheCacheSaysSo() {
        HubException e = assertThrows(HubException.class,
                () -> new HubDownloader(settings(null, true), HubDownloader.Progress.NONE).snapshot("org/tiny", null));
        assertTrue(e.getMessage().contains("is not in the Hugging Face cache") && e.getMessage().contains("HF_HUB_OFFLINE"),
                e.getMessage());
    }

    @Test
    void theEnvironmentChoosesEndpointCacheTokenAndOfflineMode() {
        HubSettings s = HubSettings.from(Map.of("HF_HOME", "/data/hf", "HF_TOKEN", "hf_x", "HF_HUB_OFFLINE", "1"),
                Path.of("/home/u"));
        assertEquals("https://huggingface.co", s.endpoint());
        assertEquals(Path.of("/data/hf/hub"), s.cache());
        assertEquals("hf_x", s.token());
        assertTrue(s.offline());
        assertEquals(Path.of("/home/u/.cache/huggingface/hub"), HubSettings.from(Map.of(), Path.of("/home/u")).cache());
    }
}
