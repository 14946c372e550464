// The article's tensor_quant / fake_tensor_quant as one CUDA kernel (target "cupy").
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
// 16-bit conversions are written with integer bit operations (no
// cuda_fp16.h / cuda_bf16.h), so the same text compiles under NVRTC (CuPy),
// nvcc and a host C++ compiler; the host build (TQ_HOST_HARNESS) lets CPU
// tests run this exact element code against the reference.
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
typedef long long tq_i64;

TQ_HD inline float tq_bits_to_float(tq_u32 bits) {
    union { tq_u32 u; float f; } v;
    v.u = bits;
    return v.f;
}

TQ_HD inline tq_u32 tq_float_to_bits(float f) {
    union { tq_u32 u; float f; } v;
    v.f = f;
    return v.u;
}

TQ_HD inline float tq_half_to_float(tq_u16 h) {
    tq_u32 sign = (tq_u32)(h & 0x8000u) << 16;
    tq_u32 exponent = (h >> 10) & 0x1fu;
    tq_u32 mantissa = h & 0x3ffu;
    if (exponent == 0) {  // zero or subnormal: mantissa * 2**-24, exact in float
        float magnitude = (float)mantissa * 5.9604644775390625e-08f;
        return sign ? -magnitude : magnitude;
    }
    if (exponent == 31) {  // inf or NaN
        return tq_bits_to_float(sign | 0x7f800000u | (mantissa << 13));
    }
    return tq_bits_to_float(sign | ((exponent + 112u) << 23) | (mantissa << 13));
}

// float -> float16, round to nearest even, with subnormals, overflow to inf.
TQ_HD inline tq_u16 tq_float_to_half(float f) {
    tq_u32 x = tq_float_to_bits(f);
    tq_u32 sign = (x >> 16) & 0x8000u;
    x &= 0x7fffffffu;
    if (x >= 0x7f800000u) {  // inf stays inf; NaN stays a (quiet) NaN
        return (tq_u16)(sign | (x > 0x7f800000u ? 0x7e00u : 0x7c00u));
    }
    if (x >= 0x477ff000u) {  // >= 65520 rounds (ties to even) past 65504
        return (tq_u16)(sign | 0x7c00u);
    }
    if (x < 0x38800000u) {  // below 2**-14: a float16 subnormal (or 0)
        // |f| * 2**24 is exact (a power-of-two scaling); rintf rounds half even;
        // 1024 carries into the smallest normal, whose bits are 0x0400.
        float scaled = tq_bits_to_float(x) * 16777216.0f;
        return (tq_u16)(sign | (tq_u32)rintf(scaled));
    }
    tq_u32 rebased = x - (112u << 23);  // float exponent bias 127 -> half bias 15
    tq_u32 rounded = rebased + 0x0fffu + ((rebased >> 13) & 1u);
    return (tq_u16)(sign | (rounded >> 13));
}

TQ_HD inline float tq_bf16_to_float(tq_u16 b) {
    return tq_bits_to_float((tq_u32)b << 16);
}

// float -> bfloat16, round to nearest even (PyTorch's round_to_nearest_even).
TQ_HD inline tq_u16 tq_float_to_bf16(float f) {
    tq_u32 x = tq_float_to_bits(f);
    if ((x & 0x7fffffffu) > 0x7f800000u) {
        return (tq_u16)(((x >> 16) & 0x8000u) | 0x7fc0u);
    }
    return (tq_u16)((x + 0x7fffu + ((x >> 16) & 1u)) >> 16);
}

TQ_HD inline bool tq_is_reduced(int code) {
    return code == TQ_F16 || code == TQ_BF16;
}

// Round an (exact or double-rounded-innocuously) value to dtype `code`, the
// way PyTorch casts: double -> float -> 16-bit for the 16-bit dtypes.
TQ_HD inline double tq_round(double v, int code) {
    switch (code) {
        case TQ_F16: return (double)tq_half_to_float(tq_float_to_half((float)v));
        case TQ_BF16: return (double)tq_bf16_to_float(tq_float_to_bf16((float)v));
        case TQ_F32: return (double)(float)v;
        default: return v;
    }
}

TQ_HD inline double tq_load(const void* base, tq_i64 i, int code) {
    switch (code) {
        case TQ_F16: return (double)tq_half_to_float(((const tq_u16*)base)[i]);
        case TQ_BF16: return (double)tq_bf16_to_float(((const tq_u16*)base)[i]);
        case TQ_F32: return (double)((const float*)base)[i];
        default: return ((const double*)base)[i];
    }
}

// `v` must already be representable in dtype `code` (it went through tq_round).
TQ_HD inline void tq_store(void* base, tq_i64 i, int code, double v) {
    switch (code) {
        case TQ_F16: ((tq_u16*)base)[i] = tq_float_to_half((float)v); break;
        case TQ_BF16: ((tq_u16*)base)[i] = tq_float_to_bf16((float)v); break;
        case TQ_F32: ((float*)base)[i] = (float)v; break;
        default: ((double*)base)[i] = v; break;
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
    double max_bound;
    double min_bound;
};

// The multiplier max_bound / amax; `zero_as` where amax <= 2**-24 (inclusive).
TQ_HD inline double tq_scale(double amax, const TqPlan& p, double zero_as) {
    if (amax <= TQ_EPSILON) {  // NaN compares false: a NaN amax gives a NaN scale
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
                            int codes_code, int out_code, int amax_scalar, double max_bound,
                            double min_bound) {
    TqPlan p;
    p.input_code = input_code;
    p.amax_code = amax_code;
    p.scale_code = scale_code;
    p.product_code = product_code;
    p.codes_code = codes_code;
    p.out_code = out_code;
    p.amax_scalar = amax_scalar;
    p.max_bound = max_bound;
    p.min_bound = min_bound;
    return p;
}

#define TQ_PLAN_PARAMS                                                                   \
    int input_code, int amax_code, int scale_code, int product_code, int codes_code,    \
        int out_code, int amax_scalar, double max_bound, double min_bound
#define TQ_PLAN_ARGS                                                                     \
    input_code, amax_code, scale_code, product_code, codes_code, out_code, amax_scalar, \
        max_bound, min_bound

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
#endif
