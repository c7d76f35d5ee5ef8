package dev.iris.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.openqa.selenium.By;
import org.openqa.selenium.Dimension;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.Keys;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.TakesScreenshot;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.logging.LogEntry;
import org.openqa.selenium.logging.LogType;
import org.openqa.selenium.logging.LoggingPreferences;
import org.openqa.selenium.support.ui.WebDriverWait;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Random;
import java.util.logging.Level;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The web playground in a real headless Chromium (Debian's {@code chromium} and
 * {@code chromium-driver}; skipped, saying so, where they are missing — {@code .ci/run} installs
 * them) against {@code iris serve} on the bundled demo model: a pasted and a dropped image go with
 * a message whose answer streams in with its token counts; Stop ends a long answer and the
 * server's running requests return to 0; an oversized image shows the API's own error text, and
 * so does an image URL the server will not fetch; markup in the model's output is shown as text; with {@code --api-key} the page asks for the key;
 * the theme follows the system's; and no request leaves for anywhere but the server (the browser's
 * network log). Writes the screenshots docs/ shows to target/playground/.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class PlaygroundIT {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newHttpClient();
    /** The server refuses images over this many bytes: the oversized one is well above it. */
    private static final int MAX_IMAGE_BYTES = 100_000;

    private static RunningServer server;
    private static ChromeDriver browser;
    private static String base;

    @BeforeAll
    static void start() throws Exception {
        Path chromium = firstExisting("/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome");
        Path driver = firstExisting("/usr/bin/chromedriver", "/usr/lib/chromium/chromedriver");
        Assumptions.assumeTrue(chromium != null && driver != null, "Chromium or chromedriver is not installed"
                + " (apt-get install chromium chromium-driver): the playground's browser tests are skipped");
        server = RunningServer.start("--max-image-bytes", String.valueOf(MAX_IMAGE_BYTES));
        base = "http://127.0.0.1:" + server.port;
        browser = browser(chromium, driver);
    }

    @AfterAll
    static void stop() throws Exception {
        if (browser != null) {
            browser.quit();
        }
        if (server != null) {
            server.close();
        }
    }

    static ChromeDriver browser(Path chromium, Path driver) {
        ChromeOptions options = new ChromeOptions();
        options.setBinary(chromium.toFile());
        options.addArguments("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                "--window-size=1280,800", "--no-first-run", "--disable-background-networking",
                "--disable-component-update", "--disable-sync");
        LoggingPreferences logs = new LoggingPreferences();
        logs.enable(LogType.PERFORMANCE, Level.ALL);
        options.setCapability("goog:loggingPrefs", logs);
        // The driver is the installed one: Selenium Manager never runs (it would download one).
        ChromeDriverService service = new ChromeDriverService.Builder().usingDriverExecutable(driver.toFile()).build();
        return new ChromeDriver(service, options);
    }

    private static Path firstExisting(String... paths) {
        for (String p : paths) {
            if (Files.isExecutable(Path.of(p))) {
                return Path.of(p);
            }
        }
        return null;
    }

    @Test
    @Order(1)
    void aPastedAndADroppedImageGoWithTheMessageAndTheAnswerStreamsWithItsTokenCounts() throws Exception {
        open();
        setting("max-tokens", "24");
        attach(png(64, 48, 1), "paste");
        attach(png(48, 64, 2), "drop");
        wait(d -> d.findElements(By.cssSelector("#attachments li")).size() == 2);
        WebElement prompt = browser.findElement(By.id("prompt"));
        prompt.sendKeys("What differs between these two images?", Keys.ENTER);
        WebElement answer = lastAnswer();
        WebElement user = browser.findElements(By.cssSelector(".message.user")).getLast();
        List<WebElement> thumbs = user.findElements(By.cssSelector("img.thumb"));
        assertEquals(2, thumbs.size());
        assertTrue(thumbs.getFirst().getAttribute("src").startsWith("data:image/png;base64,"));
        assertFalse(answer.findElement(By.className("body")).getText().isBlank());
        String stats = answer.findElement(By.className("stats")).getText();
        assertTrue(stats.matches(".*\\d+ prompt \\+ \\d+ answer tokens · first token [0-9.]+ s.*"), stats);
        browser.findElement(By.id("settings-toggle")).click(); // closed, so the conversation shows
        screenshot("playground-desktop.png");
        browser.manage().window().setSize(new Dimension(390, 844));
        screenshot("playground-phone.png");
        browser.manage().window().setSize(new Dimension(1280, 800));
        // Dark when the system is dark.
        String light = (String) js("return getComputedStyle(document.body).backgroundColor");
        colourScheme("dark");
        String dark = (String) js("return getComputedStyle(document.body).backgroundColor");
        screenshot("playground-dark.png");
        colourScheme("light");
        assertEquals("rgb(247, 247, 248)", light);
        assertEquals("rgb(21, 21, 24)", dark);
    }

    /** Emulates the system's colour scheme (DevTools' media emulation). */
    private static void colourScheme(String scheme) {
        browser.executeCdpCommand("Emulation.setEmulatedMedia",
                java.util.Map.of("features", List.of(java.util.Map.of("name", "prefers-color-scheme", "value", scheme))));
    }

    @Test
    @Order(2)
    void stopEndsALongAnswerAndTheServerFreesIt() throws Exception {
        open();
        setting("max-tokens", "8000");
        // The schema makes the random model write thousands of tokens (it cannot end early).
        setting("schema", "{\"type\": \"array\", \"minItems\": 1000, \"maxItems\": 1000, \"items\": {\"type\": \"boolean\"}}");
        browser.findElement(By.id("prompt")).sendKeys("Count.", Keys.ENTER);
        WebElement body = wait(d -> {
            List<WebElement> streaming = d.findElements(By.cssSelector(".message.assistant.streaming .body"));
            return streaming.isEmpty() || streaming.getFirst().getText().length() < 20 ? null : streaming.getFirst();
        });
        int before = body.getText().length();
        wait(d -> body.getText().length() > before); // it streams: the text grows while it runs
        assertEquals(1, runningRequests());
        browser.findElement(By.id("stop")).click();
        WebElement answer = lastAnswer();
        assertTrue(answer.findElement(By.className("stats")).getText().startsWith("stopped"));
        long deadline = System.nanoTime() + Duration.ofSeconds(15).toNanos();
        while (runningRequests() != 0 && System.nanoTime() < deadline) {
            Thread.sleep(100);
        }
        assertEquals(0, runningRequests(), "the server still runs the stopped answer");
        setting("schema", "");
    }

    @Test
    @Order(3)
    void anOversizedImageShowsTheApisErrorText() throws Exception {
        open();
        byte[] big = png(400, 400, 3);
        assertTrue(big.length > MAX_IMAGE_BYTES, "the image is not over the limit: " + big.length);
        attach(big, "paste");
        wait(d -> d.findElements(By.cssSelector("#attachments li")).size() == 1);
        browser.findElement(By.id("prompt")).sendKeys("Describe it.", Keys.ENTER);
        WebElement error = wait(d -> d.findElements(By.cssSelector(".message.assistant.error")).stream().findFirst()
                .orElse(null));
        String expected = apiError("{\"messages\": [{\"role\": \"user\", \"content\": [{\"type\": \"image_url\","
                + " \"image_url\": {\"url\": \"data:image/png;base64," + Base64.getEncoder().encodeToString(big)
                + "\"}}, {\"type\": \"text\", \"text\": \"Describe it.\"}]}]}");
        assertEquals(expected, error.findElement(By.className("body")).getText());
    }

    @Test
    @Order(4)
    void aDroppedImageUrlIsSentForTheServerToFetch() throws Exception {
        open();
        // A loopback address, which the server refuses to fetch by default: the page shows its refusal.
        String url = base + "/playground/missing.png";
        js("""
                const data = new DataTransfer();
                data.setData('text/uri-list', arguments[0]);
                document.getElementById('main').dispatchEvent(
                    new DragEvent('drop', {dataTransfer: data, bubbles: true, cancelable: true}));""", url);
        WebElement thumb = wait(d -> d.findElements(By.cssSelector("#attachments .thumb.url")).stream().findFirst()
                .orElse(null));
        assertEquals(url, thumb.getText());
        browser.findElement(By.id("prompt")).sendKeys("Describe it.", Keys.ENTER);
        WebElement error = wait(d -> d.findElements(By.cssSelector(".message.assistant.error")).stream().findFirst()
                .orElse(null));
        assertEquals(apiError("{\"messages\": [{\"role\": \"user\", \"content\": [{\"type\": \"image_url\","
                + " \"image_url\": {\"url\": \"" + url + "\"}}, {\"type\": \"text\", \"text\": \"Describe it.\"}]}]}"),
                error.findElement(By.className("body")).getText());
    }

    @Test
    @Order(5)
    void markupInTheModelsOutputIsShownAsText() throws Exception {
        open();
        String attack = "<img src=x onerror=\"window.pwned=1\"><script>window.pwned=2</script> **bold**";
        // Structured output makes the random model write exactly this (as a JSON string).
        setting("schema", JSON.writeValueAsString(JSON.createObjectNode().put("const", attack)));
        setting("max-tokens", "400");
        browser.findElement(By.id("prompt")).sendKeys("Say it.", Keys.ENTER);
        WebElement body = lastAnswer().findElement(By.className("body"));
        assertTrue(body.getText().contains("<img src=x onerror=\\\"window.pwned=1\\\"><script>window.pwned=2</script>"),
                body.getText());
        assertEquals(0L, js("return document.querySelectorAll('.message.assistant .body img,"
                + " .message.assistant .body script').length"));
        assertEquals("undefined", js("return typeof window.pwned"));
        assertEquals("bold", body.findElement(By.tagName("strong")).getText(), "Markdown still renders");
        setting("schema", "");
    }

    @Test
    @Order(6)
    void withAnApiKeyThePageAsksForItAndSendsItAsABearerToken() throws Exception {
        try (RunningServer keyed = RunningServer.start("--api-key", "sesame")) {
            browser.get("http://127.0.0.1:" + keyed.port + "/");
            WebElement key = wait(d -> d.findElement(By.id("key")).isDisplayed() ? d.findElement(By.id("key")) : null);
            key.sendKeys("sesame", Keys.ENTER);
            wait(d -> !d.findElements(By.cssSelector("#model option")).isEmpty());
            assertEquals("iris-demo-random-weights", browser.findElement(By.cssSelector("#model option")).getText());
        }
    }

    @Test
    @Order(7)
    void noRequestGoesAnywhereButTheServer() {
        List<String> urls = new ArrayList<>();
        for (LogEntry e : browser.manage().logs().get(LogType.PERFORMANCE)) {
            JsonNode message;
            try {
                message = JSON.readTree(e.getMessage()).get("message");
            } catch (IOException x) {
                throw new AssertionError(x);
            }
            if (message.path("method").asText().equals("Network.requestWillBeSent")) {
                urls.add(message.path("params").path("request").path("url").asText());
            }
        }
        assertTrue(urls.stream().anyMatch(u -> u.equals(base + "/v1/chat/completions")), urls.toString());
        for (String url : urls) {
            assertTrue(url.startsWith("http://127.0.0.1:") || url.startsWith("data:") || url.startsWith("blob:"),
                    "the page asked for " + url);
        }
    }

    private static void open() {
        browser.get(base + "/");
        browser.findElement(By.id("clear")).click();
        wait(d -> !d.findElements(By.cssSelector("#model option")).isEmpty());
    }

    private static void setting(String id, String value) {
        WebElement panel = browser.findElement(By.id("settings"));
        if (!panel.isDisplayed()) {
            browser.findElement(By.id("settings-toggle")).click();
        }
        WebElement field = browser.findElement(By.id(id));
        field.clear();
        if (!value.isEmpty()) {
            field.sendKeys(value);
        }
    }

    /** Pastes ({@code how = "paste"}) or drops ({@code "drop"}) a PNG onto the page, as a person would. */
    private static void attach(byte[] png, String how) {
        js("""
                const bytes = Uint8Array.from(atob(arguments[0]), c => c.charCodeAt(0));
                const data = new DataTransfer();
                data.items.add(new File([bytes], 'image.png', {type: 'image/png'}));
                if (arguments[1] === 'paste') {
                  document.getElementById('prompt').dispatchEvent(
                      new ClipboardEvent('paste', {clipboardData: data, bubbles: true, cancelable: true}));
                } else {
                  document.getElementById('main').dispatchEvent(
                      new DragEvent('drop', {dataTransfer: data, bubbles: true, cancelable: true}));
                }""", Base64.getEncoder().encodeToString(png), how);
    }

    /** The newest answer, once it has finished streaming. */
    private static WebElement lastAnswer() {
        return wait(d -> {
            List<WebElement> answers = d.findElements(By.cssSelector(".message.assistant"));
            WebElement last = answers.isEmpty() ? null : answers.getLast();
            return last != null && !last.getAttribute("class").contains("streaming") ? last : null;
        });
    }

    private static <T> T wait(java.util.function.Function<WebDriver, T> condition) {
        return new WebDriverWait(browser, Duration.ofSeconds(60)).until(condition::apply);
    }

    private static Object js(String script, Object... args) {
        return ((JavascriptExecutor) browser).executeScript(script, args);
    }

    private static int runningRequests() throws Exception {
        HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create(base + "/get_server_info")).build(),
                HttpResponse.BodyHandlers.ofString());
        return JSON.readTree(r.body()).get("num_running_reqs").asInt();
    }

    private static String apiError(String body) throws Exception {
        HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create(base + "/v1/chat/completions"))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(400, r.statusCode(), r.body());
        return JSON.readTree(r.body()).get("error").get("message").asText();
    }

    /** A PNG of coloured noise (incompressible, so its size follows its area). */
    private static byte[] png(int width, int height, long seed) throws IOException {
        BufferedImage image = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
        Random random = new Random(seed);
        for (int y = 0; y < height; y++) {
            for (int x = 0; x < width; x++) {
                image.setRGB(x, y, random.nextInt(0x1000000));
            }
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ImageIO.write(image, "png", out);
        return out.toByteArray();
    }

    private static void screenshot(String name) throws IOException {
        Path dir = Path.of("target/playground");
        Files.createDirectories(dir);
        File shot = ((TakesScreenshot) browser).getScreenshotAs(OutputType.FILE);
        Files.copy(shot.toPath(), dir.resolve(name), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    }
}
