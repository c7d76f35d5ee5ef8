package dev.iris.runtime.hub;

import java.io.IOException;

/** A Hub answer that trying again will not change: gated, missing, or a file that fails its checksum. */
public final class HubException extends IOException {

    public HubException(String message) {
        super(message);
    }
}
