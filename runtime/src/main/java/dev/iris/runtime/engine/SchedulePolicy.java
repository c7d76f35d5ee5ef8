package dev.iris.runtime.engine;

import java.util.Locale;

/** The order in which waiting requests are admitted ({@code --schedule-policy}). */
public enum SchedulePolicy {
    /** First come, first served. */
    FCFS,
    /**
     * Longest prefix match: requests with the most prompt tokens in the prefix cache first, so
     * cached pages are reused before they are evicted. Falls back to arrival order when the queue
     * is long (sorting it every step would cost more than it saves) or the cache is off.
     */
    LPM;

    /** The policy named {@code fcfs} or {@code lpm}. */
    public static SchedulePolicy named(String name) {
        try {
            return valueOf(name.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("unknown schedule policy '" + name + "' (fcfs, lpm)");
        }
    }
}
