// A small C shim over oneDNN's C API (libdnnl 2.6, Debian's libdnnl-dev) for the
// executor's `oneDNN` backend. Every function reports failure through its return value
// and a message written into `err` (never aborts); every created object is freed by
// jb_op_destroy. Tensors are float32, 4-D [N, C, H, W], in one of two layouts:
//   JB_LAYOUT_PLAIN   NCHW, row-major
//   JB_LAYOUT_BLOCKED nChw16c: channels in blocks of 16 innermost, C padded up to a
//                     multiple of 16 with zeros (oneDNN keeps the padding zero).
#ifndef CDNNL_H
#define CDNNL_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

enum { JB_LAYOUT_PLAIN = 0, JB_LAYOUT_BLOCKED = 1 };
enum { JB_ACT_NONE = 0, JB_ACT_RELU = 1, JB_ACT_CLIP = 2 };
enum { JB_POOL_MAX = 0, JB_POOL_AVG_EXCLUDE_PAD = 1, JB_POOL_AVG_INCLUDE_PAD = 2 };
enum { JB_CONV_DIRECT = 0, JB_CONV_WINOGRAD = 1, JB_CONV_AUTO = 2 };
enum { JB_ELTWISE_RELU = 0, JB_ELTWISE_CLIP = 1, JB_ELTWISE_LOGISTIC = 2, JB_ELTWISE_HARDSWISH = 3 };

/// One prepared oneDNN primitive (and its constant operands, already reordered).
typedef struct jb_op jb_op;

/// A forward convolution (ONNX Conv semantics; dilation 1 = none).
typedef struct {
    int n, c, h, w;            // input
    int oc, kh, kw, groups;    // filter: [oc, c/groups, kh, kw]
    int out_h, out_w;
    int stride_h, stride_w;
    int pad_top, pad_left, pad_bottom, pad_right;
    int dilation_h, dilation_w;
    int src_layout, dst_layout;
    int activation;            // JB_ACT_*
    float clip_min, clip_max;
    int accumulate;            // 1: dst = act(conv + dst) (oneDNN sum post-op)
    int algorithm;             // JB_CONV_DIRECT (0), JB_CONV_WINOGRAD, JB_CONV_AUTO (oneDNN decides)
    // Optional: a convolution whose reordered filter this one reads in place when oneDNN
    // chooses the same filter layout for both (no second copy); the owner must outlive
    // this op. NULL, or a different layout: the filter is reordered into a copy of its own.
    const struct jb_op *weights_owner;
    // Optional: a depthwise 3×3 convolution (padding 1, stride dw_stride 1 or 2) fused after
    // this one (oneDNN's depthwise post-op), so its input never goes to memory: `dw_filter`
    // is [oc, 1, 3, 3], `dw_bias` oc values (both required, reordered once, not referenced
    // afterwards), then dw_activation (JB_ACT_*, bounds dw_clip_min/max). The output is the
    // depthwise convolution's [n, oc, ceil(out_h / dw_stride), ceil(out_w / dw_stride)].
    // dw_stride 0: none.
    int dw_stride;
    const float *dw_filter, *dw_bias;
    int dw_activation;
    float dw_clip_min, dw_clip_max;
} jb_conv_desc;

/// The convolution; `filter` is [oc, c/groups, kh, kw] (reordered once into the layout
/// oneDNN chooses and not referenced afterwards, unless `weights_owner` lends its copy),
/// `bias` has oc values or is NULL. jb_op_constant_bytes excludes a lent filter.
jb_op *jb_conv_create(const jb_conv_desc *d, const float *filter, const float *bias, char *err, size_t errlen);

/// A fully-connected layer (ONNX Gemm with transA = 0, alpha = 1): dst[n, m] =
/// act(Σ_k src[n, k] · W[m, k] + bias[m]), src and dst row-major. `weights` is [m, k] when
/// `weights_are_m_by_k` (Gemm transB = 1) and [k, m] otherwise (transB = 0, MatMul);
/// reordered once into oneDNN's chosen layout and not referenced afterwards, or, when
/// `borrow_weights`, used in place in its own layout (no copy: the caller keeps `weights`
/// alive and unchanged until jb_op_destroy; jb_op_constant_bytes then excludes it).
/// `bias` has m values or is NULL. With n = 1, `borrow_weights` and `shim_gemv`, the layer
/// runs on the shim's own GEMV instead of oneDNN (implementation "jb_gemv:…"; cdnnl.c says
/// why), unless JOULEBENCH_ONEDNN_GEMV=0.
jb_op *jb_inner_product_create(int n, int k, int m, int weights_are_m_by_k, int borrow_weights, int shim_gemv, const float *weights,
                               const float *bias, int activation, float clip_min, float clip_max, char *err, size_t errlen);

/// Max or average pooling; global pooling is a window of the whole plane.
jb_op *jb_pool_create(int kind, int n, int c, int h, int w, int out_h, int out_w, int kh, int kw,
                      int stride_h, int stride_w, int pad_top, int pad_left, int pad_bottom, int pad_right,
                      int layout, char *err, size_t errlen);

/// An element-wise activation in place or out of place (alpha, beta: clip bounds or leaky slope).
jb_op *jb_eltwise_create(int kind, float alpha, float beta, int n, int c, int h, int w, int layout,
                         char *err, size_t errlen);

/// ONNX LocalResponseNormalization across channels (odd `size`):
/// dst = src / (bias + alpha / size · Σ src²)^beta over the `size` neighbouring channels.
jb_op *jb_lrn_create(int size, float alpha, float beta, float bias, int n, int c, int h, int w, int layout,
                     char *err, size_t errlen);

/// dst = act(src0 + src1), all three of the same shape and layout.
jb_op *jb_add_create(int n, int c, int h, int w, int layout, int activation, float clip_min, float clip_max,
                     char *err, size_t errlen);

/// Concatenation along channels of `count` inputs with `channels[i]` channels each.
jb_op *jb_concat_create(int count, const int *channels, int n, int h, int w, int layout, char *err, size_t errlen);

/// A layout change of one [n, c, h, w] tensor.
jb_op *jb_reorder_create(int n, int c, int h, int w, int src_layout, int dst_layout, char *err, size_t errlen);

/// Runs the primitive on `count` sources (convolution: 1, add: 2, concat: its count)
/// writing `dst` (for an accumulating convolution `dst` holds the addend on entry).
/// Uses `threads` OpenMP threads. Returns 0, or -1 with a message in `err`.
int jb_op_execute(jb_op *op, int count, const float *const *srcs, float *dst, int threads, char *err, size_t errlen);

/// The implementation chosen: oneDNN's (e.g. "jit:avx512_core"), or the shim's own
/// ("jb_gemv:…", batch-1 inner products); owned by `op`.
const char *jb_op_implementation(const jb_op *op);

/// Bytes of the constant operands held by `op` (reordered weights and bias).
size_t jb_op_constant_bytes(const jb_op *op);

void jb_op_destroy(jb_op *op);

/// Floats a tensor [n, c, h, w] occupies in `layout`.
size_t jb_tensor_floats(int n, int c, int h, int w, int layout);

/// How libdnnl was loaded and which OpenMP wait policy its threads use (for provenance).
/// libdnnl.so.2 is dlopen'ed on first use, after GOMP_SPINCOUNT is set (3000, for the
/// pinned passes; 1000 when pinning is switched off) unless the environment already sets
/// OMP_WAIT_POLICY or GOMP_SPINCOUNT (cdnnl.c says why, and which regions run unpinned).
const char *jb_dnnl_threading_note(void);

/// Runs fn(context, i) for i in 0..<count on `threads` threads of the OpenMP team oneDNN
/// uses (libgomp, loaded with libdnnl), iteration i on thread i % threads, and returns when
/// all are done: the executor's own kernels then share oneDNN's threads instead of a second
/// pool competing with them for the cores (docs/EXECUTOR.md, "One thread pool"). Returns
/// -1 without running anything when libdnnl is not loaded (the caller uses its own pool).
int jb_parallel_for(int count, int threads, void (*fn)(void *context, int index), void *context);

/// Pins the OpenMP team of the calling thread for one forward pass: the caller (the team's
/// master) to the CPU it is on and each of the `threads - 1` workers to another CPU of the
/// caller's allowed set. Returns what jb_team_pin_end needs to put every one of them back on
/// the caller's previous CPU set, or NULL when nothing was pinned: libdnnl not loaded, fewer
/// allowed CPUs than `threads`, another pinned pass running in the process (concurrent passes
/// are left to the scheduler), OMP_PROC_BIND, OMP_PLACES or GOMP_CPU_AFFINITY set (the user
/// binds), or JOULEBENCH_PIN_THREADS=0 (both read once). Why: cdnnl.c, "Thread pinning".
typedef struct jb_pinning jb_pinning;
jb_pinning *jb_team_pin_begin(int threads);
/// The pinning policy, the same for every pass of the process: 1 when jb_team_pin_begin
/// pins (libdnnl loaded, neither switched off nor bound by the user), 0 otherwise. Whether
/// one pass got the pins also depends on the moment (another pinned pass running, the
/// allowed CPUs): a run circumstance, like its time, that traces leave out.
int jb_team_pinning_enabled(void);
/// Unpins the team pinned by jb_team_pin_begin (NULL: nothing to do). Returns 0, or -1 when
/// the caller's CPU set could not be restored.
int jb_team_pin_end(jb_pinning *saved);

/// "major.minor.patch" of the loaded library, or "unavailable".
const char *jb_dnnl_version(void);

#ifdef __cplusplus
}
#endif
#endif
