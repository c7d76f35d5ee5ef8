/*
 * Memory for repacked weights, compiled into each native kernel library: outside the Java heap
 * and its direct-memory limit (which a model's weights exceed); anonymous pages, huge pages where
 * the kernel allows them (a decode step streams every panel once, so fewer TLB misses). Null
 * when the memory cannot be mapped.
 */
#include <stdint.h>
#include <sys/mman.h>

void *iris_native_alloc(int64_t bytes) {
    void *p = mmap(0, (size_t) bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) return 0;
    madvise(p, (size_t) bytes, MADV_HUGEPAGE);
    return p;
}

void iris_native_free(void *p, int64_t bytes) {
    munmap(p, (size_t) bytes);
}

