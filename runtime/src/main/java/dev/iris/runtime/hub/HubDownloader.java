package dev.iris.runtime.hub;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Downloads what serving a model needs from the Hugging Face Hub into the standard cache layout
 * ({@code models--org--name/blobs}, {@code snapshots/<commit>/} links, {@code refs/<revision>}),
 * so the HF tools and Iris share it: the configs, tokenizer, processor and chat-template files and
 * the safetensors weights (the shards the index names). A download that breaks resumes from the
 * bytes it has (HTTP ranges); files are checked against the size and, for LFS files, the sha256
 * the Hub announces. A complete snapshot is reused without downloading; offline, the cache alone
 * answers.
 */
public final class HubDownloader {

    /** Progress of one file: its name, bytes so far, bytes in all (−1 when unknown). */
    @FunctionalInterface
    public interface Progress {
        Progress NONE = (file, done, total) -> { };

        void update(String file, long done, long total);
    }

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Set<String> SMALL_FILES = Set.of("config.json", "generation_config.json", "tokenizer.json",
            "tokenizer_config.json", "special_tokens_map.json", "preprocessor_config.json", "chat_template.json",
            "processor_config.json", "model.safetensors.index.json");
    private static final Pattern SHA256 = Pattern.compile("[0-9a-f]{64}");
    private static final int ATTEMPTS = 3;

    private final HubSettings settings;
    private final HttpClient http;
    private final Progress progress;

    public HubDownloader(HubSettings settings, Progress progress) {
        this.settings = settings;
        this.progress = progress;
        this.http = HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NORMAL)
                .connectTimeout(Duration.ofSeconds(20)).build();
    }

    /** Whether a {@code --model-path} names a Hub repository ({@code org/name}) rather than a directory. */
    public static boolean isRepoId(String path) {
        return path.matches("[A-Za-z0-9][A-Za-z0-9_.-]*/[A-Za-z0-9][A-Za-z0-9_.-]*") && !Files.exists(Path.of(path));
    }

    /**
     * The snapshot directory of {@code repo} at {@code revision} (a branch, tag or commit; null for
     * {@code main}), downloading what is missing.
     *
     * @throws IOException with a message naming the repository: not found, gated without a token,
     *                     not cached while offline, a broken or mismatching download
     */
    public Path snapshot(String repo, String revision) throws IOException {
        String rev = revision == null ? "main" : revision;
        Path root = settings.cache().resolve("models--" + repo.replace("/", "--"));
        if (settings.offline()) {
            return cached(root, repo, rev);
        }
        JsonNode info = api(repo, rev);
        String commit = info.path("sha").asText(null);
        if (commit == null) {
            throw new IOException("The Hub did not name a commit for " + repo + "@" + rev);
        }
        List<String> siblings = new ArrayList<>();
        info.path("siblings").forEach(s -> siblings.add(s.path("rfilename").asText()));
        Path snapshot = root.resolve("snapshots").resolve(commit);
        Files.createDirectories(snapshot);
        Files.createDirectories(root.resolve("refs"));
        Files.writeString(root.resolve("refs").resolve(rev), commit);
        Set<String> wanted = new LinkedHashSet<>();
        for (String f : siblings) {
            if (SMALL_FILES.contains(f)) {
                wanted.add(f);
            }
        }
        for (String f : wanted) {
            fetch(repo, commit, f, root, snapshot);
        }
        Path index = snapshot.resolve("model.safetensors.index.json");
        if (Files.exists(index)) {
            Set<String> shards = new LinkedHashSet<>();
            JSON.readTree(index.toFile()).path("weight_map").forEach(n -> shards.add(n.asText()));
            for (String shard : shards) {
                fetch(repo, commit, shard, root, snapshot);
            }
        } else if (siblings.contains("model.safetensors")) {
            fetch(repo, commit, "model.safetensors", root, snapshot);
        } else {
            throw new HubException(repo + " has no safetensors weights (Iris reads safetensors only)");
        }
        return snapshot;
    }

    private static Path cached(Path root, String repo, String rev) throws IOException {
        Path ref = root.resolve("refs").resolve(rev);
        String commit = Files.exists(ref) ? Files.readString(ref).strip() : rev;
        Path snapshot = root.resolve("snapshots").resolve(commit);
        if (!Files.exists(snapshot.resolve("config.json"))) {
            throw new HubException(repo + "@" + rev + " is not in the Hugging Face cache (" + root
                    + ") and HF_HUB_OFFLINE is set; download it once online, e.g. with `iris download " + repo + "`");
        }
        return snapshot;
    }

    private JsonNode api(String repo, String rev) throws IOException {
        HttpResponse<InputStream> r = send(request(settings.endpoint() + "/api/models/" + repo + "/revision/"
                + URLEncoder.encode(rev, StandardCharsets.UTF_8)).GET().build());
        try (InputStream body = r.body()) {
            if (r.statusCode() == 401 || r.statusCode() == 403) {
                throw new HubException(gated(repo));
            }
            if (r.statusCode() == 404) {
                throw new HubException("No model " + repo + "@" + rev + " on " + settings.endpoint());
            }
            if (r.statusCode() != 200) {
                throw new IOException("The Hub answered " + r.statusCode() + " for " + repo + "@" + rev);
            }
            return JSON.readTree(body);
        }
    }

    private String gated(String repo) {
        return repo + " is gated or private: " + (settings.token() == null
                ? "accept its license on the Hub and set HF_TOKEN to a token that may read it"
                : "the token in HF_TOKEN may not read it (accept the license on the Hub with that account)");
    }

    /** One file into {@code blobs/} (resuming a partial one) and linked from the snapshot. */
    private void fetch(String repo, String commit, String file, Path root, Path snapshot) throws IOException {
        Path link = snapshot.resolve(file);
        if (Files.exists(link)) {
            return; // complete snapshots are reused as they are
        }
        Path blobs = Files.createDirectories(root.resolve("blobs"));
        String url = settings.endpoint() + "/" + repo + "/resolve/" + commit + "/" + file;
        IOException last = null;
        for (int attempt = 0; attempt < ATTEMPTS; attempt++) {
            try {
                Path blob = download(url, file, blobs);
                Files.createDirectories(link.getParent());
                Files.createSymbolicLink(link, link.getParent().relativize(blob));
                return;
            } catch (HubException e) {
                throw e;
            } catch (IOException e) {
                last = e; // a broken transfer: try again from the bytes already on disk
            }
        }
        throw new IOException("Downloading " + file + " of " + repo + " failed " + ATTEMPTS + " times: " + last.getMessage(),
                last);
    }

    private Path download(String url, String file, Path blobs) throws IOException {
        HttpResponse<Void> head = send(request(url).method("HEAD", HttpRequest.BodyPublishers.noBody()).build(),
                HttpResponse.BodyHandlers.discarding());
        if (head.statusCode() == 401 || head.statusCode() == 403) {
            throw new HubException(gated(url));
        }
        if (head.statusCode() != 200) {
            throw new IOException("The Hub answered " + head.statusCode() + " for " + url);
        }
        String etag = head.headers().firstValue("x-linked-etag").or(() -> head.headers().firstValue("etag"))
                .orElseThrow(() -> new IOException("no ETag for " + url)).replace("\"", "").replaceFirst("^W/", "");
        long size = head.headers().firstValueAsLong("x-linked-size").orElse(head.headers().firstValueAsLong("content-length")
                .orElse(-1));
        Path blob = blobs.resolve(etag);
        if (Files.exists(blob)) {
            return blob;
        }
        Path partial = blobs.resolve(etag + ".incomplete");
        long have = Files.exists(partial) ? Files.size(partial) : 0;
        HttpRequest.Builder get = request(url).GET();
        if (have > 0) {
            get.header("Range", "bytes=" + have + "-");
        }
        HttpResponse<InputStream> r = send(get.build());
        try (InputStream in = r.body()) {
            if (r.statusCode() == 200) {
                have = 0; // the server sent it whole
            } else if (r.statusCode() != 206) {
                throw new IOException("The Hub answered " + r.statusCode() + " for " + url);
            }
            try (OutputStream out = Files.newOutputStream(partial, StandardOpenOption.CREATE,
                    have > 0 ? StandardOpenOption.APPEND : StandardOpenOption.TRUNCATE_EXISTING)) {
                byte[] buffer = new byte[1 << 16];
                long done = have;
                for (int n; (n = in.read(buffer)) > 0; ) {
                    out.write(buffer, 0, n);
                    done += n;
                    progress.update(file, done, size);
                }
            }
        }
        long got = Files.size(partial);
        if (size >= 0 && got != size) {
            throw new IOException("incomplete transfer of " + file + ": " + got + " of " + size + " bytes");
        }
        if (SHA256.matcher(etag).matches() && !etag.equals(sha256(partial))) {
            Files.delete(partial);
            throw new HubException(file + " does not match the checksum the Hub gave (sha256 " + etag + ")");
        }
        Files.move(partial, blob, StandardCopyOption.ATOMIC_MOVE);
        return blob;
    }

    private HttpRequest.Builder request(String url) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofMinutes(10))
                .header("User-Agent", "Iris/0.1");
        if (settings.token() != null) {
            b.header("Authorization", "Bearer " + settings.token());
        }
        return b;
    }

    private HttpResponse<InputStream> send(HttpRequest r) throws IOException {
        return send(r, HttpResponse.BodyHandlers.ofInputStream());
    }

    private <T> HttpResponse<T> send(HttpRequest r, HttpResponse.BodyHandler<T> handler) throws IOException {
        try {
            return http.send(r, handler);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        }
    }

    private static String sha256(Path file) throws IOException {
        try (InputStream in = Files.newInputStream(file)) {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            byte[] buffer = new byte[1 << 16];
            for (int n; (n = in.read(buffer)) > 0; ) {
                sha.update(buffer, 0, n);
            }
            return HexFormat.of().formatHex(sha.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is part of every JDK", e);
        }
    }
}
