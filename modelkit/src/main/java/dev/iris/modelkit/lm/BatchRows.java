package dev.iris.modelkit.lm;

import dev.iris.api.model.ForwardBatch;
import dev.iris.api.model.Positions;
import dev.iris.api.model.SequenceInput;

/**
 * A forward batch's sequences laid out as the decoder's rows: every token id and its position
 * (on the decoder's axes) in batch order, where each sequence starts, and which rows need logits
 * (each sequence's last {@link SequenceInput#logitRows()} rows).
 *
 * @param ids        token ids, one per row
 * @param positions  positions on the decoder's axes (a 1-axis sequence is repeated on every axis)
 * @param firstRow   per sequence, its first row
 * @param logitRows  the rows whose logits are wanted, in sequence order
 */
public record BatchRows(int[] ids, Positions positions, int[] firstRow, int[] logitRows) {

    public static BatchRows of(ForwardBatch batch, int axes) {
        int rows = batch.attention().totalQueryRows();
        int[] ids = new int[rows];
        int[] values = new int[axes * rows];
        int[] first = new int[batch.sequences().size()];
        int logits = 0;
        for (SequenceInput s : batch.sequences()) {
            logits += s.logitRows();
        }
        int[] logitRows = new int[logits];
        int row = 0;
        int l = 0;
        for (int i = 0; i < batch.sequences().size(); i++) {
            SequenceInput s = batch.sequences().get(i);
            first[i] = row;
            int[] t = s.tokenIds();
            for (int j = 0; j < t.length; j++, row++) {
                ids[row] = t[j];
                for (int a = 0; a < axes; a++) {
                    values[a * rows + row] = s.positions().at(Math.min(a, s.positions().axes() - 1), j);
                }
            }
            for (int k = s.logitRows(); k > 0; k--) {
                logitRows[l++] = row - k;
            }
        }
        return new BatchRows(ids, new Positions(axes, values), first, logitRows);
    }
}
