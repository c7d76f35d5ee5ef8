package dev.iris.backend.cuda;

import org.bytedeco.javacpp.Pointer;

/** A JavaCPP pointer at a raw address (device memory, or a mapped host segment), owning nothing. */
final class HostAddress extends Pointer {

    HostAddress(long address) {
        this.address = address;
    }
}
