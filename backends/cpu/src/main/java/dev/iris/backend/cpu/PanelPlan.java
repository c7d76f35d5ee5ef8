package dev.iris.backend.cpu;

/**
 * How one weight's product with {@code n} rows is cut into pool tasks, for the kernels that hold
 * a weight as panels of {@code panel} outputs: ranges of panels, and for a prompt's many rows
 * also blocks of rows (whole tiles of 6), so the threads finish an op together — 8 tasks per
 * thread for a decode step's few rows, 32 for a prompt chunk, whose tasks are long (the last one
 * otherwise leaves a core idle for ~10%).
 */
record PanelPlan(int panel, int count, int rowsPer, int blocks, int panelTasks) {

    /** Fewest rows of x in one task of a prompt chunk: eight tiles of six. */
    private static final int ROW_BLOCK = 48;

    static PanelPlan of(CpuThreads pool, int n, int m, int panel) {
        int count = (m + panel - 1) / panel;
        int target = pool.threads() * (n >= ROW_BLOCK ? 32 : 8);
        int rowBlocks = Math.max(1, Math.min(n / ROW_BLOCK, (target + count - 1) / count));
        int rowsPer = ((n + rowBlocks - 1) / rowBlocks + 5) / 6 * 6;
        int blocks = (n + rowsPer - 1) / rowsPer;
        return new PanelPlan(panel, count, rowsPer, blocks, Math.min(count, (target + blocks - 1) / blocks));
    }

    int tasks() {
        return panelTasks * blocks;
    }

    int firstRow(int t) {
        return t % blocks * rowsPer;
    }

    int rows(int t, int n) {
        return Math.min(rowsPer, n - firstRow(t));
    }

    /** Task t's first output: the start of its first panel. */
    int firstOutput(int t) {
        return (int) ((long) count * (t / blocks) / panelTasks) * panel;
    }

    int outputs(int t, int m) {
        int p1 = (int) ((long) count * (t / blocks + 1) / panelTasks);
        return Math.min(m, p1 * panel) - firstOutput(t);
    }
}
