package dev.tessera.target.llvm;

import static org.bytedeco.llvm.global.LLVM.*;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.bytedeco.javacpp.Pointer;
import org.bytedeco.javacpp.PointerPointer;
import org.bytedeco.llvm.LLVM.LLVMBuilderRef;
import org.bytedeco.llvm.LLVM.LLVMContextRef;
import org.bytedeco.llvm.LLVM.LLVMModuleRef;
import org.bytedeco.llvm.LLVM.LLVMTypeRef;
import org.bytedeco.llvm.LLVM.LLVMValueRef;

/**
 * Emits exp, log, tanh, erf, sigmoid and pow as branch-free polynomial LLVM IR on f32 or f64 values
 * of any lane count, a scalar being one lane. LLVM would scalarize its {@code llvm.exp}-style
 * intrinsics on vectors into one libm call per lane; this keeps a vectorized loop vector code, and
 * since scalars and vectors run the same instructions (every fused multiply-add is an explicit
 * {@code llvm.fma}, no fast-math flags), scalar and vector kernels give bit-identical results.
 *
 * <p>Each function reduces its argument (Cody-Waite for exp, the exponent and a mantissa in
 * [sqrt(1/2), sqrt(2)) for log) and evaluates a minimax polynomial whose coefficients
 * {@code targets/llvm/tools/fit_vector_math.py} fits (Remez, 60-digit arithmetic). Special values
 * follow {@link Math}: NaN in, NaN out; exp overflows to +inf and underflows to +0 (subnormal results
 * are rounded once); log(±0) = -inf, log(x &lt; 0) = NaN, log(+inf) = +inf; tanh and erf are odd
 * (keeping -0) and saturate at ±1; pow follows {@link Math#pow}'s list of special cases. f32 pow runs
 * in f64 (exp(y log x) with f64 exp and log is then accurate to well under an f32 ulp); f64 pow
 * calls libm's {@code pow} lane by lane (exp and log in f64 would lose up to ~10 bits), with
 * {@code pow(±1, ±inf or NaN)} corrected to Java's NaN. On a CPU with AVX-512, exp scales its
 * result by 2^n with one {@code vscalef} per vector instead of eight integer and multiply
 * instructions (softmax's exp loop runs about 14 % faster); it rounds the same way, so the results
 * are the same bits. The module README lists the accuracy
 * {@code VectorMathTest} measures (in ulps, against a double-double reference). Requires a CPU with
 * FMA (x86-64 since Haswell/Piledriver, every AArch64), else {@code llvm.fma} becomes a libm call.
 */
final class VectorMath {
    private final LLVMContextRef ctx;
    private final LLVMModuleRef mod;
    private final LLVMBuilderRef b;
    /** Whether the target has AVX-512's {@code vscalefps/pd} on 512-bit vectors, and on 256 and 128 bits (AVX-512VL). */
    private final boolean scalef512, scalefNarrow;

    /** {@code features} is the target's LLVM feature string (e.g. {@code +avx512f,+avx512vl,...}). */
    VectorMath(LLVMContextRef ctx, LLVMModuleRef mod, LLVMBuilderRef b, String features) {
        this.ctx = ctx;
        this.mod = mod;
        this.b = b;
        this.scalef512 = hasFeature(features, "avx512f");
        this.scalefNarrow = scalef512 && hasFeature(features, "avx512vl");
    }

    private static boolean hasFeature(String features, String name) {
        return Arrays.asList(features.split(",")).contains("+" + name);
    }

    // Coefficients from targets/llvm/tools/fit_vector_math.py, lowest order first. The comment on each
    // is the fit's largest relative error of the function, before evaluation rounding.

    /** exp(r) = 1 + r + r^2 P(r), |r| <= ln2/2; 2^-26.6 (f32), 2^-55.8 (f64). */
    private static final float[] EXP_F32 = {0.5f, 0.16666577756404877f, 0.04166685417294502f, 0.008363140746951103f, 0.001390128512866795f};
    private static final double[] EXP_F64 = {0.5000000000000001, 0.16666666666666644, 0.041666666666624344, 0.00833333333335618,
            0.0013888888917121455, 0.00019841269784704347, 2.4801521422667283e-05, 2.755735548918996e-06, 2.762003411637316e-07,
            2.5068166605148425e-08};
    /** f32: log(1 + f) = f - f^2/2 + f^3 P(f), f in [sqrt(1/2) - 1, sqrt(2) - 1]; 2^-28.1. */
    private static final float[] LOG_F32 = {0.3333333134651184f, -0.24999994039535522f, 0.2000071406364441f, -0.16668057441711426f,
            0.14249323308467865f, -0.12420140951871872f, 0.11676998436450958f, -0.11514609307050705f, 0.07037683576345444f};
    /** f64: log(1 + f) = 2s + s z P(z), s = f / (2 + f), z = s^2; 2^-57.6. */
    private static final double[] LOG_F64 = {0.666666666666667, 0.3999999999989918, 0.28571428626106177, 0.22222211115826093,
            0.18182890369370677, 0.15331684000474366, 0.14616875755046654};
    /** tanh(x) = x + x^3 P(x^2) for |x| below TANH_SMALL; 2^-27.8 (f32, |x| < 0.625), 2^-56.8 (f64, |x| < 0.5625). */
    private static final float[] TANH_F32 = {-0.3333333432674408f, 0.13333304226398468f, -0.05395926535129547f, 0.021768948063254356f,
            -0.008344029076397419f, 0.0022928302641958f};
    private static final double[] TANH_F64 = {-0.3333333333333333, 0.13333333333333333, -0.053968253968253665, 0.021869488536090664,
            -0.008863235524841263, 0.0035921278496553427, -0.0014558306339254553, 0.0005899828837490226, -0.00023880177768636248,
            9.540377445587596e-05, -3.495098030413989e-05, 8.63139870615944e-06};
    private static final double TANH_SMALL_F32 = 0.625, TANH_SMALL_F64 = 0.5625;
    /** erf(x) = x + x P(x^2) for |x| < ERF_SMALL; 2^-28.6 (f32), 2^-56.3 (f64). */
    private static final float[] ERF_F32 = {0.12837916612625122f, -0.3761262595653534f, 0.1128358542919159f, -0.026853812858462334f,
            0.005188327748328447f, -0.0008010193705558777f, 7.853861461626366e-05f};
    private static final double[] ERF_F64 = {0.1283791670955126, -0.37612638903183754, 0.11283791670955126, -0.026866170645131242,
            0.005223977625441839, -0.0008548327023394542, 0.00012055332976903641, -1.492565010671379e-05, 1.6462106149529872e-06,
            -1.636566753313557e-07, 1.4804610758638428e-08, -1.226493765076805e-09, 9.251492287919508e-11, -5.9646404533265866e-12,
            2.481988181048648e-13};
    /**
     * Where erf's own polynomial hands over to 1 - erfc. Higher, erfc's rounding errors count for less
     * in 1 - erfc; lower, the polynomial's rounding errors (its terms alternate) stay smaller. In f32
     * both are about 1.2 ulp at 1.
     */
    private static final double ERF_SMALL_F32 = 1, ERF_SMALL_F64 = 1.25;
    /**
     * Beyond: erf(x) = 1 - exp(-x^2) G(t), t = 2 / (2 + |x|) - center, to |x| = ERF_LARGE where erf rounds
     * to 1; the error of erf relative: 2^-27.9 (f32, [1, 4], one piece), 2^-57.7 (f64, [1.25, 2.75]
     * and [2.75, 6], coefficients picked per lane).
     */
    private static final float[] ERFC_F32 = {0.25539568066596985f, 0.8543717265129089f, 0.9666328430175781f, 0.6318272352218628f,
            0.0597141869366169f, -0.22377191483974457f, -0.053536269813776016f, 0.11965147405862808f};
    private static final double ERFC_CENTER_F32 = 0.5, ERF_LARGE_F32 = 4;
    private static final double[] ERFC_F64_NEAR = {0.27128582243922794, 0.8902235991225289, 1.0012712422867573, 0.6354318716978817,
            0.03908555042824327, -0.22896667708342908, -0.0381284925969376, 0.12627264649447403, -0.00300976482157718,
            -0.08301292343329177, 0.0372666529856613, 0.03580567980320966};
    private static final double[] ERFC_F64_FAR = {0.13828098217991014, 0.585849875874512, 0.6736362990676303, 0.5397766940386256,
            0.20426465077292444, -0.11023124506758533, -0.15679997144990668, 0.02696325786280755, 0.12130827828569701,
            -0.018196488481674645, -0.10892220005692167, 0.03094383470383565};
    private static final double ERFC_CENTER_F64_NEAR = 0.5182186234817814, ERFC_CENTER_F64_FAR = 0.3355263157894737;
    private static final double ERFC_SPLIT_F64 = 2.75, ERF_LARGE_F64 = 6;

    /** ln 2 = hi + lo with hi's low significand bits zero, so n * hi is exact for every exponent n. */
    private static final double LN2_HI_F32 = 0.693145751953125, LN2_LO_F32 = 1.428606765330187e-06;
    private static final double LN2_HI_F64 = 0.6931471805598903, LN2_LO_F64 = 5.497923018708371e-14;
    private static final double LOG2E = 1.4426950408889634;

    /** The value's type: f32 or f64 with its lane count, and the integer type of the same shape. */
    private record Ty(LLVMTypeRef fp, LLVMTypeRef bits, boolean f64, int lanes) {
        int mantissa() { return f64 ? 52 : 23; }
        int bias() { return f64 ? 1023 : 127; }
        double[] coeffs(float[] f32, double[] f64Coeffs) {
            if (f64) return f64Coeffs;
            double[] d = new double[f32.length];
            for (int k = 0; k < d.length; k++) d[k] = f32[k];
            return d;
        }
    }

    private Ty typeOf(LLVMValueRef x) {
        LLVMTypeRef t = LLVMTypeOf(x);
        boolean vector = LLVMGetTypeKind(t) == LLVMVectorTypeKind;
        LLVMTypeRef s = vector ? LLVMGetElementType(t) : t;
        int kind = LLVMGetTypeKind(s);
        if (kind != LLVMFloatTypeKind && kind != LLVMDoubleTypeKind)
            throw new IllegalArgumentException("vector math needs f32 or f64 values");
        boolean f64 = kind == LLVMDoubleTypeKind;
        int lanes = vector ? LLVMGetVectorSize(t) : 1;
        LLVMTypeRef i = LLVMIntTypeInContext(ctx, f64 ? 64 : 32);
        return new Ty(t, vector ? LLVMVectorType(i, lanes) : i, f64, lanes);
    }

    // ---------------------------------------------------------------- functions

    /** e^x. */
    LLVMValueRef exp(LLVMValueRef x) {
        return exp(typeOf(x), x);
    }

    private LLVMValueRef exp(Ty t, LLVMValueRef x) {
        // Beyond these bounds e^x is +inf or rounds to +0; clamping keeps 2^n in range. NaN passes through.
        x = clamp(t, x, t.f64 ? -746 : -104, t.f64 ? 710 : 89);
        // k = n + shifter with n = round(x / ln2): adding 1.5 * 2^mantissa rounds to an integer, and
        // leaves n in k's low bits.
        double shifter = t.f64 ? 0x1.8p52 : 0x1.8p23;
        LLVMValueRef k = fma(x, c(t, LOG2E), c(t, shifter));
        LLVMValueRef n = fsub(k, c(t, shifter));
        LLVMValueRef r = fma(n, c(t, -(t.f64 ? LN2_HI_F64 : LN2_HI_F32)), x);
        r = fma(n, c(t, -(t.f64 ? LN2_LO_F64 : LN2_LO_F32)), r);
        LLVMValueRef p = horner(t, r, t.coeffs(EXP_F32, EXP_F64));
        // 1 + r (1 + r P(r)): the last step is one rounding of an exact product-sum.
        LLVMValueRef m = fma(r, fma(r, p, c(t, 1)), c(t, 1));
        LLVMValueRef scaled = scalef(t, m, n);
        if (scaled != null) return scaled;
        LLVMValueRef ni = LLVMBuildSub(b, bits(k), bitsOf(t, shifter), "");
        return scale(t, m, ni);
    }

    /** log x (natural). */
    LLVMValueRef log(LLVMValueRef x) {
        return log(typeOf(x), x);
    }

    private LLVMValueRef log(Ty t, LLVMValueRef x) {
        int mant = t.mantissa();
        // Subnormals are scaled into the normal range first.
        int up = t.f64 ? 54 : 24;
        LLVMValueRef tiny = fcmp(LLVMRealOLT, x, c(t, t.f64 ? Double.MIN_NORMAL : Float.MIN_NORMAL));
        LLVMValueRef xs = select(tiny, fmul(x, c(t, Math.scalb(1.0, up))), x);
        // x = 2^e m with m in [sqrt(1/2), sqrt(2)): subtracting sqrt(1/2)'s bits moves the exponent
        // boundary there; the rest of the bits, put back on sqrt(1/2), are m.
        double sqrtHalf = t.f64 ? 0.7071067811865476 : 0.70710677f;
        LLVMValueRef ix = LLVMBuildSub(b, bits(xs), bitsOf(t, sqrtHalf), "");
        LLVMValueRef e = LLVMBuildAShr(b, ix, ci(t, mant), "");
        e = LLVMBuildSub(b, e, LLVMBuildSelect(b, tiny, ci(t, up), ci(t, 0), ""), "");
        LLVMValueRef m = fromBits(t, LLVMBuildAdd(b, LLVMBuildAnd(b, ix, ci(t, (1L << mant) - 1), ""), bitsOf(t, sqrtHalf), ""));
        LLVMValueRef f = fsub(m, c(t, 1));
        LLVMValueRef ef = LLVMBuildSIToFP(b, e, t.fp(), "");
        LLVMValueRef r;
        if (!t.f64) {
            // f - f^2/2 + f^3 P(f) + e ln2, smallest terms first.
            LLVMValueRef z = fmul(f, f);
            LLVMValueRef y = fma(fmul(z, f), horner(t, f, t.coeffs(LOG_F32, null)), fmul(ef, c(t, LN2_LO_F32)));
            y = fma(z, c(t, -0.5), y);
            r = fma(ef, c(t, LN2_HI_F32), fadd(f, y));
        } else {
            // fdlibm's arrangement: e ln2_hi - ((f^2/2 - (s (f^2/2 + R) + e ln2_lo)) - f), R = z P(z).
            LLVMValueRef s = fdiv(f, fadd(c(t, 2), f));
            LLVMValueRef z = fmul(s, s);
            LLVMValueRef rz = fmul(z, horner(t, z, LOG_F64));
            LLVMValueRef hfsq = fmul(c(t, 0.5), fmul(f, f));
            LLVMValueRef inner = fma(s, fadd(hfsq, rz), fmul(ef, c(t, LN2_LO_F64)));
            r = fsub(fmul(ef, c(t, LN2_HI_F64)), fsub(fsub(hfsq, inner), f));
        }
        r = select(fcmp(LLVMRealOEQ, x, c(t, Double.POSITIVE_INFINITY)), c(t, Double.POSITIVE_INFINITY), r);
        r = select(fcmp(LLVMRealOEQ, x, c(t, 0)), c(t, Double.NEGATIVE_INFINITY), r);
        return select(fcmp(LLVMRealULT, x, c(t, 0)), c(t, Double.NaN), r); // x < 0 or NaN
    }

    /** tanh x. */
    LLVMValueRef tanh(LLVMValueRef x) {
        Ty t = typeOf(x);
        LLVMValueRef ax = fabs(x);
        LLVMValueRef x2 = fmul(x, x);
        // copysign keeps tanh(-0) = -0 (x + (-0)(-1/3) would be +0).
        LLVMValueRef small = copysign(fma(fmul(x, x2), horner(t, x2, t.coeffs(TANH_F32, TANH_F64)), x), x);
        // 1 - 2 / (e^2|x| + 1): no cancellation above the small range, exactly 1 once e^2|x| overflows.
        LLVMValueRef e = exp(t, fadd(ax, ax));
        LLVMValueRef large = copysign(fsub(c(t, 1), fdiv(c(t, 2), fadd(e, c(t, 1)))), x);
        return select(fcmp(LLVMRealOLT, ax, c(t, t.f64 ? TANH_SMALL_F64 : TANH_SMALL_F32)), small, large);
    }

    /** The error function. */
    LLVMValueRef erf(LLVMValueRef x) {
        Ty t = typeOf(x);
        LLVMValueRef ax = fabs(x);
        LLVMValueRef small = copysign(fma(x, horner(t, fmul(x, x), t.coeffs(ERF_F32, ERF_F64)), x), x);
        // 1 - exp(-x^2) G(t): the clamp keeps G's variable in its fitted range; erf is 1 beyond.
        LLVMValueRef a = clamp(t, ax, 0, t.f64 ? ERF_LARGE_F64 : ERF_LARGE_F32);
        LLVMValueRef v = fdiv(c(t, 2), fadd(c(t, 2), a));
        LLVMValueRef g;
        if (!t.f64) {
            g = horner(t, fsub(v, c(t, ERFC_CENTER_F32)), t.coeffs(ERFC_F32, null));
        } else {
            LLVMValueRef far = fcmp(LLVMRealOGE, a, c(t, ERFC_SPLIT_F64));
            LLVMValueRef center = select(far, c(t, ERFC_CENTER_F64_FAR), c(t, ERFC_CENTER_F64_NEAR));
            LLVMValueRef u = fsub(v, center);
            int n = ERFC_F64_NEAR.length;
            g = select(far, c(t, ERFC_F64_FAR[n - 1]), c(t, ERFC_F64_NEAR[n - 1]));
            for (int k = n - 2; k >= 0; k--)
                g = fma(g, u, select(far, c(t, ERFC_F64_FAR[k]), c(t, ERFC_F64_NEAR[k])));
        }
        // exp(-a^2) with a^2 = hi + lo exactly: exp(-hi) (1 - lo).
        LLVMValueRef hi = fmul(a, a);
        LLVMValueRef lo = fma(a, a, LLVMBuildFNeg(b, hi, ""));
        LLVMValueRef q = fmul(exp(t, LLVMBuildFNeg(b, hi, "")), g);
        LLVMValueRef erfc = fma(LLVMBuildFNeg(b, q, ""), lo, q);
        LLVMValueRef large = copysign(fsub(c(t, 1), erfc), x);
        return select(fcmp(LLVMRealOLT, ax, c(t, t.f64 ? ERF_SMALL_F64 : ERF_SMALL_F32)), small, large);
    }

    /**
     * 1 / (1 + e^-x), computed as e^x / (1 + e^x) for negative x: e^-|x| never overflows, so a very
     * negative x gives its (subnormal) value rather than 1 / inf = 0.
     */
    LLVMValueRef sigmoid(LLVMValueRef x) {
        Ty t = typeOf(x);
        LLVMValueRef e = exp(t, LLVMBuildFNeg(b, fabs(x), ""));
        LLVMValueRef numerator = select(fcmp(LLVMRealOLT, x, c(t, 0)), e, c(t, 1));
        return fdiv(numerator, fadd(c(t, 1), e));
    }

    /** x^y with {@link Math#pow}'s special cases. */
    LLVMValueRef pow(LLVMValueRef x, LLVMValueRef y) {
        Ty t = typeOf(x);
        if (t.f64) {
            LLVMValueRef r = intrinsic("llvm.pow", x, y);
            // C says pow(±1, ±inf) = pow(1, NaN) = 1; Java says NaN.
            LLVMValueRef one = fcmp(LLVMRealOEQ, fabs(x), c(t, 1));
            LLVMValueRef infOrNan = fcmp(LLVMRealUEQ, fabs(y), c(t, Double.POSITIVE_INFINITY));
            return select(LLVMBuildAnd(b, one, infOrNan, ""), c(t, Double.NaN), r);
        }
        LLVMTypeRef dt = t.lanes() == 1 ? LLVMDoubleTypeInContext(ctx) : LLVMVectorType(LLVMDoubleTypeInContext(ctx), t.lanes());
        LLVMValueRef xd = LLVMBuildFPExt(b, x, dt, ""), yd = LLVMBuildFPExt(b, y, dt, "");
        Ty d = typeOf(xd);
        LLVMValueRef r = exp(d, fmul(yd, log(d, fabs(xd))));
        // A negative base: odd integer exponents flip the sign, non-integer ones give NaN (-0 and -inf
        // keep their magnitudes, as the exp/log path already gives them).
        LLVMValueRef integral = fcmp(LLVMRealOEQ, intrinsic("llvm.roundeven", yd), yd); // also ±inf
        LLVMValueRef half = fmul(yd, c(d, 0.5));
        LLVMValueRef odd = LLVMBuildAnd(b, integral, fcmp(LLVMRealONE, intrinsic("llvm.roundeven", half), half), "");
        LLVMValueRef negative = LLVMBuildICmp(b, LLVMIntSLT, bits(xd), ci(d, 0), ""); // sign bit, so -0 too
        r = select(LLVMBuildAnd(b, negative, odd, ""), LLVMBuildFNeg(b, r, ""), r);
        LLVMValueRef finiteNegative = LLVMBuildAnd(b, fcmp(LLVMRealOLT, xd, c(d, 0)), fcmp(LLVMRealOGT, xd, c(d, Double.NEGATIVE_INFINITY)), "");
        r = select(LLVMBuildAnd(b, finiteNegative, LLVMBuildNot(b, integral, ""), ""), c(d, Double.NaN), r);
        r = select(fcmp(LLVMRealOEQ, yd, c(d, 1)), xd, r);
        r = select(fcmp(LLVMRealOEQ, yd, c(d, 0)), c(d, 1), r);
        return LLVMBuildFPTrunc(b, r, t.fp(), "");
    }

    // ---------------------------------------------------------------- helpers

    /** m 2^n in two steps of about 2^(n/2), so that an n beyond the normal exponents overflows, or rounds to a subnormal, once. */
    private LLVMValueRef scale(Ty t, LLVMValueRef m, LLVMValueRef n) {
        LLVMValueRef n1 = LLVMBuildAShr(b, n, ci(t, 1), "");
        LLVMValueRef n2 = LLVMBuildSub(b, n, n1, "");
        return fmul(fmul(m, pow2(t, n1)), pow2(t, n2));
    }

    /**
     * m 2^n (n an integer-valued float) in one {@code vscalef} per vector register, rounded once as
     * {@link #scale} rounds it; null where the target has no such instruction for t (scalars, lane
     * counts that are not a whole number of 128-, 256- or 512-bit registers). It replaces scale's
     * eight integer and multiply instructions on AVX-512.
     */
    private LLVMValueRef scalef(Ty t, LLVMValueRef m, LLVMValueRef n) {
        int bits = t.lanes() * (t.f64 ? 64 : 32);
        if (t.lanes() == 1 || !scalef512) return null;
        if (bits > 512) {
            if (bits % 512 != 0 || Integer.bitCount(bits / 512) != 1) return null;
            int chunk = t.lanes() * 512 / bits;
            LLVMValueRef[] parts = new LLVMValueRef[bits / 512];
            Ty half = new Ty(LLVMVectorType(LLVMGetElementType(t.fp()), chunk), LLVMVectorType(LLVMGetElementType(t.bits()), chunk), t.f64, chunk);
            for (int p = 0; p < parts.length; p++)
                parts[p] = scalef(half, lanes(m, p * chunk, chunk), lanes(n, p * chunk, chunk));
            return concat(parts);
        }
        if (bits != 512 && !(scalefNarrow && (bits == 256 || bits == 128))) return null;
        String name = "llvm.x86.avx512.mask.scalef." + (t.f64 ? "pd." : "ps.") + bits;
        int id = LLVMLookupIntrinsicID(name, name.length());
        if (id == 0) throw new IllegalStateException("unknown LLVM intrinsic " + name);
        LLVMValueRef decl = LLVMGetIntrinsicDeclaration(mod, id, new PointerPointer<>((Pointer) null), 0);
        LLVMTypeRef type = LLVMIntrinsicGetType(ctx, id, new PointerPointer<>((Pointer) null), 0);
        // Every lane written (mask all ones); 512-bit forms take a rounding operand, 4 = the current mode.
        LLVMValueRef mask = LLVMConstInt(LLVMIntTypeInContext(ctx, Math.max(8, t.lanes())), -1, 1);
        LLVMValueRef[] args = bits == 512
                ? new LLVMValueRef[] {m, n, m, mask, LLVMConstInt(LLVMInt32TypeInContext(ctx), 4, 0)}
                : new LLVMValueRef[] {m, n, m, mask};
        return LLVMBuildCall2(b, type, decl, new PointerPointer<>((Pointer[]) args), args.length, "");
    }

    /** Lanes [from, from + count) of the vector v. */
    private LLVMValueRef lanes(LLVMValueRef v, int from, int count) {
        Pointer[] idx = new Pointer[count];
        for (int k = 0; k < count; k++) idx[k] = LLVMConstInt(LLVMInt32TypeInContext(ctx), from + k, 0);
        return LLVMBuildShuffleVector(b, v, LLVMGetPoison(LLVMTypeOf(v)), LLVMConstVector(new PointerPointer<>(idx), count), "");
    }

    /** The vectors of equal type, end to end. */
    private LLVMValueRef concat(LLVMValueRef[] parts) {
        List<LLVMValueRef> level = new ArrayList<>(List.of(parts));
        while (level.size() > 1) {
            List<LLVMValueRef> next = new ArrayList<>();
            for (int p = 0; p < level.size(); p += 2) {
                LLVMValueRef x = level.get(p), y = level.get(p + 1);
                int n = 2 * LLVMGetVectorSize(LLVMTypeOf(x));
                Pointer[] idx = new Pointer[n];
                for (int k = 0; k < n; k++) idx[k] = LLVMConstInt(LLVMInt32TypeInContext(ctx), k, 0);
                next.add(LLVMBuildShuffleVector(b, x, y, LLVMConstVector(new PointerPointer<>(idx), n), ""));
            }
            level = next;
        }
        return level.get(0);
    }

    /** 2^n for n within the normal exponent range. */
    private LLVMValueRef pow2(Ty t, LLVMValueRef n) {
        return fromBits(t, LLVMBuildShl(b, LLVMBuildAdd(b, n, ci(t, t.bias()), ""), ci(t, t.mantissa()), ""));
    }

    /** min(max(x, lo), hi) that keeps NaN. */
    private LLVMValueRef clamp(Ty t, LLVMValueRef x, double lo, double hi) {
        LLVMValueRef r = select(fcmp(LLVMRealOLT, x, c(t, lo)), c(t, lo), x);
        return select(fcmp(LLVMRealOGT, r, c(t, hi)), c(t, hi), r);
    }

    /** c[0] + x (c[1] + x (c[2] + ...)) with fused multiply-adds. */
    private LLVMValueRef horner(Ty t, LLVMValueRef x, double[] coeffs) {
        LLVMValueRef p = c(t, coeffs[coeffs.length - 1]);
        for (int k = coeffs.length - 2; k >= 0; k--) p = fma(p, x, c(t, coeffs[k]));
        return p;
    }

    private LLVMValueRef c(Ty t, double v) {
        return splat(t, LLVMConstReal(LLVMGetTypeKind(t.fp()) == LLVMVectorTypeKind ? LLVMGetElementType(t.fp()) : t.fp(), v));
    }

    private LLVMValueRef ci(Ty t, long v) {
        return splat(t, LLVMConstInt(t.lanes() == 1 ? t.bits() : LLVMGetElementType(t.bits()), v, 1));
    }

    /** The bit pattern of the constant v in t's precision, as an integer constant. */
    private LLVMValueRef bitsOf(Ty t, double v) {
        return ci(t, t.f64 ? Double.doubleToRawLongBits(v) : Float.floatToRawIntBits((float) v));
    }

    private LLVMValueRef splat(Ty t, LLVMValueRef scalar) {
        if (t.lanes() == 1) return scalar;
        Pointer[] xs = new Pointer[t.lanes()];
        Arrays.fill(xs, scalar);
        return LLVMConstVector(new PointerPointer<>(xs), t.lanes());
    }

    private LLVMValueRef bits(LLVMValueRef x) {
        return LLVMBuildBitCast(b, x, typeOf(x).bits(), "");
    }

    private LLVMValueRef fromBits(Ty t, LLVMValueRef i) {
        return LLVMBuildBitCast(b, i, t.fp(), "");
    }

    private LLVMValueRef fadd(LLVMValueRef x, LLVMValueRef y) { return LLVMBuildFAdd(b, x, y, ""); }
    private LLVMValueRef fsub(LLVMValueRef x, LLVMValueRef y) { return LLVMBuildFSub(b, x, y, ""); }
    private LLVMValueRef fmul(LLVMValueRef x, LLVMValueRef y) { return LLVMBuildFMul(b, x, y, ""); }
    private LLVMValueRef fdiv(LLVMValueRef x, LLVMValueRef y) { return LLVMBuildFDiv(b, x, y, ""); }
    private LLVMValueRef fcmp(int predicate, LLVMValueRef x, LLVMValueRef y) { return LLVMBuildFCmp(b, predicate, x, y, ""); }
    private LLVMValueRef select(LLVMValueRef c, LLVMValueRef x, LLVMValueRef y) { return LLVMBuildSelect(b, c, x, y, ""); }
    private LLVMValueRef fma(LLVMValueRef x, LLVMValueRef y, LLVMValueRef z) { return intrinsic("llvm.fma", x, y, z); }
    private LLVMValueRef fabs(LLVMValueRef x) { return intrinsic("llvm.fabs", x); }
    private LLVMValueRef copysign(LLVMValueRef magnitude, LLVMValueRef sign) { return intrinsic("llvm.copysign", magnitude, sign); }

    /** A float intrinsic overloaded on its first argument's type. */
    private LLVMValueRef intrinsic(String name, LLVMValueRef... args) {
        int id = LLVMLookupIntrinsicID(name, name.length());
        if (id == 0) throw new IllegalStateException("unknown LLVM intrinsic " + name);
        PointerPointer<?> types = new PointerPointer<>(new Pointer[] {LLVMTypeOf(args[0])}); // an array: the one-pointer constructor is a cast
        LLVMValueRef decl = LLVMGetIntrinsicDeclaration(mod, id, types, 1);
        LLVMTypeRef type = LLVMIntrinsicGetType(ctx, id, types, 1);
        return LLVMBuildCall2(b, type, decl, new PointerPointer<>((Pointer[]) args), args.length, "");
    }
}
