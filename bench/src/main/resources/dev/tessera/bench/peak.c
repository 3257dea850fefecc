/*
 * The machine's limits, measured in the bench run itself (compiled at run time by the harness with
 * gcc -O2 -march=native -fno-tree-loop-distribute-patterns -pthread).
 *
 *   peak FMA_THREADS... -- COPY_THREADS COPY_MIB
 *
 * FMA peak: each thread runs a loop of independent fused multiply-adds on 12 vector accumulators
 * (zmm with AVX-512, ymm with AVX2+FMA), enough chains to cover the FMA latency on every pipe; the
 * threads start together at a barrier and the rate is threads * flops / slowest thread's time.
 * Stream copy: the threads copy their halves of a COPY_MIB array with full-width vector loads and
 * ordinary (not non-temporal) stores, as generated kernels do; bytes are counted STREAM's way, read
 * plus written (2 x the array), without the write-allocate traffic. Best of 5 trials for each.
 * Prints one JSON object.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <immintrin.h>

#if defined(__AVX512F__)
#define ISA "avx512f (zmm, 16 lanes)"
typedef __m512 vec;
#define LANES 16
#define SET1(x) _mm512_set1_ps(x)
#define FMA(a, b, c) _mm512_fmadd_ps(a, b, c)
#define ADD(a, b) _mm512_add_ps(a, b)
#define LOAD(p) _mm512_load_ps(p)
#define STORE(p, v) _mm512_store_ps(p, v)
static float hsum(vec v) { return _mm512_reduce_add_ps(v); }
#elif defined(__AVX2__) && defined(__FMA__)
#define ISA "avx2+fma (ymm, 8 lanes)"
typedef __m256 vec;
#define LANES 8
#define SET1(x) _mm256_set1_ps(x)
#define FMA(a, b, c) _mm256_fmadd_ps(a, b, c)
#define ADD(a, b) _mm256_add_ps(a, b)
#define LOAD(p) _mm256_load_ps(p)
#define STORE(p, v) _mm256_store_ps(p, v)
static float hsum(vec v) { float t[8]; _mm256_storeu_ps(t, v); float s = 0; for (int i = 0; i < 8; i++) s += t[i]; return s; }
#else
#define ISA "sse (xmm, 4 lanes, multiply + add)"
typedef __m128 vec;
#define LANES 4
#define SET1(x) _mm_set1_ps(x)
#define FMA(a, b, c) _mm_add_ps(_mm_mul_ps(a, b), c)
#define ADD(a, b) _mm_add_ps(a, b)
#define LOAD(p) _mm_load_ps(p)
#define STORE(p, v) _mm_store_ps(p, v)
static float hsum(vec v) { float t[4]; _mm_storeu_ps(t, v); return t[0] + t[1] + t[2] + t[3]; }
#endif

#define ACCUMULATORS 12
#define TRIALS 5

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* 12 independent chains a = a * m + c; m slightly below 1 keeps them bounded and normal. */
static float fma_loop(long iters, float seed) {
    const vec m = SET1(0.99999994f), c = SET1(1e-7f);
    vec a0 = SET1(seed + 0), a1 = SET1(seed + 1), a2 = SET1(seed + 2), a3 = SET1(seed + 3);
    vec a4 = SET1(seed + 4), a5 = SET1(seed + 5), a6 = SET1(seed + 6), a7 = SET1(seed + 7);
    vec a8 = SET1(seed + 8), a9 = SET1(seed + 9), a10 = SET1(seed + 10), a11 = SET1(seed + 11);
    for (long i = 0; i < iters; i++) {
        a0 = FMA(a0, m, c); a1 = FMA(a1, m, c); a2 = FMA(a2, m, c); a3 = FMA(a3, m, c);
        a4 = FMA(a4, m, c); a5 = FMA(a5, m, c); a6 = FMA(a6, m, c); a7 = FMA(a7, m, c);
        a8 = FMA(a8, m, c); a9 = FMA(a9, m, c); a10 = FMA(a10, m, c); a11 = FMA(a11, m, c);
    }
    vec s = ADD(ADD(ADD(a0, a1), ADD(a2, a3)), ADD(ADD(a4, a5), ADD(a6, a7)));
    s = ADD(s, ADD(ADD(a8, a9), ADD(a10, a11)));
    return hsum(s);
}

typedef struct {
    pthread_barrier_t *barrier;
    long iters;
    float *src, *dst;
    size_t n; /* floats in this thread's part of the copy */
    double seconds;
    float sink;
} job;

static void *fma_thread(void *p) {
    job *j = p;
    pthread_barrier_wait(j->barrier);
    double t = now();
    j->sink = fma_loop(j->iters, (float) (size_t) j);
    j->seconds = now() - t;
    return NULL;
}

static void *copy_thread(void *p) {
    job *j = p;
    pthread_barrier_wait(j->barrier);
    double t = now();
    for (size_t i = 0; i < j->n; i += LANES) STORE(j->dst + i, LOAD(j->src + i));
    j->seconds = now() - t;
    return NULL;
}

static void *touch_thread(void *p) {
    job *j = p;
    for (size_t i = 0; i < j->n; i++) { j->src[i] = (float) i; j->dst[i] = 0; }
    return NULL;
}

/* Runs fn on `threads` threads and returns the slowest thread's seconds. */
static double run_threads(int threads, void *(*fn)(void *), job *jobs) {
    pthread_t tid[256];
    pthread_barrier_t barrier;
    pthread_barrier_init(&barrier, NULL, threads);
    for (int t = 0; t < threads; t++) { jobs[t].barrier = &barrier; pthread_create(&tid[t], NULL, fn, &jobs[t]); }
    double slowest = 0;
    for (int t = 0; t < threads; t++) {
        pthread_join(tid[t], NULL);
        if (jobs[t].seconds > slowest) slowest = jobs[t].seconds;
    }
    pthread_barrier_destroy(&barrier);
    return slowest;
}

static double fma_gflops(int threads) {
    job jobs[256];
    double flops_per_iter = 2.0 * ACCUMULATORS * LANES;
    /* Calibrate to about 0.25 s per trial on one thread. */
    double t0 = now();
    volatile float sink = fma_loop(2000000, 1.0f);
    (void) sink;
    double per_iter = (now() - t0) / 2000000;
    long iters = (long) (0.25 / (per_iter > 0 ? per_iter : 1e-9));
    double best = 0;
    for (int trial = 0; trial < TRIALS; trial++) {
        memset(jobs, 0, sizeof jobs);
        for (int t = 0; t < threads; t++) jobs[t].iters = iters;
        double s = run_threads(threads, fma_thread, jobs);
        double rate = threads * iters * flops_per_iter / s / 1e9;
        if (rate > best) best = rate;
    }
    return best;
}

static double copy_gbps(int threads, size_t mib) {
    size_t n = mib * 1024 * 1024 / sizeof(float);
    n -= n % ((size_t) threads * LANES);
    float *src = aligned_alloc(64, n * sizeof(float)), *dst = aligned_alloc(64, n * sizeof(float));
    if (!src || !dst) return -1;
    job jobs[256];
    memset(jobs, 0, sizeof jobs);
    size_t part = n / threads;
    for (int t = 0; t < threads; t++) { jobs[t].src = src + t * part; jobs[t].dst = dst + t * part; jobs[t].n = part; }
    pthread_t tid[256];
    for (int t = 0; t < threads; t++) pthread_create(&tid[t], NULL, touch_thread, &jobs[t]);
    for (int t = 0; t < threads; t++) pthread_join(tid[t], NULL);
    double best = 0;
    for (int trial = 0; trial < TRIALS; trial++) {
        double s = run_threads(threads, copy_thread, jobs);
        double rate = 2.0 * n * sizeof(float) / s / 1e9;
        if (rate > best) best = rate;
    }
    volatile float check = dst[n - 1];
    (void) check;
    free(src);
    free(dst);
    return best;
}

int main(int argc, char **argv) {
    int sep = 1;
    while (sep < argc && strcmp(argv[sep], "--") != 0) sep++;
    if (sep + 2 >= argc) {
        fprintf(stderr, "usage: %s FMA_THREADS... -- COPY_THREADS COPY_MIB\n", argv[0]);
        return 2;
    }
    printf("{\"isa\": \"%s\", \"accumulators\": %d, \"fma_gflops\": {", ISA, ACCUMULATORS);
    for (int i = 1; i < sep; i++) {
        int threads = atoi(argv[i]);
        if (threads < 1 || threads > 256) return 2;
        printf("%s\"%d\": %.3f", i > 1 ? ", " : "", threads, fma_gflops(threads));
        fflush(stdout);
    }
    int copy_threads = atoi(argv[sep + 1]);
    long mib = atol(argv[sep + 2]);
    if (copy_threads < 1 || copy_threads > 256 || mib < 1) return 2;
    printf("}, \"copy_threads\": %d, \"copy_mib\": %ld, \"copy_gbps\": %.3f}\n", copy_threads, mib, copy_gbps(copy_threads, (size_t) mib));
    return 0;
}
