/*
 * Tessera's C runtime for exported kernel libraries: the thread pool behind `parallel` loops, and
 * the pool of large temporaries (at the end of this file).
 *
 * Generated kernels call tessera_parallel_for(fn, closure, min, extent), exactly as they call the
 * JVM's upcall when JIT-compiled. This file implements it with one long-lived pthread pool (no
 * thread creation per call): a call cuts [min, min + extent) into up to CHUNKS_PER_THREAD chunks per
 * thread (the workers plus the calling thread), which the threads claim one at a time and run as
 * fn(begin, end, closure), and waits for them all.
 * A parallel loop met inside a chunk (nested parallelism) runs its whole range inline.
 *
 * An idle thread spins for TESSERA_SPIN_US microseconds (default 200; 0: never) before it sleeps:
 * a worker waiting for the next loop, the caller waiting for the last chunks. Kernels called back to
 * back, and a kernel's successive parallel loops, then find the workers awake.
 *
 * The pool size is TESSERA_NUM_THREADS, else the number of online CPUs, read when the first parallel
 * loop runs; tessera_runtime_set_num_threads changes it. Calls from several application threads
 * are serialized on the pool. Every symbol is weak so that two exported libraries linked statically
 * into one program share one definition instead of clashing.
 */
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#define TESSERA_WEAK __attribute__((weak))

typedef void (*tessera_chunk_fn)(int64_t begin, int64_t end, void *closure);

static pthread_mutex_t pool_lock = PTHREAD_MUTEX_INITIALIZER;   /* guards the job and the workers */
static pthread_mutex_t call_lock = PTHREAD_MUTEX_INITIALIZER;   /* one parallel loop at a time */
static pthread_cond_t work_ready = PTHREAD_COND_INITIALIZER;
static pthread_cond_t work_done = PTHREAD_COND_INITIALIZER;
static pthread_t *workers;
static int worker_count;        /* threads besides the caller */
static int pool_started;
static int stopping;
static __thread int in_parallel;

/* The current job. `claim` packs (generation << 32 | next chunk) so that a worker that woke late
 * for an old job can never claim a chunk of a newer one. */
static uint64_t generation;
static uint64_t claim;
static int64_t remaining;
static tessera_chunk_fn job_fn;
static void *job_closure;
static int64_t job_min, job_extent, job_chunks;

#define CHUNKS_PER_THREAD 8

static int64_t spin_ns = -1;   /* read from TESSERA_SPIN_US when the pool starts */

static int64_t now_ns(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (int64_t) t.tv_sec * 1000000000 + t.tv_nsec;
}

static void cpu_relax(void) {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#endif
}

/* Spins for at most spin_ns while *word == value; returns whether it changed. */
static int spin_while_equal(const uint64_t *word, uint64_t value) {
    if (__atomic_load_n(word, __ATOMIC_ACQUIRE) != value) return 1;
    if (spin_ns <= 0) return 0;
    int64_t start = now_ns();
    for (int i = 1;; i++) {
        cpu_relax();
        if (__atomic_load_n(word, __ATOMIC_ACQUIRE) != value) return 1;
        if ((i & 63) == 0 && now_ns() - start > spin_ns) return 0;
    }
}

static int64_t default_spin_ns(void) {
    const char *s = getenv("TESSERA_SPIN_US");
    if (s && *s) {
        char *end;
        long us = strtol(s, &end, 10);
        if (*end == '\0' && us >= 0 && us <= 1000000) return (int64_t) us * 1000;
    }
    return 200 * 1000;
}

static int default_threads(void) {
    const char *s = getenv("TESSERA_NUM_THREADS");
    if (s && *s) {
        char *end;
        long n = strtol(s, &end, 10);
        if (*end == '\0' && n >= 1 && n <= 4096) return (int) n;
    }
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n >= 1 ? (int) n : 1;
}

/* Claims and runs chunks of job `gen` until none is left; returns how many it ran. */
static void run_chunks(uint64_t gen, tessera_chunk_fn fn, void *closure, int64_t min, int64_t extent, int64_t chunks) {
    for (;;) {
        uint64_t c = __atomic_load_n(&claim, __ATOMIC_ACQUIRE);
        if ((c >> 32) != (gen & 0xffffffffu)) return;
        int64_t index = (int64_t) (c & 0xffffffffu);
        if (index >= chunks) return;
        if (!__atomic_compare_exchange_n(&claim, &c, c + 1, 0, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) continue;
        int64_t base = extent / chunks, rest = extent % chunks;
        int64_t begin = min + index * base + (index < rest ? index : rest);
        int64_t end = begin + base + (index < rest ? 1 : 0);
        fn(begin, end, closure);
        if (__atomic_sub_fetch(&remaining, 1, __ATOMIC_ACQ_REL) == 0) {
            pthread_mutex_lock(&pool_lock);
            pthread_cond_broadcast(&work_done);
            pthread_mutex_unlock(&pool_lock);
        }
    }
}

static void *worker_main(void *unused) {
    (void) unused;
    in_parallel = 1;
    uint64_t seen = 0;
    pthread_mutex_lock(&pool_lock);
    seen = generation;
    for (;;) {
        if (generation == seen && !stopping) {
            pthread_mutex_unlock(&pool_lock);
            spin_while_equal(&generation, seen);
            pthread_mutex_lock(&pool_lock);
        }
        while (generation == seen && !stopping) pthread_cond_wait(&work_ready, &pool_lock);
        if (stopping) break;
        seen = generation;
        tessera_chunk_fn fn = job_fn;
        void *closure = job_closure;
        int64_t min = job_min, extent = job_extent, chunks = job_chunks;
        pthread_mutex_unlock(&pool_lock);
        run_chunks(seen, fn, closure, min, extent, chunks);
        pthread_mutex_lock(&pool_lock);
    }
    pthread_mutex_unlock(&pool_lock);
    return NULL;
}

/* Starts `threads - 1` workers; call with call_lock held. */
static void start_pool(int threads) {
    if (spin_ns < 0) spin_ns = default_spin_ns();
    workers = threads > 1 ? calloc((size_t) threads - 1, sizeof(pthread_t)) : NULL;
    worker_count = 0;
    stopping = 0;
    for (int i = 0; workers && i < threads - 1; i++) {
        if (pthread_create(&workers[i], NULL, worker_main, NULL) != 0) break;  /* run with fewer threads */
        worker_count++;
    }
    pool_started = 1;
}

/* Stops and joins the workers; call with call_lock held. */
static void stop_pool(void) {
    if (!pool_started) return;
    pthread_mutex_lock(&pool_lock);
    stopping = 1;
    pthread_cond_broadcast(&work_ready);
    pthread_mutex_unlock(&pool_lock);
    for (int i = 0; i < worker_count; i++) pthread_join(workers[i], NULL);
    free(workers);
    workers = NULL;
    worker_count = 0;
    pool_started = 0;
}

/** Sets the number of threads parallel loops use (workers plus the caller); n < 1 means the default. */
TESSERA_WEAK void tessera_runtime_set_num_threads(int n) {
    pthread_mutex_lock(&call_lock);
    stop_pool();
    start_pool(n >= 1 ? n : default_threads());
    pthread_mutex_unlock(&call_lock);
}

/** The number of threads parallel loops use. */
TESSERA_WEAK int tessera_runtime_num_threads(void) {
    pthread_mutex_lock(&call_lock);
    if (!pool_started) start_pool(default_threads());
    int n = worker_count + 1;
    pthread_mutex_unlock(&call_lock);
    return n;
}

TESSERA_WEAK void tessera_parallel_for(tessera_chunk_fn fn, void *closure, int64_t min, int64_t extent) {
    if (extent <= 0) return;
    if (in_parallel) {
        fn(min, min + extent, closure);
        return;
    }
    pthread_mutex_lock(&call_lock);
    if (!pool_started) start_pool(default_threads());
    /* Up to CHUNKS_PER_THREAD chunks per thread, claimed one at a time by whichever thread is free:
       a thread slowed by another process on its core, or chunks of unequal cost, delay no one. */
    int64_t chunks = (int64_t) (worker_count + 1) * CHUNKS_PER_THREAD;
    if (chunks > extent) chunks = extent;
    if (worker_count == 0 || chunks <= 1 || chunks > 0xffffffffLL) {
        pthread_mutex_unlock(&call_lock);
        in_parallel = 1;
        fn(min, min + extent, closure);
        in_parallel = 0;
        return;
    }
    pthread_mutex_lock(&pool_lock);
    uint64_t gen = generation + 1;
    job_fn = fn;
    job_closure = closure;
    job_min = min;
    job_extent = extent;
    job_chunks = chunks;
    __atomic_store_n(&remaining, chunks, __ATOMIC_RELEASE);
    __atomic_store_n(&claim, (gen & 0xffffffffu) << 32, __ATOMIC_RELEASE);
    __atomic_store_n(&generation, gen, __ATOMIC_RELEASE);  /* last: a spinning worker reads the job after it */
    pthread_cond_broadcast(&work_ready);
    pthread_mutex_unlock(&pool_lock);

    in_parallel = 1;
    run_chunks(gen, fn, closure, min, extent, chunks);
    in_parallel = 0;
    /* The closure lives on this thread's stack: never return before every chunk is done. */
    if (spin_ns > 0) {
        int64_t start = now_ns();
        for (int i = 1; __atomic_load_n(&remaining, __ATOMIC_ACQUIRE) != 0; i++) {
            cpu_relax();
            if ((i & 63) == 0 && now_ns() - start > spin_ns) break;
        }
    }
    pthread_mutex_lock(&pool_lock);
    while (__atomic_load_n(&remaining, __ATOMIC_ACQUIRE) != 0) pthread_cond_wait(&work_done, &pool_lock);
    pthread_mutex_unlock(&pool_lock);
    pthread_mutex_unlock(&call_lock);
}

/*
 * Large kernel temporaries (a packed weight, a padded image): generated kernels take those of at
 * least 64 KiB from tessera_alloc and give them back with tessera_free, as they do with the JVM's
 * pool when JIT-compiled. A freed block is kept for the next request of the same size (up to
 * POOL_SLOTS blocks and POOL_MAX_BYTES in all) instead of going back to libc, which may return its
 * pages to the system and fault them in again on the next call.
 */
#define POOL_SLOTS 32
#define POOL_MAX_BYTES ((int64_t) 1 << 30)

static pthread_mutex_t block_lock = PTHREAD_MUTEX_INITIALIZER;
static void *block_ptr[POOL_SLOTS];
static int64_t block_bytes[POOL_SLOTS];
static int64_t cached_bytes;

TESSERA_WEAK void *tessera_alloc(int64_t bytes) {
    pthread_mutex_lock(&block_lock);
    for (int i = 0; i < POOL_SLOTS; i++) {
        if (block_ptr[i] != NULL && block_bytes[i] == bytes) {
            void *p = block_ptr[i];
            block_ptr[i] = NULL;
            cached_bytes -= bytes;
            pthread_mutex_unlock(&block_lock);
            return p;
        }
    }
    pthread_mutex_unlock(&block_lock);
    return aligned_alloc(64, (size_t) bytes);
}

TESSERA_WEAK void tessera_free(void *p, int64_t bytes) {
    if (p == NULL) return;
    pthread_mutex_lock(&block_lock);
    if (cached_bytes + bytes <= POOL_MAX_BYTES) {
        for (int i = 0; i < POOL_SLOTS; i++) {
            if (block_ptr[i] == NULL) {
                block_ptr[i] = p;
                block_bytes[i] = bytes;
                cached_bytes += bytes;
                pthread_mutex_unlock(&block_lock);
                return;
            }
        }
    }
    pthread_mutex_unlock(&block_lock);
    free(p);
}
