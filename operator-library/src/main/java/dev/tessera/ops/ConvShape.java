package dev.tessera.ops;

import dev.tessera.TesseraUserError;
import java.util.Arrays;

/**
 * The sizes of a 2-D convolution or pooling window, shared by conv2d, conv2d_nhwc,
 * depthwise_conv2d and pool2d: batch, channels, input size, output channels, kernel size, and one
 * stride, zero padding (each side) and dilation for both spatial dimensions, and the number of
 * channel groups. Output size: {@code OH = (H + 2*pad - dilation*(KH-1) - 1) / stride + 1} (likewise
 * OW), as in PyTorch.
 */
record ConvShape(long n, long c, long h, long w, long f, long kh, long kw, long stride, long pad, long dilation, long groups) {

    /** Output height. */
    long oh() { return (h + 2 * pad - dilation * (kh - 1) - 1) / stride + 1; }

    /** Output width. */
    long ow() { return (w + 2 * pad - dilation * (kw - 1) - 1) / stride + 1; }

    /** Input channels per group (the reduction over channels). */
    long channelsPerGroup() { return c / groups; }

    /** Output channels per group. */
    long filtersPerGroup() { return f / groups; }

    /** Multiply-adds of a convolution of this shape. */
    double macs() { return (double) n * f * oh() * ow() * channelsPerGroup() * kh * kw; }

    /**
     * Checks shape arguments {@code N,C,H,W,F,KH,KW,stride,pad[,dilation[,groups]]} (the trailing two may
     * be left out and default to 1) and returns them in full (11 values).
     */
    static long[] checkConv(Operator op, long[] args) {
        String[] names = op.shapeHelp().split(",");
        if (args.length < 9 || args.length > 11)
            throw new TesseraUserError(op.name() + " takes 9 to 11 shape arguments " + op.shapeHelp() + " (dilation and groups may be left out, "
                    + "default 1), got " + args.length + ": " + Arrays.toString(args));
        long[] full = {0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1};
        System.arraycopy(args, 0, full, 0, args.length);
        checkSigns(op, full, names, 8);
        ConvShape s = of(full);
        if (s.c % s.groups != 0 || s.f % s.groups != 0)
            throw new TesseraUserError(op.name() + ": groups=" + s.groups + " must divide both the input channels C=" + s.c
                    + " and the output channels F=" + s.f);
        s.checkWindowFits(op, "kernel");
        return full;
    }

    /** The shape of checked (or at least 9) conv2d shape arguments, the missing trailing ones 1. */
    static ConvShape of(long[] a) {
        return new ConvShape(a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7], a[8], a.length > 9 ? a[9] : 1, a.length > 10 ? a[10] : 1);
    }

    /** Raises {@link TesseraUserError} unless the (dilated) window fits the padded input. */
    void checkWindowFits(Operator op, String what) {
        long ekh = dilation * (kh - 1) + 1, ekw = dilation * (kw - 1) + 1;
        if (h + 2 * pad < ekh || w + 2 * pad < ekw)
            throw new TesseraUserError(op.name() + ": the " + kh + "x" + kw + " " + what + (dilation > 1 ? " (dilation " + dilation + ", spanning "
                    + ekh + "x" + ekw + ")" : "") + " does not fit the padded " + (h + 2 * pad) + "x" + (w + 2 * pad) + " input (H=" + h
                    + ", W=" + w + ", pad=" + pad + "); need dilation*(KH-1)+1 <= H + 2*pad and likewise for KW");
    }

    /** Every argument positive, except the one at {@code padIndex}, which may be zero. */
    static void checkSigns(Operator op, long[] args, String[] names, int padIndex) {
        for (int i = 0; i < args.length; i++)
            if (args[i] < 0 || (args[i] == 0 && i != padIndex))
                throw new TesseraUserError(op.name() + ": shape argument " + names[i] + " must be " + (i == padIndex ? "non-negative" : "positive")
                        + ", got " + args[i] + " (shape " + op.shapeHelp() + " = " + Arrays.toString(args) + ")");
    }
}
