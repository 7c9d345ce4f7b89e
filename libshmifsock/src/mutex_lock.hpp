// A scoped lock on a pthread mutex: the library's mutexes are pthread ones so that a fork
// handler can initialise them afresh in the child (std::mutex offers no such thing).
#pragma once

#include <pthread.h>

namespace shmifsock {

class MutexLock {
  public:
    explicit MutexLock(pthread_mutex_t& mutex) : mutex_(mutex) { pthread_mutex_lock(&mutex_); }
    ~MutexLock() { pthread_mutex_unlock(&mutex_); }
    MutexLock(const MutexLock&) = delete;
    MutexLock& operator=(const MutexLock&) = delete;

  private:
    pthread_mutex_t& mutex_;
};

}  // namespace shmifsock
