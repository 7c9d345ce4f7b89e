// The bus readers' copy is a seqlock read: it races with writers by design and is validated
// afterwards with fences, which ThreadSanitizer does not model. Under TSan that section is
// hidden from it (ignored accesses race with nothing); everywhere else this is empty.
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
