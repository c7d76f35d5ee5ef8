package dev.iris.cli;

import java.io.PrintStream;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.Locale;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

/**
 * The server's log on stderr in SGLang's form, {@code [YYYY-MM-DD HH:MM:SS] message}, so
 * operators' scripts and habits carry over. Every module logs through {@link System.Logger}, which
 * lands in {@code java.util.logging} here.
 */
final class ConsoleLog {

    private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss", Locale.ROOT);
    /** The HTTP access log's logger (one line per answered request). */
    private static final String ACCESS = "dev.iris.http.access";

    /** Fills in a record's parameters ({@code {0}}); its own format is never used. */
    private static final java.util.logging.Formatter MESSAGE = new java.util.logging.SimpleFormatter();

    /** JUL holds loggers weakly: a configured level is lost with its logger unless someone keeps it. */
    private static final java.util.List<Logger> CONFIGURED = new java.util.concurrent.CopyOnWriteArrayList<>();

    private ConsoleLog() {
    }

    /**
     * @param level     {@code --log-level}: debug, info, warning, error or critical
     * @param httpLevel {@code --log-level-http}, or null for {@code level}
     * @throws UsageException for an unknown level name
     */
    static void configure(String level, String httpLevel, PrintStream err) {
        Level root = parse(level, "--log-level");
        Level http = httpLevel == null ? root : parse(httpLevel, "--log-level-http");
        Logger top = Logger.getLogger("");
        for (Handler h : top.getHandlers()) {
            top.removeHandler(h);
        }
        top.addHandler(new Handler() {
            @Override
            public void publish(LogRecord r) {
                if (!isLoggable(r)) {
                    return;
                }
                StringBuilder line = new StringBuilder().append('[').append(TIME.format(LocalDateTime.now())).append("] ");
                if (r.getLevel().intValue() >= Level.WARNING.intValue()) {
                    line.append(r.getLevel() == Level.WARNING ? "WARNING: " : "ERROR: ");
                }
                line.append(MESSAGE.formatMessage(r));
                if (r.getThrown() != null) {
                    line.append(": ").append(r.getThrown());
                }
                err.println(line);
                if (r.getThrown() != null && root.intValue() <= Level.FINE.intValue()) {
                    r.getThrown().printStackTrace(err);
                }
            }

            @Override
            public void flush() {
                err.flush();
            }

            @Override
            public void close() {
                flush();
            }
        });
        top.setLevel(root);
        Logger access = Logger.getLogger(ACCESS);
        access.setLevel(http);
        // Helidon's own start-up chatter says what our lines say already; its JUL provider must not
        // replace this configuration.
        System.setProperty("io.helidon.logging.config.disabled", "true");
        Logger helidon = Logger.getLogger("io.helidon");
        helidon.setLevel(root.intValue() < Level.WARNING.intValue() ? Level.WARNING : root);
        CONFIGURED.addAll(java.util.List.of(top, access, helidon));
    }

    private static Level parse(String name, String flag) {
        return switch (name.toLowerCase(Locale.ROOT)) {
            case "debug" -> Level.FINE;
            case "info" -> Level.INFO;
            case "warning", "warn" -> Level.WARNING;
            case "error", "critical" -> Level.SEVERE;
            default -> throw new UsageException("argument " + flag + ": invalid choice: '" + name
                    + "' (choose from 'debug', 'info', 'warning', 'error', 'critical')");
        };
    }
}
