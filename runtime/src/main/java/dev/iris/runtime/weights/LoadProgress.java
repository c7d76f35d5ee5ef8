package dev.iris.runtime.weights;

/** Told as each checkpoint file is mapped and checked, so the launcher can draw a progress bar. */
@FunctionalInterface
public interface LoadProgress {

    /** Ignores progress. */
    LoadProgress NONE = (filesDone, filesTotal, bytesDone, bytesTotal) -> { };

    /**
     * @param filesDone  files mapped so far
     * @param filesTotal files in the checkpoint
     * @param bytesDone  bytes of those files
     * @param bytesTotal bytes of all files
     */
    void update(int filesDone, int filesTotal, long bytesDone, long bytesTotal);
}
