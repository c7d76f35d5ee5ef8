package dev.iris.runtime.media;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * What image loading may do (contract §4.6): which hosts and directories it may read, and the
 * limits that keep one request from hurting the server.
 *
 * @param allowPrivateUrls   fetch from loopback, private, link-local and unspecified addresses
 *                           ({@code --allow-private-media-urls}); off by default
 * @param allowedDomains     hosts http(s) images may come from, lower case; empty for any
 *                           ({@code --allowed-media-domains})
 * @param allowedLocalPaths  directories local files may be read below; empty disables local files
 *                           ({@code --allowed-local-media-path})
 * @param timeout            connect and read time per image ({@code REQUEST_TIMEOUT}, default 3 s)
 * @param maxImageBytes      encoded bytes per image at most
 * @param maxImages          images per request at most ({@code --limit-mm-per-prompt image=N})
 * @param maxPixels          decoded pixels per image at most (checked before decoding)
 * @param maxRedirects       redirect hops followed at most
 * @param userAgent          the User-Agent sent with every fetch
 */
public record MediaOptions(boolean allowPrivateUrls, Set<String> allowedDomains, List<Path> allowedLocalPaths,
                           Duration timeout, long maxImageBytes, int maxImages, long maxPixels, int maxRedirects,
                           String userAgent) {

    /** PIL's decompression-bomb limit. */
    public static final long PIL_MAX_PIXELS = 178_956_970L;

    public MediaOptions {
        allowedDomains = allowedDomains.stream().map(d -> d.toLowerCase(Locale.ROOT)).collect(Collectors.toUnmodifiableSet());
        allowedLocalPaths = List.copyOf(allowedLocalPaths);
        if (maxImages < 0 || maxImageBytes <= 0 || maxPixels <= 0 || maxRedirects < 0) {
            throw new IllegalArgumentException("media limits must be positive");
        }
    }

    /** Safe defaults: public hosts only, no local files, 3 s (or REQUEST_TIMEOUT), 20 MiB, 30 images. */
    public static MediaOptions defaults() {
        String timeout = System.getenv("REQUEST_TIMEOUT");
        Duration t = timeout == null ? Duration.ofSeconds(3) : Duration.ofMillis((long) (Double.parseDouble(timeout) * 1000));
        return new MediaOptions(false, Set.of(), List.of(), t, 20L << 20, 30, PIL_MAX_PIXELS, 10, "Iris/0.1");
    }

    public MediaOptions withAllowPrivateUrls(boolean allow) {
        return new MediaOptions(allow, allowedDomains, allowedLocalPaths, timeout, maxImageBytes, maxImages, maxPixels,
                maxRedirects, userAgent);
    }

    public MediaOptions withAllowedLocalPaths(List<Path> dirs) {
        return new MediaOptions(allowPrivateUrls, allowedDomains, dirs, timeout, maxImageBytes, maxImages, maxPixels,
                maxRedirects, userAgent);
    }

    public MediaOptions withAllowedDomains(Set<String> domains) {
        return new MediaOptions(allowPrivateUrls, domains, allowedLocalPaths, timeout, maxImageBytes, maxImages, maxPixels,
                maxRedirects, userAgent);
    }

    public MediaOptions withMaxImages(int max) {
        return new MediaOptions(allowPrivateUrls, allowedDomains, allowedLocalPaths, timeout, maxImageBytes, max, maxPixels,
                maxRedirects, userAgent);
    }

    public MediaOptions withMaxPixels(long max) {
        return new MediaOptions(allowPrivateUrls, allowedDomains, allowedLocalPaths, timeout, maxImageBytes, maxImages, max,
                maxRedirects, userAgent);
    }

    public MediaOptions withMaxImageBytes(long max) {
        return new MediaOptions(allowPrivateUrls, allowedDomains, allowedLocalPaths, timeout, max, maxImages, maxPixels,
                maxRedirects, userAgent);
    }
}
