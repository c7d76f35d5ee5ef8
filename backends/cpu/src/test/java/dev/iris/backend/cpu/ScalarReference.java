package dev.iris.backend.cpu;

import dev.iris.api.compute.Activation;
import dev.iris.api.compute.RotaryLayout;

/**
 * The obviously-correct versions of the CPU kernels: plain loops, one element at a time, with
 * double accumulation where a sum is involved. Tests compare the vector kernels to these.
 */
final class ScalarReference {

    private ScalarReference() {
    }

    /** y[n, m] = x[n, k] · w[m, k]ᵀ + bias. */
    static float[] linear(float[] x, int n, int k, float[] w, int m, float[] bias) {
        float[] y = new float[n * m];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < m; j++) {
                double s = bias == null ? 0 : bias[j];
                for (int c = 0; c < k; c++) {
                    s += (double) x[i * k + c] * w[j * k + c];
                }
                y[i * m + j] = (float) s;
            }
        }
        return y;
    }

    /** Σ |x·w| per output: the scale a summation-order error is measured against. */
    static float[] linearMagnitude(float[] x, int n, int k, float[] w, int m) {
        float[] y = new float[n * m];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < m; j++) {
                double s = 0;
                for (int c = 0; c < k; c++) {
                    s += Math.abs((double) x[i * k + c] * w[j * k + c]);
                }
                y[i * m + j] = (float) s;
            }
        }
        return y;
    }

    static float[] rmsNorm(float[] x, int d, float[] w, float eps) {
        float[] y = new float[x.length];
        for (int r = 0; r < x.length / d; r++) {
            double ss = 0;
            for (int i = 0; i < d; i++) {
                ss += (double) x[r * d + i] * x[r * d + i];
            }
            double inv = 1 / Math.sqrt(ss / d + eps);
            for (int i = 0; i < d; i++) {
                y[r * d + i] = (float) (x[r * d + i] * inv * w[i]);
            }
        }
        return y;
    }

    static float[] layerNorm(float[] x, int d, float[] w, float[] b, float eps) {
        float[] y = new float[x.length];
        for (int r = 0; r < x.length / d; r++) {
            double mean = 0;
            for (int i = 0; i < d; i++) {
                mean += x[r * d + i];
            }
            mean /= d;
            double var = 0;
            for (int i = 0; i < d; i++) {
                var += (x[r * d + i] - mean) * (x[r * d + i] - mean);
            }
            double inv = 1 / Math.sqrt(var / d + eps);
            for (int i = 0; i < d; i++) {
                y[r * d + i] = (float) ((x[r * d + i] - mean) * inv * w[i] + b[i]);
            }
        }
        return y;
    }

    static float[] rotary(float[] x, int tokens, int heads, int headDim, float[] cos, float[] sin, int half,
                          RotaryLayout layout) {
        float[] y = x.clone();
        for (int t = 0; t < tokens; t++) {
            for (int h = 0; h < heads; h++) {
                int o = (t * heads + h) * headDim;
                for (int i = 0; i < half; i++) {
                    int ia = layout == RotaryLayout.HALF ? o + i : o + 2 * i;
                    int ib = layout == RotaryLayout.HALF ? o + half + i : o + 2 * i + 1;
                    double c = cos[t * half + i];
                    double s = sin[t * half + i];
                    y[ia] = (float) (x[ia] * c - x[ib] * s);
                    y[ib] = (float) (x[ib] * c + x[ia] * s);
                }
            }
        }
        return y;
    }

    static float activation(Activation f, float xf) {
        double x = xf;
        return (float) switch (f) {
            case SILU -> x / (1 + Math.exp(-x));
            case QUICK_GELU -> x / (1 + Math.exp(-1.702 * x));
            case GELU_ERF -> 0.5 * x * (1 + erf(x / Math.sqrt(2)));
            case GELU_TANH -> 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x * x * x)));
            case TANH -> Math.tanh(x);
        };
    }

    /** erf by its Maclaurin series (|x| < 3) or continued fraction (beyond), to double precision. */
    static double erf(double x) {
        double ax = Math.abs(x);
        double r;
        if (ax < 3) {
            double term = ax;
            double sum = ax;
            for (int n = 1; n < 200 && Math.abs(term) > 1e-17 * Math.abs(sum); n++) {
                term *= -ax * ax / n;
                sum += term / (2 * n + 1);
            }
            r = 2 / Math.sqrt(Math.PI) * sum;
        } else {
            // erfc(x) = e^{-x²}/√π · 1/(x + 1/2/(x + 1/(x + 3/2/(x + …))))
            double f = ax;
            for (int n = 60; n >= 1; n--) {
                f = ax + (n / 2.0) / f;
            }
            r = 1 - Math.exp(-ax * ax) / Math.sqrt(Math.PI) / f;
        }
        return Math.copySign(r, x);
    }

    static float[] softmax(float[] x, int d) {
        float[] y = new float[x.length];
        for (int r = 0; r < x.length / d; r++) {
            double max = Double.NEGATIVE_INFINITY;
            for (int i = 0; i < d; i++) {
                max = Math.max(max, x[r * d + i]);
            }
            double sum = 0;
            for (int i = 0; i < d; i++) {
                sum += Math.exp(x[r * d + i] - max);
            }
            for (int i = 0; i < d; i++) {
                y[r * d + i] = max == Double.NEGATIVE_INFINITY ? 0f : (float) (Math.exp(x[r * d + i] - max) / sum);
            }
        }
        return y;
    }

    /**
     * Dense attention of one query row and head over {@code count} key rows:
     * {@code keys[t]} and {@code values[t]} are {@code d} long; mask may be null.
     */
    static float[] attend(float[] q, float[][] keys, float[][] values, int count, float scale, float[] mask) {
        int d = q.length;
        double[] s = new double[count];
        double max = Double.NEGATIVE_INFINITY;
        for (int t = 0; t < count; t++) {
            double dot = 0;
            for (int i = 0; i < d; i++) {
                dot += (double) q[i] * keys[t][i];
            }
            s[t] = dot * scale + (mask == null ? 0 : mask[t]);
            max = Math.max(max, s[t]);
        }
        float[] out = new float[d];
        if (count == 0 || max == Double.NEGATIVE_INFINITY) {
            return out;
        }
        double sum = 0;
        for (int t = 0; t < count; t++) {
            s[t] = Math.exp(s[t] - max);
            sum += s[t];
        }
        for (int i = 0; i < d; i++) {
            double acc = 0;
            for (int t = 0; t < count; t++) {
                acc += s[t] / sum * values[t][i];
            }
            out[i] = (float) acc;
        }
        return out;
    }
}
