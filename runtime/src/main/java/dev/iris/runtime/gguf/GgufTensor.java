package dev.iris.runtime.gguf;

import dev.iris.api.quant.GgmlType;
import dev.iris.api.tensor.Shape;

import java.lang.foreign.MemorySegment;

/**
 * One tensor of a GGUF file: its name, element type, shape and bytes (a view of the mapping).
 *
 * @param shape row-major, as a Hugging Face checkpoint states it: the reverse of GGUF's
 *              {@code ne} order, so the last dimension is the row the blocks run along
 * @param data  exactly {@code type.bytes(shape.elementCount())} bytes
 */
public record GgufTensor(String name, GgmlType type, Shape shape, MemorySegment data) {
}
