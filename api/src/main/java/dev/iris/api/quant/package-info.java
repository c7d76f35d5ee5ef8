/**
 * llama.cpp's tensor types and block formats: {@link dev.iris.api.quant.GgmlType} names them,
 * {@link dev.iris.api.quant.Dequantizer} turns blocks back into values exactly as llama.cpp's
 * reference code does, {@link dev.iris.api.quant.Quantizer} writes the Q8_0 and Q4_0 blocks
 * llama.cpp's reference quantization writes. Shared by the GGUF reader and the backends' kernels.
 */
package dev.iris.api.quant;
