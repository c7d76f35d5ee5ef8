/**
 * Tensor handles and checkpoint tensors: {@link dev.iris.api.tensor.Tensor} (owned by a compute
 * backend), {@link dev.iris.api.tensor.WeightTensor} and {@link dev.iris.api.tensor.WeightSource}
 * (bytes of a checkpoint on disk), {@link dev.iris.api.tensor.DType} and
 * {@link dev.iris.api.tensor.Shape}.
 */
package dev.iris.api.tensor;
