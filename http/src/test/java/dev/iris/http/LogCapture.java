package dev.iris.http;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

/** The messages one logger publishes while it is open (the server logs through System.Logger, i.e. JUL). */
final class LogCapture extends Handler implements AutoCloseable {

    final List<String> lines = Collections.synchronizedList(new ArrayList<>());
    private final Logger logger;

    LogCapture(String loggerName) {
        logger = Logger.getLogger(loggerName);
        logger.addHandler(this);
    }

    @Override
    public void publish(LogRecord record) {
        lines.add(record.getMessage());
    }

    @Override
    public void flush() {
    }

    @Override
    public void close() {
        logger.removeHandler(this);
    }
}
