package dev.iris.modelkit.engine;

import dev.iris.runtime.engine.Engine;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

/** The engine's log lines from opening to closing (its System.Logger goes to java.util.logging in tests). */
final class EngineLog extends Handler implements AutoCloseable {

    final List<String> lines = Collections.synchronizedList(new ArrayList<>());
    private final Logger logger = Logger.getLogger(Engine.class.getName());

    EngineLog() {
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
