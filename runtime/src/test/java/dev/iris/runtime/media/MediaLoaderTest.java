package dev.iris.runtime.media;

import dev.iris.api.model.RgbaImage;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Image references of every kind, the decoders, the limits, and the refusals that keep clients
 * from reaching the server's own network or files. Test images: testdata/images/tiny_rgba_37x23.png
 * (from the shared fixtures) and its lossless WebP (cwebp -lossless -exact).
 */
class MediaLoaderTest {

    private static final Path PNG = Path.of("../testdata/images/tiny_rgba_37x23.png");
    private static final Path WEBP = Path.of("../testdata/images/tiny_rgba_37x23.webp");

    private final MediaLoader loader = new MediaLoader(MediaOptions.defaults());

    private static String dataUrl(byte[] bytes, String type) {
        return "data:" + type + ";base64," + Base64.getEncoder().encodeToString(bytes);
    }

    private static String message(Runnable r) {
        return assertThrows(MediaException.class, r::run).getMessage();
    }

    @Test
    void aPngAndItsLosslessWebpGiveTheSamePixelsWithAlphaKept() throws IOException {
        List<RgbaImage> both = loader.load(List.of(dataUrl(Files.readAllBytes(PNG), "image/png"),
                dataUrl(Files.readAllBytes(WEBP), "application/octet-stream")));
        RgbaImage png = both.get(0);
        assertEquals(37, png.width());
        assertEquals(23, png.height());
        assertArrayEquals(png.rgba(), both.get(1).rgba());
        boolean translucent = false;
        for (int i = 3; i < png.rgba().length; i += 4) {
            translucent |= (png.rgba()[i] & 0xff) < 255;
        }
        assertTrue(translucent, "the fixture has transparent pixels; alpha must survive decoding");
    }

    @Test
    void rawBase64IsTheLastResortAndGreyIsCopiedWithoutAColourConversion() throws IOException {
        BufferedImage grey = new BufferedImage(3, 2, BufferedImage.TYPE_BYTE_GRAY);
        grey.getRaster().setSample(1, 1, 0, 100);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ImageIO.write(grey, "png", out);
        RgbaImage img = loader.load(List.of(Base64.getEncoder().encodeToString(out.toByteArray()))).getFirst();
        int o = (1 * 3 + 1) * 4;
        assertArrayEquals(new byte[]{100, 100, 100, (byte) 255}, Arrays.copyOfRange(img.rgba(), o, o + 4));
    }

    @Test
    void badDataIsA400NamingTheImageAndTheCause() throws IOException {
        String png = Base64.getEncoder().encodeToString(Files.readAllBytes(PNG));
        assertEquals("Failed to load image 1: invalid base64 data (Incorrect padding)",
                message(() -> loader.load(List.of("data:image/png;base64," + png, "data:image/png;base64," + png.substring(0, 41)))));
        assertEquals("Failed to load image 0: cannot identify image data",
                message(() -> loader.load(List.of(dataUrl("hello, not an image".getBytes(StandardCharsets.US_ASCII), "image/png")))));
        assertEquals("Failed to load image 0: cannot identify image data",
                message(() -> loader.load(List.of("data:image/png;base64," + png.substring(0, 200)))));
    }

    @Test
    void tooManyImagesAndPixelBombsAreRefusedBeforeDecoding() throws IOException {
        String one = dataUrl(Files.readAllBytes(PNG), "image/png");
        MediaLoader two = new MediaLoader(MediaOptions.defaults().withMaxImages(2));
        assertEquals("At most 2 image(s) may be provided in one request.", message(() -> two.load(List.of(one, one, one))));
        MediaLoader small = new MediaLoader(MediaOptions.defaults().withMaxPixels(800));
        assertEquals("Failed to load image 0: the image has 851 pixels, more than the limit of 800",
                message(() -> small.load(List.of(one))));
    }

    @Test
    void localFilesOnlyBelowTheAllowedDirectoryAfterDotsAndLinksAreResolved(@TempDir Path tmp) throws IOException {
        Path allowed = Files.createDirectories(tmp.resolve("media"));
        Path outside = Files.createDirectories(tmp.resolve("secret"));
        Files.copy(PNG, allowed.resolve("cat.png"));
        Files.copy(PNG, outside.resolve("key.png"));
        Files.createSymbolicLink(allowed.resolve("link.png"), outside.resolve("key.png"));
        assertTrue(message(() -> loader.load(List.of(allowed.resolve("cat.png").toString())))
                .endsWith("local files are disabled; start the server with --allowed-local-media-path DIR"));
        MediaLoader local = new MediaLoader(MediaOptions.defaults().withAllowedLocalPaths(List.of(allowed)));
        assertEquals(37, local.load(List.of(allowed.resolve("cat.png").toString())).getFirst().width());
        assertEquals(37, local.load(List.of(allowed.resolve("cat.png").toUri().toString())).getFirst().width());
        assertTrue(message(() -> local.load(List.of(allowed.resolve("../secret/key.png").toString())))
                .endsWith("is outside the allowed directory"));
        assertTrue(message(() -> local.load(List.of(allowed.resolve("link.png").toString())))
                .endsWith("is outside the allowed directory"));
        assertTrue(message(() -> local.load(List.of(allowed.resolve("missing.png").toString()))).contains("file not found"));
    }

    @Test
    void imagesFromHttpAreFetchedAndBadAnswersNamed() throws IOException {
        try (TinyHttpServer server = new TinyHttpServer()) {
            server.answer("/cat.png", new TinyHttpServer.Answer("200 OK", "Content-Type: image/png\r\n", Files.readAllBytes(PNG)));
            server.answer("/moved", new TinyHttpServer.Answer("302 Found", "Location: /cat.png\r\n", new byte[0]));
            MediaLoader open = new MediaLoader(MediaOptions.defaults().withAllowPrivateUrls(true));
            List<RgbaImage> got = open.load(List.of(server.url("/cat.png"), server.url("/moved")));
            assertArrayEquals(got.get(0).rgba(), got.get(1).rgba());
            assertEquals("Failed to load image 0: HTTP 404 from " + server.url("/none.png"),
                    message(() -> open.load(List.of(server.url("/none.png")))));
            server.answer("/hang", new TinyHttpServer.Answer("hang", "", new byte[0]));
            MediaOptions quick = new MediaOptions(true, Set.of(), List.of(), Duration.ofMillis(300), 1 << 20, 30,
                    MediaOptions.PIL_MAX_PIXELS, 10, "test");
            assertEquals("Failed to load image 0: timed out fetching " + server.url("/hang"),
                    message(() -> new MediaLoader(quick).load(List.of(server.url("/hang")))));
        }
    }

    @Test
    void urlSchemesOtherThanHttpDataAndFileAreRefusedAsSuch() {
        for (String url : List.of("ftp://example.invalid/cat.png", "gopher://example.invalid/cat.png",
                "jar:file:/tmp/a.jar!/cat.png", "javascript:alert(1)")) {
            String scheme = url.substring(0, url.indexOf(':'));
            assertEquals("Failed to load image 0: unsupported image URL scheme '" + scheme
                    + "': use an http(s), data or file URL", message(() -> loader.load(List.of(url))));
        }
        assertEquals("Failed to load image 0: local files are disabled; start the server with"
                + " --allowed-local-media-path DIR", message(() -> loader.load(List.of("file:///etc/passwd.png"))));
    }

    /** One limit with one message for every way an image arrives: data URL (checked before decoding it), file, download. */
    @Test
    void imagesOverTheByteLimitAreRefusedWithTheLimitsOwnMessage(@TempDir Path tmp) throws IOException {
        byte[] png = Files.readAllBytes(PNG);
        MediaOptions small = MediaOptions.defaults().withMaxImageBytes(png.length - 1).withAllowPrivateUrls(true)
                .withAllowedLocalPaths(List.of(tmp));
        MediaLoader loader = new MediaLoader(small);
        String expected = "Failed to load image 0: the image is larger than the limit of " + (png.length - 1)
                + " bytes (--max-image-bytes)";
        assertEquals(expected, message(() -> loader.load(List.of(dataUrl(png, "image/png")))));
        String huge = "data:image/png;base64," + "A".repeat(40 << 20); // 30 MiB once decoded: refused by its length
        assertEquals(expected, message(() -> loader.load(List.of(huge))));
        Path file = Files.write(tmp.resolve("cat.png"), png);
        assertEquals(expected, message(() -> loader.load(List.of(file.toString()))));
        try (TinyHttpServer server = new TinyHttpServer()) {
            server.answer("/cat.png", new TinyHttpServer.Answer("200 OK", "Content-Type: image/png\r\n", png));
            assertEquals("Failed to load image 0: the image at " + server.url("/cat.png") + " is larger than the limit of "
                    + (png.length - 1) + " bytes (--max-image-bytes)", message(() -> loader.load(List.of(server.url("/cat.png")))));
        }
    }

    @Test
    void privateAndLocalAddressesAreRefusedOnEveryHop() throws IOException {
        try (TinyHttpServer server = new TinyHttpServer()) {
            server.answer("/cat.png", new TinyHttpServer.Answer("200 OK", "", Files.readAllBytes(PNG)));
            assertTrue(message(() -> loader.load(List.of(server.url("/cat.png"))))
                    .contains("resolves to the private or local address 127.0.0.1"));
            assertTrue(message(() -> loader.load(List.of("http://169.254.169.254/latest/meta-data/")))
                    .contains("private or local address 169.254.169.254"));
            // Names are checked by what they resolve to; the test resolver stands in for DNS.
            HttpFetcher.Resolver dns = host -> switch (host) {
                case "internal.example" -> new InetAddress[]{InetAddress.getByAddress(new byte[]{10, 1, 2, 3})};
                case "public.example" -> new InetAddress[]{InetAddress.getByAddress(new byte[]{93, (byte) 184, (byte) 216, 34})};
                default -> InetAddress.getAllByName(host);
            };
            // Every connection reaches the local server, whatever address was checked.
            HttpFetcher.Connector toServer = (address, timeout) -> new Socket(InetAddress.getLoopbackAddress(), server.port());
            MediaLoader guarded = new MediaLoader(MediaOptions.defaults(), dns, toServer);
            assertTrue(message(() -> guarded.load(List.of("http://internal.example/cat.png")))
                    .contains("host internal.example resolves to the private or local address 10.1.2.3"));
            server.answer("/start", new TinyHttpServer.Answer("302 Found",
                    "Location: " + server.url("/cat.png") + "\r\n", new byte[0]));
            assertEquals(37, new MediaLoader(MediaOptions.defaults().withAllowPrivateUrls(true), dns, toServer)
                    .load(List.of("http://public.example/start")).getFirst().width());
            assertTrue(message(() -> guarded.load(List.of("http://public.example/start")))
                    .contains("resolves to the private or local address 127.0.0.1"));
            MediaLoader onlyImages = new MediaLoader(MediaOptions.defaults().withAllowedDomains(Set.of("images.example")),
                    dns, toServer);
            assertTrue(message(() -> onlyImages.load(List.of("http://public.example/start")))
                    .contains("host public.example is not in --allowed-media-domains"));
        }
    }
}
