// The article's tensor_quant / fake_tensor_quant as one CUDA kernel (target "cupy"),
// and SPEC section 6's fake_affine_tensor_quant and scaled_e4m3 the same way.
//
// Why every value is carried as a double: the article's arithmetic is
// PyTorch's, and its result dtype depends on the operands (float16 is
// computed in float32, bfloat16 is not upcast, float64 is kept, 0-d amax
// promotes differently from n-d amax). The host works those dtypes out with
// torch.result_type and passes them as codes; the kernel performs each
// PyTorch op as "operands cast to the op's dtype, one exact double op, one
// rounding to the op's dtype". A double holds every float16, bfloat16 and
// float32 value exactly, the product of two float32 values exactly, and a
// quotient of two float32 values rounded to double and then to float32 is
// the correctly rounded float32 quotient (53 >= 2*24 + 2), so this is bit for
// bit PyTorch's float32 arithmetic; 16-bit results are rounded to float32
// first and then to 16 bits, as PyTorch's float32 "opmath" does.
//
// No float arithmetic at all: CuPy appends -ftz=true to every compilation
// (after the caller's options, so it cannot be undone), and under it every
// float32 instruction, conversions included, flushes subnormals to zero. So
// values are loaded, rounded and stored with integer bit operations and
// double arithmetic only (double is never flushed): rounding to float32,
// float16 and bfloat16 is done on the double's bits. No cuda_fp16.h or
// cuda_bf16.h either, so the same text compiles under NVRTC (CuPy), nvcc and
// a host C++ compiler; the host build (TQ_HOST_HARNESS) lets CPU tests run
// this exact element code against the reference.
//
// Compile with --fmad=false: no multiply-add may be contracted.

#if defined(__CUDACC__) || defined(__CUDACC_RTC__)
#define TQ_HD __host__ __device__
#else
#define TQ_HD
#endif

#if !defined(__CUDACC_RTC__)
#include <math.h>
#endif

// dtype codes, shared with cupy_tensor_quant.py (DTYPE_CODES)
#define TQ_F16 0
#define TQ_BF16 1
#define TQ_F32 2
#define TQ_F64 3

#define TQ_EPSILON 5.9604644775390625e-08  // 2**-24: amax at or below quantizes to 0

typedef unsigned short tq_u16;
typedef unsigned int tq_u32;
typedef unsigned long long tq_u64;
typedef long long tq_i64;

TQ_HD inline tq_u64 tq_double_bits(double v) {
    union { tq_u64 u; double d; } b;
    b.d = v;
    return b.u;
}

TQ_HD inline double tq_bits_double(tq_u64 bits) {
    union { tq_u64 u; double d; } b;
    b.u = bits;
    return b.d;
}

TQ_HD inline bool tq_is_finite(double v) {
    return ((tq_double_bits(v) >> 52) & 0x7ffu) != 0x7ffu;
}

// A binary floating format: explicit mantissa bits, smallest normal exponent,
// and the power of two from which a rounded value is infinite.
struct TqFormat {
    int mantissa_bits;
    int min_exponent;
    int overflow_exponent;
};

TQ_HD inline TqFormat tq_format(int code) {
    TqFormat f;
    f.mantissa_bits = code == TQ_F16 ? 10 : code == TQ_BF16 ? 7 : 23;
    f.min_exponent = code == TQ_F16 ? -14 : -126;
    f.overflow_exponent = code == TQ_F16 ? 16 : 128;
    return f;
}

// Round `v` to the nearest value of format `f`, ties to even, with
// subnormals and overflow to infinity; NaN and infinities pass unchanged.
TQ_HD inline double tq_round_to_format(double v, TqFormat f) {
    if (!tq_is_finite(v)) return v;
    if (fabs(v) < ldexp(1.0, f.min_exponent)) {
        // Subnormal range: a fixed quantum; scaling by a power of two is exact
        // and rint rounds half to even (and keeps the sign of a zero).
        double quantum = ldexp(1.0, f.min_exponent - f.mantissa_bits);
        return rint(v / quantum) * quantum;
    }
    int dropped = 52 - f.mantissa_bits;  // low mantissa bits of the double
    tq_u64 bits = tq_double_bits(v);
    bits += (((tq_u64)1 << (dropped - 1)) - 1) + ((bits >> dropped) & 1u);  // ties to even
    bits &= ~(((tq_u64)1 << dropped) - 1);
    double rounded = tq_bits_double(bits);
    if (fabs(rounded) >= ldexp(1.0, f.overflow_exponent)) {
        return tq_bits_double((bits & ((tq_u64)1 << 63)) | ((tq_u64)0x7ff << 52));  // +-inf
    }
    return rounded;
}

// The exact value of a stored element of format `f` (`exponent_bits` wide exponent).
TQ_HD inline double tq_decode(tq_u32 bits, TqFormat f, int exponent_bits) {
    int sign_shift = f.mantissa_bits + exponent_bits;
    tq_u32 exponent_max = (1u << exponent_bits) - 1u;
    tq_u32 exponent = (bits >> f.mantissa_bits) & exponent_max;
    tq_u64 mantissa = bits & ((1u << f.mantissa_bits) - 1u);
    tq_u64 sign = (tq_u64)((bits >> sign_shift) & 1u) << 63;
    if (exponent == exponent_max) {  // inf or NaN (payload kept)
        return tq_bits_double(sign | ((tq_u64)0x7ff << 52) | (mantissa << (52 - f.mantissa_bits)));
    }
    if (exponent == 0) {  // zero or subnormal: exact in a double
        double magnitude = (double)mantissa * ldexp(1.0, f.min_exponent - f.mantissa_bits);
        return sign ? -magnitude : magnitude;
    }
    int e = (int)exponent - (int)(exponent_max >> 1);  // unbiased
    return tq_bits_double(sign | ((tq_u64)(e + 1023) << 52) | (mantissa << (52 - f.mantissa_bits)));
}

// The bits of `v`, which must be a value of format `f` (it went through tq_round).
TQ_HD inline tq_u32 tq_encode(double v, TqFormat f, int exponent_bits) {
    int sign_shift = f.mantissa_bits + exponent_bits;
    tq_u32 exponent_max = (1u << exponent_bits) - 1u;
    tq_u64 bits = tq_double_bits(v);
    tq_u32 sign = (tq_u32)(bits >> 63) << sign_shift;
    tq_u32 mantissa_mask = (1u << f.mantissa_bits) - 1u;
    if (!tq_is_finite(v)) {
        if (v != v) return sign | (exponent_max << f.mantissa_bits) | (1u << (f.mantissa_bits - 1));
        return sign | (exponent_max << f.mantissa_bits);
    }
    double magnitude = fabs(v);
    if (magnitude < ldexp(1.0, f.min_exponent)) {  // zero or subnormal: an exact multiple
        return sign | (tq_u32)(magnitude / ldexp(1.0, f.min_exponent - f.mantissa_bits));
    }
    int e = (int)((bits >> 52) & 0x7ffu) - 1023;
    tq_u32 exponent = (tq_u32)(e + (int)(exponent_max >> 1));
    tq_u32 mantissa = (tq_u32)(bits >> (52 - f.mantissa_bits)) & mantissa_mask;
    return sign | (exponent << f.mantissa_bits) | mantissa;
}

TQ_HD inline int tq_exponent_bits(int code) {
    return code == TQ_F16 ? 5 : 8;
}

TQ_HD inline bool tq_is_reduced(int code) {
    return code == TQ_F16 || code == TQ_BF16;
}

// Round a value to dtype `code` the way PyTorch casts: a double goes to a
// 16-bit dtype through float32 (two roundings, as c10::Half(float(x))).
TQ_HD inline double tq_round(double v, int code) {
    if (code == TQ_F64) return v;
    double single = tq_round_to_format(v, tq_format(TQ_F32));
    return code == TQ_F32 ? single : tq_round_to_format(single, tq_format(code));
}

TQ_HD inline double tq_load(const void* base, tq_i64 i, int code) {
    switch (code) {
        case TQ_F16: return tq_decode(((const tq_u16*)base)[i], tq_format(TQ_F16), 5);
        case TQ_BF16: return tq_decode(((const tq_u16*)base)[i], tq_format(TQ_BF16), 8);
        case TQ_F32: return tq_decode(((const tq_u32*)base)[i], tq_format(TQ_F32), 8);
        default: return ((const double*)base)[i];
    }
}

// `v` must already be a value of dtype `code` (it went through tq_round).
TQ_HD inline void tq_store(void* base, tq_i64 i, int code, double v) {
    if (code == TQ_F64) {
        ((double*)base)[i] = v;
    } else if (code == TQ_F32) {
        ((tq_u32*)base)[i] = tq_encode(v, tq_format(TQ_F32), 8);
    } else {
        ((tq_u16*)base)[i] = (tq_u16)tq_encode(v, tq_format(code), tq_exponent_bits(code));
    }
}

// One PyTorch CPU binary op (mul or true div) with result dtype `out`:
// both operands are cast to `out`, except that a single-element second
// operand of a 16-bit op is read at its original precision (PyTorch's CPU
// scalar fast path, iter.original_scalar_value); computed in float32 for
// 16-bit results ("opmath"), then rounded once to `out`.
TQ_HD inline double tq_binary(double lhs, double rhs, int out, int rhs_is_scalar, int divide) {
    double a = tq_round(lhs, out);
    double b = (tq_is_reduced(out) && rhs_is_scalar) ? tq_round(rhs, TQ_F32) : tq_round(rhs, out);
    double r = divide ? a / b : a * b;
    return tq_round(r, out);
}

// Dtype codes and bounds of one call, worked out on the host.
struct TqPlan {
    int input_code;    // inputs' own dtype (float16 before the upcast)
    int amax_code;     // amax's own dtype
    int scale_code;    // dtype of max_bound / amax
    int product_code;  // dtype of inputs * scale (and of the rounded, clamped codes)
    int codes_code;    // dtype of the returned codes (float16 for float16 inputs)
    int out_code;      // dtype of codes / scale.to(inputs.dtype) (fake) or codes_code
    int amax_scalar;   // amax has one element: PyTorch's CPU scalar fast path applies
    int zero_gate;     // amax.min() <= 2**-24 (false if amax holds a NaN): masking is on
    double max_bound;
    double min_bound;
};

// The multiplier max_bound / amax; `zero_as` where amax <= 2**-24 (inclusive),
// but only when the host's one test on the whole amax, amax.min() <= 2**-24,
// passed (SPEC 2.5/2.7): with a NaN anywhere in amax that min is NaN, the gate
// is off, and a zero amax keeps max_bound / 0 = inf.
TQ_HD inline double tq_scale(double amax, const TqPlan& p, double zero_as) {
    if (p.zero_gate && amax <= TQ_EPSILON) {  // a NaN amax compares false: NaN scale
        return zero_as;
    }
    return tq_binary(p.max_bound, amax, p.scale_code, p.amax_scalar, 1);
}

// SPEC 2.5-2.8: round(x * scale) half to even, clamped, in the codes' dtype.
TQ_HD inline double tq_code(double x, double amax, const TqPlan& p) {
    double scale = tq_scale(amax, p, 0.0);  // a zero multiplier: x * 0 is +-0 or NaN
    double product = tq_binary(x, scale, p.product_code, p.amax_scalar, 0);
    double v = tq_round(rint(product), p.product_code);
    // torch.clamp: NaN fails both tests and stays NaN; a value equal to a bound
    // (signed zeros included) is kept; low > high gives high everywhere.
    if (v < p.min_bound) v = p.min_bound;
    if (v > p.max_bound) v = p.max_bound;
    v = tq_round(v, p.product_code);
    return tq_round(v, p.codes_code);
}

// Output element i of the broadcast shape: codes (fake == 0) or fake-quantized values.
// meta = shape[ndim], input strides[ndim], amax strides[ndim] (elements; 0 = broadcast).
TQ_HD inline void tq_quant_at(tq_i64 i, const void* inputs, const void* amax, void* out,
                              const tq_i64* meta, int ndim, const TqPlan& p, int fake) {
    tq_i64 rest = i, x_offset = 0, amax_offset = 0;
    for (int d = ndim - 1; d >= 0; --d) {
        tq_i64 size = meta[d];
        tq_i64 coord = rest % size;
        rest /= size;
        x_offset += coord * meta[ndim + d];
        amax_offset += coord * meta[2 * ndim + d];
    }
    double x = tq_load(inputs, x_offset, p.input_code);
    double a = tq_load(amax, amax_offset, p.amax_code);
    double code = tq_code(x, a, p);
    if (fake) {
        // SPEC 3: divide by the multiplier (1 where amax was zeroed) cast to inputs' dtype.
        double scale_in_input_dtype = tq_round(tq_scale(a, p, 1.0), p.input_code);
        code = tq_binary(code, scale_in_input_dtype, p.out_code, p.amax_scalar, 1);
    }
    tq_store(out, i, p.out_code, code);
}

// Element j of the returned scale (amax's shape): in the scale dtype and in inputs' dtype.
TQ_HD inline void tq_scale_at(tq_i64 j, const void* amax, void* scale, void* scale_in_input_dtype,
                              const tq_i64* meta, int ndim, const TqPlan& p) {
    tq_i64 rest = j, offset = 0;
    for (int d = ndim - 1; d >= 0; --d) {
        tq_i64 size = meta[d];
        offset += (rest % size) * meta[ndim + d];
        rest /= size;
    }
    double s = tq_scale(tq_load(amax, offset, p.amax_code), p, 1.0);  // SPEC 2.7
    tq_store(scale, j, p.scale_code, s);
    tq_store(scale_in_input_dtype, j, p.input_code, tq_round(s, p.input_code));
}

TQ_HD inline TqPlan tq_plan(int input_code, int amax_code, int scale_code, int product_code,
                            int codes_code, int out_code, int amax_scalar, int zero_gate,
                            double max_bound, double min_bound) {
    TqPlan p;
    p.input_code = input_code;
    p.amax_code = amax_code;
    p.scale_code = scale_code;
    p.product_code = product_code;
    p.codes_code = codes_code;
    p.out_code = out_code;
    p.amax_scalar = amax_scalar;
    p.zero_gate = zero_gate;
    p.max_bound = max_bound;
    p.min_bound = min_bound;
    return p;
}

#define TQ_PLAN_PARAMS                                                                   \
    int input_code, int amax_code, int scale_code, int product_code, int codes_code,    \
        int out_code, int amax_scalar, int zero_gate, double max_bound, double min_bound
#define TQ_PLAN_ARGS                                                                     \
    input_code, amax_code, scale_code, product_code, codes_code, out_code, amax_scalar, \
        zero_gate, max_bound, min_bound

// ---------------------------------------------------------------------------
// SPEC section 6: fake_affine_tensor_quant and scaled_e4m3, the same way.

// One PyTorch CPU add or sub with result dtype `out`: both operands are cast to
// `out` (no original-precision scalar path, unlike mul and div), computed in
// float32 for 16-bit results, rounded once. A double holds the exact sum of two
// float32 values rounded once, which rounds on to the correctly rounded float32.
TQ_HD inline double tq_add(double lhs, double rhs, int out, int subtract) {
    double a = tq_round(lhs, out);
    double b = tq_round(rhs, out);
    return tq_round(subtract ? a - b : a + b, out);
}

// Dtype codes of one affine call (SPEC 6.1), worked out on the host with
// torch.result_type; the bounds come as Python doubles and as clamp bounds
// already converted to the codes' dtype (the host checked they fit).
struct TqAffinePlan {
    int input_code, min_code, max_code;
    int span_code;       // max - min, and the step (a number does not promote)
    int zero_code;       // min / step, round, - min_bound: the zero point
    int ratio_code;      // x / step and its rounding
    int shifted_code;    // round(x / step) - zero point, clamped
    int sum_code;        // codes + zero point
    int out_code;        // (codes + zero point) * step
    int step_scalar;     // the step has one element: PyTorch's CPU scalar path
    double levels;       // 2**num_bits - 1
    double min_bound;    // -2**(num_bits - 1), subtracted as a Python number
    double clamp_low;    // min_bound in shifted_code
    double clamp_high;   // 2**(num_bits - 1) - 1 in shifted_code
};

// SPEC 6.1 for one element; min and max are this element's (broadcast) ranges.
TQ_HD inline double tq_affine(double x, double low, double high, const TqAffinePlan& p) {
    double span = tq_add(high, low, p.span_code, 1);
    double step = tq_binary(span, p.levels, p.span_code, 1, 1);  // tensor / Python number
    double zero = tq_round(rint(tq_binary(low, step, p.zero_code, p.step_scalar, 1)),
                           p.zero_code);
    zero = tq_add(zero, p.min_bound, p.zero_code, 1);
    double ratio = tq_round(rint(tq_binary(x, step, p.ratio_code, p.step_scalar, 1)),
                            p.ratio_code);
    double v = tq_add(ratio, zero, p.shifted_code, 1);
    if (v < p.clamp_low) v = p.clamp_low;  // NaN stays; a value equal to a bound is kept
    if (v > p.clamp_high) v = p.clamp_high;
    double sum = tq_add(v, zero, p.sum_code, 0);
    return tq_binary(sum, step, p.out_code, p.step_scalar, 0);
}

// meta = shape[ndim], input, min and max strides[ndim] (elements; 0 = broadcast).
TQ_HD inline void tq_affine_at(tq_i64 i, const void* inputs, const void* low, const void* high,
                               void* out, const tq_i64* meta, int ndim, const TqAffinePlan& p) {
    tq_i64 rest = i, x_offset = 0, low_offset = 0, high_offset = 0;
    for (int d = ndim - 1; d >= 0; --d) {
        tq_i64 coord = rest % meta[d];
        rest /= meta[d];
        x_offset += coord * meta[ndim + d];
        low_offset += coord * meta[2 * ndim + d];
        high_offset += coord * meta[3 * ndim + d];
    }
    double v = tq_affine(tq_load(inputs, x_offset, p.input_code),
                         tq_load(low, low_offset, p.min_code),
                         tq_load(high, high_offset, p.max_code), p);
    tq_store(out, i, p.out_code, v);
}

#define TQ_E4M3_MAX 448.0

// float32 value -> E4M3 (4 exponent bits, 3 mantissa bits, no infinities):
// nearest even, finite overflow and inf saturate to +-448, NaN kept. `v` is a
// float32 value, so a normal double unless zero; the grid of its binade is
// 2**(e - 3), the subnormal grid 2**-9 below 2**-6; v / q is exact and rint
// rounds half to even, keeping the sign of a zero.
TQ_HD inline double tq_e4m3(double v) {
    if (v != v || v == 0.0) return v;
    if (fabs(v) >= TQ_E4M3_MAX) return v < 0 ? -TQ_E4M3_MAX : TQ_E4M3_MAX;
    int e = (int)((tq_double_bits(v) >> 52) & 0x7ffu) - 1023;
    double q = ldexp(1.0, e - 3 < -9 ? -9 : e - 3);
    return rint(v / q) * q;
}

// Dtype codes of one scaled_e4m3 call (SPEC 6.3), from torch.result_type on the host.
struct TqE4m3Plan {
    int input_code;
    int amax_code;     // amax's dtype, also that of 448 / amax
    int has_amax;
    int product_code;  // x * scale, and e4m3 back into it
    int out_code;      // e4m3(x * scale) / scale
    int amax_scalar;   // amax has one element: PyTorch's CPU scalar path
};

// SPEC 6.3 for one element, before the zero mask (the host applies it by indexing).
TQ_HD inline double tq_scaled_e4m3(double x, double amax, const TqE4m3Plan& p) {
    if (!p.has_amax) return tq_round(tq_e4m3(tq_round(x, TQ_F32)), p.input_code);
    // 448 / amax is amax.reciprocal() * 448 in PyTorch: two roundings in amax's dtype.
    double scale = tq_binary(tq_round(1.0 / amax, p.amax_code), TQ_E4M3_MAX, p.amax_code, 1, 0);
    double product = tq_binary(x, scale, p.product_code, p.amax_scalar, 0);
    double fp8 = tq_round(tq_e4m3(tq_round(product, TQ_F32)), p.product_code);
    return tq_binary(fp8, scale, p.out_code, p.amax_scalar, 1);
}

// meta = shape[ndim], input strides[ndim], amax strides[ndim] (0 = broadcast).
TQ_HD inline void tq_e4m3_at(tq_i64 i, const void* inputs, const void* amax, void* out,
                             const tq_i64* meta, int ndim, const TqE4m3Plan& p) {
    tq_i64 rest = i, x_offset = 0, amax_offset = 0;
    for (int d = ndim - 1; d >= 0; --d) {
        tq_i64 coord = rest % meta[d];
        rest /= meta[d];
        x_offset += coord * meta[ndim + d];
        amax_offset += coord * meta[2 * ndim + d];
    }
    double a = p.has_amax ? tq_load(amax, amax_offset, p.amax_code) : 0.0;
    tq_store(out, i, p.out_code, tq_scaled_e4m3(tq_load(inputs, x_offset, p.input_code), a, p));
}

#define TQ_AFFINE_PARAMS                                                                    \
    int input_code, int min_code, int max_code, int span_code, int zero_code,              \
        int ratio_code, int shifted_code, int sum_code, int out_code, int step_scalar,     \
        double levels, double min_bound, double clamp_low, double clamp_high
#define TQ_AFFINE_PLAN                                                                      \
    {input_code, min_code, max_code, span_code, zero_code, ratio_code, shifted_code,       \
     sum_code, out_code, step_scalar, levels, min_bound, clamp_low, clamp_high}
#define TQ_E4M3_PARAMS                                                                      \
    int input_code, int amax_code, int has_amax, int product_code, int out_code, int amax_scalar
#define TQ_E4M3_PLAN {input_code, amax_code, has_amax, product_code, out_code, amax_scalar}

#if defined(__CUDACC__) || defined(__CUDACC_RTC__)

extern "C" __global__ void tensor_quant_kernel(const void* inputs, const void* amax, void* out,
                                               const tq_i64* meta, int ndim, tq_i64 n, int fake,
                                               TQ_PLAN_PARAMS) {
    TqPlan p = tq_plan(TQ_PLAN_ARGS);
    tq_i64 stride = (tq_i64)blockDim.x * gridDim.x;
    for (tq_i64 i = (tq_i64)blockIdx.x * blockDim.x + threadIdx.x; i < n; i += stride) {
        tq_quant_at(i, inputs, amax, out, meta, ndim, p, fake);
    }
}

extern "C" __global__ void tensor_quant_scale_kernel(const void* amax, void* scale,
                                                     void* scale_in_input_dtype,
                                                     const tq_i64* meta, int ndim, tq_i64 n,
                                                     TQ_PLAN_PARAMS) {
    TqPlan p = tq_plan(TQ_PLAN_ARGS);
    tq_i64 stride = (tq_i64)blockDim.x * gridDim.x;
    for (tq_i64 j = (tq_i64)blockIdx.x * blockDim.x + threadIdx.x; j < n; j += stride) {
        tq_scale_at(j, amax, scale, scale_in_input_dtype, meta, ndim, p);
    }
}

extern "C" __global__ void tensor_quant_affine_kernel(const void* inputs, const void* low,
                                                      const void* high, void* out,
                                                      const tq_i64* meta, int ndim, tq_i64 n,
                                                      TQ_AFFINE_PARAMS) {
    TqAffinePlan p = TQ_AFFINE_PLAN;
    tq_i64 stride = (tq_i64)blockDim.x * gridDim.x;
    for (tq_i64 i = (tq_i64)blockIdx.x * blockDim.x + threadIdx.x; i < n; i += stride) {
        tq_affine_at(i, inputs, low, high, out, meta, ndim, p);
    }
}

extern "C" __global__ void tensor_quant_e4m3_kernel(const void* inputs, const void* amax,
                                                    void* out, const tq_i64* meta, int ndim,
                                                    tq_i64 n, TQ_E4M3_PARAMS) {
    TqE4m3Plan p = TQ_E4M3_PLAN;
    tq_i64 stride = (tq_i64)blockDim.x * gridDim.x;
    for (tq_i64 i = (tq_i64)blockIdx.x * blockDim.x + threadIdx.x; i < n; i += stride) {
        tq_e4m3_at(i, inputs, amax, out, meta, ndim, p);
    }
}

#endif

#if defined(TQ_HOST_HARNESS) && !defined(__CUDACC__)
// The same element code, looped on the host: CPU tests check it against the reference.
extern "C" void tensor_quant_host(const void* inputs, const void* amax, void* out,
                                  const tq_i64* meta, int ndim, tq_i64 n, int fake,
                                  TQ_PLAN_PARAMS) {
    TqPlan p = tq_plan(TQ_PLAN_ARGS);
    for (tq_i64 i = 0; i < n; ++i) tq_quant_at(i, inputs, amax, out, meta, ndim, p, fake);
}

extern "C" void tensor_quant_scale_host(const void* amax, void* scale, void* scale_in_input_dtype,
                                        const tq_i64* meta, int ndim, tq_i64 n, TQ_PLAN_PARAMS) {
    TqPlan p = tq_plan(TQ_PLAN_ARGS);
    for (tq_i64 j = 0; j < n; ++j) tq_scale_at(j, amax, scale, scale_in_input_dtype, meta, ndim, p);
}

extern "C" void tensor_quant_affine_host(const void* inputs, const void* low, const void* high,
                                         void* out, const tq_i64* meta, int ndim, tq_i64 n,
                                         TQ_AFFINE_PARAMS) {
    TqAffinePlan p = TQ_AFFINE_PLAN;
    for (tq_i64 i = 0; i < n; ++i) tq_affine_at(i, inputs, low, high, out, meta, ndim, p);
}

extern "C" void tensor_quant_e4m3_host(const void* inputs, const void* amax, void* out,
                                       const tq_i64* meta, int ndim, tq_i64 n, TQ_E4M3_PARAMS) {
    TqE4m3Plan p = TQ_E4M3_PLAN;
    for (tq_i64 i = 0; i < n; ++i) tq_e4m3_at(i, inputs, amax, out, meta, ndim, p);
}
#endif
