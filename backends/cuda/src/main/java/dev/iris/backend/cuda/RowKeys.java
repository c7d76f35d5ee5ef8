package dev.iris.backend.cuda;

import dev.iris.api.attention.AttentionBatch;
import dev.iris.api.attention.AttentionSequence;

/**
 * Which keys each query row reads, as the {@code attend} kernel takes it: one int table holding,
 * one after another, the slots new rows are written to, each row's first key and key count, the
 * start of its page table (-1: keys are rows of a dense tensor) and the page tables themselves.
 * Built on the host in one pass, uploaded in one copy.
 *
 * @param rows     query rows
 * @param pageSize slots per page
 * @param table    slots[rows], firstKey[rows], keyCount[rows], pageStart[rows], pages[...]
 */
record RowKeys(int rows, int pageSize, int[] table) {

    /** Byte offsets of the parts within the uploaded table. */
    long slotsAt() {
        return 0;
    }

    long firstKeyAt() {
        return (long) rows * Integer.BYTES;
    }

    long keyCountAt() {
        return 2L * rows * Integer.BYTES;
    }

    long pageStartAt() {
        return 3L * rows * Integer.BYTES;
    }

    long pagesAt() {
        return 4L * rows * Integer.BYTES;
    }

    /** Causal self-attention: row i of a sequence reads its cached tokens and the new ones up to itself. */
    static RowKeys causal(AttentionBatch batch, int pageSize) {
        int rows = batch.totalQueryRows();
        int pages = 0;
        for (AttentionSequence s : batch.sequences()) {
            pages += (s.totalLength() + pageSize - 1) / pageSize;
        }
        int[] t = new int[4 * rows + pages];
        int page = 4 * rows;
        for (AttentionSequence s : batch.sequences()) {
            int[] pt = s.pageTable();
            int used = (s.totalLength() + pageSize - 1) / pageSize;
            System.arraycopy(pt, 0, t, page, used);
            for (int i = 0; i < s.queryLength(); i++) {
                int r = s.queryOffset() + i;
                int token = s.cachedLength() + i;
                t[r] = pt[token / pageSize] * pageSize + token % pageSize;
                t[rows + r] = 0;
                t[2 * rows + r] = token + 1;
                t[3 * rows + r] = page - 4 * rows;
            }
            page += used;
        }
        return new RowKeys(rows, pageSize, t);
    }

    /** Cross-attention: every row of a sequence reads all of the sequence's encoder rows. */
    static RowKeys encoder(AttentionBatch batch, int pageSize) {
        int rows = batch.totalQueryRows();
        int pages = 0;
        for (AttentionSequence s : batch.sequences()) {
            pages += (s.encoderLength() + pageSize - 1) / pageSize;
        }
        int[] t = new int[4 * rows + pages];
        int page = 4 * rows;
        for (AttentionSequence s : batch.sequences()) {
            int used = (s.encoderLength() + pageSize - 1) / pageSize;
            System.arraycopy(s.encoderPageTable(), 0, t, page, used);
            for (int i = 0; i < s.queryLength(); i++) {
                int r = s.queryOffset() + i;
                t[rows + r] = 0;
                t[2 * rows + r] = s.encoderLength();
                t[3 * rows + r] = page - 4 * rows;
            }
            page += used;
        }
        return new RowKeys(rows, pageSize, t);
    }

    /** Block-diagonal attention: a row reads the rows of its own block of a dense tensor. */
    static RowKeys blocks(int[] blockStarts, int rows) {
        int[] t = new int[4 * rows];
        for (int b = 0; b < blockStarts.length; b++) {
            int start = blockStarts[b];
            int end = b + 1 < blockStarts.length ? blockStarts[b + 1] : rows;
            if (start < 0 || end > rows || start > end) {
                throw new IllegalArgumentException("block " + b + " [" + start + ", " + end + ") of " + rows + " rows");
            }
            for (int r = start; r < end; r++) {
                t[rows + r] = start;
                t[2 * rows + r] = end - start;
                t[3 * rows + r] = -1;
            }
        }
        return new RowKeys(rows, 1, t);
    }
}
