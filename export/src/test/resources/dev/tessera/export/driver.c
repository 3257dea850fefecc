/* Test driver for an exported library "tlib": runs one kernel through tlib_call on inputs filled by a
 * formula the Java test repeats, and prints every output element, one per line. */
#include "tlib.h"
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static float value(long i, int t) { return (float) ((double) ((i * 37 + t * 11) % 101) / 101.0 - 0.5); }

int main(int argc, char **argv) {
    if (argc >= 2 && strcmp(argv[1], "list") == 0) {
        printf("isa %s\n", tlib_isa());
        for (int i = 0; i < tlib_num_kernels(); i++) {
            int nt = -1, nd = -1;
            tlib_kernel_arity(tlib_kernel_name(i), &nt, &nd);
            printf("kernel %s %d %d\n", tlib_kernel_name(i), nt, nd);
        }
        printf("unknown %d\n", tlib_call("nope", NULL, NULL));
        float *buf = aligned_alloc(64, 4096);
        void *misaligned[3] = {(char *) buf + 1, buf, buf};
        printf("misaligned %d %s\n", tlib_call("matmul", misaligned, NULL), tlib_strerror(3));
        printf("threads %d\n", tlib_set_num_threads(3));
        return 0;
    }
    /* kernel ninputs noutputs size... dim... */
    const char *kernel = argv[1];
    int nin = atoi(argv[2]), nout = atoi(argv[3]), nt = nin + nout;
    void *t[16];
    long sizes[16];
    int64_t dims[8];
    for (int i = 0; i < nt; i++) {
        sizes[i] = atol(argv[4 + i]);
        size_t bytes = ((size_t) sizes[i] * 4 + 63) / 64 * 64;
        float *p = aligned_alloc(64, bytes);
        for (long e = 0; e < sizes[i]; e++) p[e] = i < nin ? value(e, i) : -12345.0f;
        t[i] = p;
    }
    int nd = argc - 4 - nt;
    for (int i = 0; i < nd; i++) dims[i] = atol(argv[4 + nt + i]);
    int rc = tlib_call(kernel, t, dims);
    if (rc) {
        printf("error %d %s\n", rc, tlib_strerror(rc));
        return 3;
    }
    if (strcmp(kernel, "matmul") == 0) {  /* the typed entry gives the same result */
        float *again = aligned_alloc(64, ((size_t) sizes[2] * 4 + 63) / 64 * 64);
        if (tlib_matmul(t[0], t[1], again) != 0 || memcmp(again, t[2], (size_t) sizes[2] * 4) != 0) {
            printf("typed entry differs\n");
            return 4;
        }
    }
    for (int i = nin; i < nt; i++)
        for (long e = 0; e < sizes[i]; e++) printf("%.9g\n", ((float *) t[i])[e]);
    return 0;
}
