package dev.iris.runtime.media;

import dev.iris.api.model.RgbaImage;

import java.io.IOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Loads the images of a request from the references clients send (contract §4.6, in this order):
 * an http(s) URL, a {@code data:} URL, a local file (a path ending in an image extension, or a
 * {@code file://} URL) below an allowed directory, or raw base64. The images of one request are
 * loaded concurrently on virtual threads, so a slow host holds up only its own request. Every
 * failure is a {@link MediaException} naming the image's position and the cause.
 */
public final class MediaLoader {

    private static final List<String> IMAGE_EXTENSIONS = List.of("png", "jpg", "jpeg", "webp", "gif");
    /** A URL's scheme; one letter is a Windows drive, not a scheme. */
    private static final Pattern SCHEME = Pattern.compile("([a-z][a-z0-9+.-]+):");
    private static final Set<String> SCHEMES = Set.of("http", "https", "data", "file");

    private final MediaOptions options;
    private final HttpFetcher http;

    public MediaLoader(MediaOptions options) {
        this(options, HttpFetcher.DNS, HttpFetcher.TCP);
    }

    /** With the name resolution and connections given (tests, where there is no real network). */
    MediaLoader(MediaOptions options, HttpFetcher.Resolver resolver, HttpFetcher.Connector connector) {
        this.options = options;
        this.http = new HttpFetcher(options, resolver, connector);
    }

    public MediaOptions options() {
        return options;
    }

    /**
     * The images, in order.
     *
     * @throws MediaException for too many images, or the first image (by position) that fails
     */
    public List<RgbaImage> load(List<String> references) {
        if (references.size() > options.maxImages()) {
            throw new MediaException("At most " + options.maxImages() + " image(s) may be provided in one request.");
        }
        if (references.size() == 1) {
            return List.of(load(0, references.getFirst()));
        }
        try (ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<RgbaImage>> pending = new ArrayList<>();
            for (int i = 0; i < references.size(); i++) {
                int index = i;
                pending.add(threads.submit(() -> load(index, references.get(index))));
            }
            List<RgbaImage> out = new ArrayList<>();
            for (Future<RgbaImage> f : pending) {
                try {
                    out.add(f.get());
                } catch (ExecutionException e) {
                    for (Future<RgbaImage> other : pending) {
                        other.cancel(true);
                    }
                    throw e.getCause() instanceof MediaException m ? m : MediaException.image(out.size(), e.getCause().toString());
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw MediaException.image(out.size(), "interrupted");
                }
            }
            return out;
        }
    }

    private RgbaImage load(int index, String reference) {
        byte[] bytes = bytes(index, reference);
        try {
            return ImageDecoder.decode(bytes, options.maxPixels());
        } catch (ImageDecoder.DecodeException e) {
            throw MediaException.image(index, e.getMessage());
        }
    }

    private byte[] bytes(int index, String reference) {
        String lower = reference.toLowerCase(Locale.ROOT);
        Matcher scheme = SCHEME.matcher(lower);
        if (scheme.lookingAt() && !SCHEMES.contains(scheme.group(1))) {
            throw MediaException.image(index, "unsupported image URL scheme '" + scheme.group(1)
                    + "': use an http(s), data or file URL");
        }
        if (lower.startsWith("http://") || lower.startsWith("https://")) {
            try {
                return http.fetch(new URI(reference));
            } catch (URISyntaxException e) {
                throw MediaException.image(index, "malformed URL " + reference);
            } catch (HttpFetcher.FetchException e) {
                throw MediaException.image(index, e.getMessage());
            }
        }
        if (lower.startsWith("data:")) {
            int comma = reference.indexOf(',');
            return base64(index, comma < 0 ? "" : reference.substring(comma + 1));
        }
        if (lower.startsWith("file:")) {
            if (options.allowedLocalPaths().isEmpty()) {
                throw localFilesDisabled(index);
            }
            try {
                return localFile(index, Path.of(new URI(reference)));
            } catch (URISyntaxException | IllegalArgumentException e) {
                throw MediaException.image(index, "malformed file URL " + reference);
            }
        }
        if (IMAGE_EXTENSIONS.stream().anyMatch(lower::endsWith)) {
            return localFile(index, Path.of(reference));
        }
        return base64(index, reference);
    }

    private byte[] base64(int index, String text) {
        String compact = text.replaceAll("\\s", "");
        if (compact.length() / 4 * 3L - 2 > options.maxImageBytes()) {
            throw tooLarge(index); // known from the length alone: no need to decode it
        }
        if (compact.length() % 4 != 0) {
            throw MediaException.image(index, "invalid base64 data (Incorrect padding)"); // Python's words, as SGLang
        }
        byte[] bytes;
        try {
            bytes = Base64.getDecoder().decode(compact);
        } catch (IllegalArgumentException e) {
            throw MediaException.image(index, "invalid base64 data (" + e.getMessage() + ")");
        }
        if (bytes.length > options.maxImageBytes()) {
            throw tooLarge(index);
        }
        return bytes;
    }

    private MediaException tooLarge(int index) {
        return MediaException.image(index, "the image is larger than the limit of " + options.maxImageBytes()
                + " bytes (--max-image-bytes)");
    }

    private static MediaException localFilesDisabled(int index) {
        return MediaException.image(index, "local files are disabled; start the server with"
                + " --allowed-local-media-path DIR");
    }

    /** A file below one of the allowed directories, after {@code ..} and symbolic links are resolved. */
    private byte[] localFile(int index, Path path) {
        if (options.allowedLocalPaths().isEmpty()) {
            throw localFilesDisabled(index);
        }
        Path real;
        try {
            real = path.toAbsolutePath().normalize().toRealPath();
        } catch (NoSuchFileException e) {
            throw MediaException.image(index, "file not found: " + path);
        } catch (IOException e) {
            throw MediaException.image(index, "cannot read " + path + ": " + e.getMessage());
        }
        boolean allowed = false;
        for (Path dir : options.allowedLocalPaths()) {
            try {
                allowed |= real.startsWith(dir.toAbsolutePath().normalize().toRealPath());
            } catch (IOException e) {
                // an allowed directory that does not exist allows nothing
            }
        }
        if (!allowed) {
            throw MediaException.image(index, path + " is outside the allowed directory");
        }
        try {
            if (Files.size(real) > options.maxImageBytes()) {
                throw tooLarge(index);
            }
            return Files.readAllBytes(real);
        } catch (IOException e) {
            throw MediaException.image(index, "cannot read " + path + ": " + e.getMessage());
        }
    }
}
