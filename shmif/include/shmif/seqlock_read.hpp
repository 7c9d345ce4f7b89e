// Reading a native bus's ring in place (Cursor::peek() views) races with writers by design:
// what was read is validated afterwards (Cursor::still_valid()), a seqlock read, which
// ThreadSanitizer does not model. Hold a SeqlockReadSection while reading peeked views so that
// a TSan build does not report those reads; it hides the section from TSan (ignored accesses
// race with nothing), so keep it to the reads. Everywhere but under TSan it is empty.
#pragma once

#if defined(__SANITIZE_THREAD__)
extern "C" void __tsan_ignore_thread_begin();
extern "C" void __tsan_ignore_thread_end();
namespace shmif {
struct SeqlockReadSection {
    SeqlockReadSection() { __tsan_ignore_thread_begin(); }
    ~SeqlockReadSection() { __tsan_ignore_thread_end(); }
    SeqlockReadSection(const SeqlockReadSection&) = delete;
    SeqlockReadSection& operator=(const SeqlockReadSection&) = delete;
};
}  // namespace shmif
#else
namespace shmif {
struct SeqlockReadSection {
    SeqlockReadSection() {}  // user-provided: a scope guard, not an unused variable
};
}  // namespace shmif
#endif
