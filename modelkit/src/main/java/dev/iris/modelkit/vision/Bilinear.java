package dev.iris.modelkit.vision;

/**
 * PyTorch's {@code interpolate(mode="bilinear", align_corners=False)} without antialiasing, on a
 * feature map stored as rows of features ({@code [h·w, d]}, row-major over the grid), in float
 * arithmetic as its CPU kernel does (LLaVA-OneVision shrinks its feature maps this way).
 */
public final class Bilinear {

    private Bilinear() {
    }

    /** {@code [h·w, d]} → {@code [outH·outW, d]}. */
    public static float[] resize(float[] map, int h, int w, int d, int outH, int outW) {
        float[] out = new float[outH * outW * d];
        float scaleY = (float) h / outH;
        float scaleX = (float) w / outW;
        for (int oy = 0; oy < outH; oy++) {
            float sy = Math.max(0f, scaleY * (oy + 0.5f) - 0.5f);
            int y0 = (int) sy;
            int y1 = y0 + (y0 < h - 1 ? 1 : 0);
            float ly1 = sy - y0;
            float ly0 = 1f - ly1;
            for (int ox = 0; ox < outW; ox++) {
                float sx = Math.max(0f, scaleX * (ox + 0.5f) - 0.5f);
                int x0 = (int) sx;
                int x1 = x0 + (x0 < w - 1 ? 1 : 0);
                float lx1 = sx - x0;
                float lx0 = 1f - lx1;
                int o = (oy * outW + ox) * d;
                int a = (y0 * w + x0) * d;
                int b = (y0 * w + x1) * d;
                int c = (y1 * w + x0) * d;
                int e = (y1 * w + x1) * d;
                for (int k = 0; k < d; k++) {
                    out[o + k] = ly0 * (lx0 * map[a + k] + lx1 * map[b + k]) + ly1 * (lx0 * map[c + k] + lx1 * map[e + k]);
                }
            }
        }
        return out;
    }
}
