package dev.tessera.target.cuda;

/** Hand-written CUDA kernels the compiler and runtime tests share. */
final class Kernels {
    private Kernels() {}

    /**
     * Three kernels in one source, so one compilation covers a guarded elementwise kernel, a
     * shared-memory reduction with barriers, and a warp-shuffle reduction.
     */
    static final String SOURCE = """
            extern "C" __global__ void add(const float* a, const float* b, float* c, long long n) {
                long long i = (long long)blockIdx.x * blockDim.x + threadIdx.x;
                if (i < n) c[i] = a[i] + b[i];
            }

            // Each block of 256 threads sums its 256 inputs through shared memory.
            extern "C" __global__ void block_sum(const float* in, float* out, long long n) {
                __shared__ float partial[256];
                long long i = (long long)blockIdx.x * blockDim.x + threadIdx.x;
                partial[threadIdx.x] = i < n ? in[i] : 0.0f;
                __syncthreads();
                for (unsigned stride = blockDim.x / 2; stride > 0; stride /= 2) {
                    if (threadIdx.x < stride) partial[threadIdx.x] += partial[threadIdx.x + stride];
                    __syncthreads();
                }
                if (threadIdx.x == 0) out[blockIdx.x] = partial[0];
            }

            // Each warp sums its 32 inputs with shuffles; lane 0 writes the warp's sum.
            extern "C" __global__ void warp_sum(const float* in, float* out, long long n) {
                long long i = (long long)blockIdx.x * blockDim.x + threadIdx.x;
                float v = i < n ? in[i] : 0.0f;
                for (int offset = 16; offset > 0; offset /= 2) v += __shfl_down_sync(0xffffffffu, v, offset);
                if ((threadIdx.x & 31) == 0 && i < n) out[i / 32] = v;
            }
            """;

    /** A source with a syntax error (a missing expression) that every CUDA front end reports. */
    static final String BROKEN = """
            extern "C" __global__ void broken(float* x) { x[0] = ; }
            """;
}
