// oneDNN shim for the executor's oneDNN backend; contracts in include/cdnnl.h.
#define _GNU_SOURCE   // sched_getcpu, CPU_* macros
#include "cdnnl.h"

#include <oneapi/dnnl/dnnl.h>
#if defined(__AVX512F__)
#include <immintrin.h>
#endif
#include <dlfcn.h>
#include <pthread.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

// libdnnl is not linked: it is dlopen'ed on first use, after GOMP_SPINCOUNT is settled,
// because its OpenMP runtime (libgomp) reads it once, when it loads. By default libgomp's
// idle threads spin 300000 iterations (milliseconds) after every parallel region; not
// spinning at all (OMP_WAIT_POLICY=PASSIVE) costs 1.5-2x on a quiet machine (a futex
// wake-up between consecutive primitives). How long to spin depends on pinning
// (jb_team_pin_begin). Unpinned, a spinning thread can hold the core its partner waits
// for: with two compiler processes on the two cores MobileNetV2 took 93 ms at 30000, 22
// at 5000 and 7.8 at 1000 (session 3), and 13.3 ms at 3000 against 7.4 at 1000 with two
// busy loops (session 5). Pinned to distinct CPUs, the team's threads never share one and
// a longer spin is no worse under the same load (MobileNetV2 6.2-7.0 ms at 3000 against
// 6.3-6.5 at 1000; 30000: 6.4 against 7.9) and faster on a quiet machine (-4.5 %: the
// worker sleeps less often inside a pass). So 3000 unless pinning is switched off
// (JOULEBENCH_PIN_THREADS=0, or OMP_PROC_BIND / OMP_PLACES / GOMP_CPU_AFFINITY, with which
// the user binds instead): then 1000 (docs/EXECUTOR.md, "Session 5"). Regions that still run
// unpinned at 3000: a second concurrent pass in the process (but then libgomp has more
// threads than CPUs and throttles every spin to 100 by itself), a pin sched_setaffinity
// refuses, and, in a process that also loaded libdnnl, the OpenBLAS/hybrid backends' own
// kernels and the kernel benchmarks outside sessions. An OMP_WAIT_POLICY or GOMP_SPINCOUNT
// the environment sets is kept.
#define JB_SPIN_COUNT_PINNED "3000"
#define JB_SPIN_COUNT_UNPINNED "1000"
#define JB_DNNL_FUNCTIONS(X) \
    X(dnnl_binary_desc_init) \
    X(dnnl_post_ops_append_dw) \
    X(dnnl_concat_primitive_desc_create) \
    X(dnnl_dilated_convolution_forward_desc_init) \
    X(dnnl_eltwise_forward_desc_init) \
    X(dnnl_inner_product_forward_desc_init) \
    X(dnnl_engine_create) \
    X(dnnl_lrn_forward_desc_init) \
    X(dnnl_memory_create) \
    X(dnnl_memory_desc_equal) \
    X(dnnl_memory_desc_get_size) \
    X(dnnl_memory_get_data_handle) \
    X(dnnl_memory_get_memory_desc) \
    X(dnnl_memory_desc_init_by_tag) \
    X(dnnl_memory_destroy) \
    X(dnnl_pooling_v2_forward_desc_init) \
    X(dnnl_post_ops_append_eltwise) \
    X(dnnl_post_ops_append_sum) \
    X(dnnl_post_ops_create) \
    X(dnnl_post_ops_destroy) \
    X(dnnl_primitive_attr_create) \
    X(dnnl_primitive_attr_destroy) \
    X(dnnl_primitive_attr_set_post_ops) \
    X(dnnl_primitive_attr_set_scratchpad_mode) \
    X(dnnl_primitive_create) \
    X(dnnl_primitive_desc_create) \
    X(dnnl_primitive_desc_destroy) \
    X(dnnl_primitive_desc_query) \
    X(dnnl_primitive_desc_query_md) \
    X(dnnl_primitive_destroy) \
    X(dnnl_primitive_execute) \
    X(dnnl_reorder_primitive_desc_create) \
    X(dnnl_stream_create) \
    X(dnnl_stream_destroy) \
    X(dnnl_stream_wait) \
    X(dnnl_version) \

#define D(name) p_##name
#define JB_DECLARE(name) static __typeof__(&name) p_##name;
JB_DNNL_FUNCTIONS(JB_DECLARE)
static void (*p_omp_set_num_threads)(int);
static void (*p_GOMP_parallel)(void (*)(void *), void *, unsigned, unsigned);
static int (*p_omp_get_thread_num)(void);
static int (*p_omp_get_num_threads)(void);
static int gomp_ready;  // set (release) once the three above are resolved and the engine exists
static char load_note[160] = "not loaded";

enum { K_CONV, K_POOL, K_ELTWISE, K_ADD, K_CONCAT, K_REORDER, K_GEMV };

struct jb_op {
    int kind;
    int nsrc;
    dnnl_primitive_t prim;
    dnnl_memory_desc_t *src_md;   // nsrc descriptors
    dnnl_memory_desc_t dst_md;
    dnnl_memory_desc_t scratch_md;
    size_t scratch_bytes;
    dnnl_memory_t weights, bias;  // convolution constants (own their buffers)
    dnnl_memory_t dw_weights, dw_bias;  // a fused depthwise post-op's constants (own theirs)
    size_t constant_bytes;
    char impl[96];
    struct jb_gemv *gemv;         // K_GEMV: the batch-1 inner product (gemv_run)
};

// Pinning switches (jb_team_pin_begin), read once: make_engine chooses the spin count by them.
static pthread_once_t pin_switch_once = PTHREAD_ONCE_INIT;
static int pin_disabled;                // the user binds, or JOULEBENCH_PIN_THREADS=0
static void read_pin_switches(void);

static dnnl_engine_t engine;
static dnnl_status_t engine_status = dnnl_runtime_error;
static pthread_once_t engine_once = PTHREAD_ONCE_INIT;
static void make_engine(void) {
    const char *policy = getenv("OMP_WAIT_POLICY"), *spin = getenv("GOMP_SPINCOUNT");
    void *gomp = dlopen("libgomp.so.1", RTLD_LAZY | RTLD_NOLOAD);
    if (gomp) {
        dlclose(gomp);
        snprintf(load_note, sizeof load_note, "libgomp was loaded before oneDNN: its wait policy is whatever it read then");
    } else if (policy || spin) {
        snprintf(load_note, sizeof load_note, "environment: OMP_WAIT_POLICY=%s GOMP_SPINCOUNT=%s", policy ? policy : "unset", spin ? spin : "unset");
    } else {
        pthread_once(&pin_switch_once, read_pin_switches);
        const char *count = pin_disabled ? JB_SPIN_COUNT_UNPINNED : JB_SPIN_COUNT_PINNED;
        setenv("GOMP_SPINCOUNT", count, 0);
        snprintf(load_note, sizeof load_note, "GOMP_SPINCOUNT=%s (set before loading; %s)", count,
                 pin_disabled ? "pinning switched off" : "for pinned passes");
    }
    void *lib = dlopen("libdnnl.so.2", RTLD_NOW | RTLD_LOCAL);
    if (!lib) { snprintf(load_note, sizeof load_note, "libdnnl.so.2 not found: %s", dlerror()); return; }
#define JB_RESOLVE(name) if (!(p_##name = (__typeof__(&name))dlsym(lib, #name))) { snprintf(load_note, sizeof load_note, "libdnnl lacks " #name); return; }
    JB_DNNL_FUNCTIONS(JB_RESOLVE)
#undef JB_RESOLVE
    p_omp_set_num_threads = (void (*)(int))dlsym(lib, "omp_set_num_threads");
    if (!p_omp_set_num_threads) { snprintf(load_note, sizeof load_note, "libgomp's omp_set_num_threads not found"); return; }
    // For jb_parallel_for (optional: without them the executor keeps its own pool).
    p_GOMP_parallel = (void (*)(void (*)(void *), void *, unsigned, unsigned))dlsym(lib, "GOMP_parallel");
    p_omp_get_thread_num = (int (*)(void))dlsym(lib, "omp_get_thread_num");
    p_omp_get_num_threads = (int (*)(void))dlsym(lib, "omp_get_num_threads");
    engine_status = D(dnnl_engine_create)(&engine, dnnl_cpu, 0);
    if (engine_status == dnnl_success && p_GOMP_parallel && p_omp_get_thread_num && p_omp_get_num_threads)
        __atomic_store_n(&gomp_ready, 1, __ATOMIC_RELEASE);
}

static void fail(char *err, size_t errlen, const char *fmt, ...) {
    if (!err || errlen == 0) return;
    va_list ap; va_start(ap, fmt); vsnprintf(err, errlen, fmt, ap); va_end(ap);
}

static const char *status_name(dnnl_status_t s) {
    switch (s) {
    case dnnl_success: return "success";
    case dnnl_out_of_memory: return "out of memory";
    case dnnl_invalid_arguments: return "invalid arguments";
    case dnnl_unimplemented: return "unimplemented";
    case dnnl_iterator_ends: return "iterator ends";
    case dnnl_runtime_error: return "runtime error";
    case dnnl_not_required: return "not required";
    default: return "unknown status";
    }
}

#define CHECK(call, what) do { dnnl_status_t s_ = (call); if (s_ != dnnl_success) { \
    fail(err, errlen, "oneDNN %s failed: %s", what, status_name(s_)); goto failure; } } while (0)

static int ensure_engine(char *err, size_t errlen) {
    pthread_once(&engine_once, make_engine);
    if (engine_status != dnnl_success) { fail(err, errlen, "oneDNN unavailable (%s): %s", load_note, status_name(engine_status)); return -1; }
    return 0;
}

static dnnl_format_tag_t tag4(int layout) { return layout == JB_LAYOUT_BLOCKED ? dnnl_nChw16c : dnnl_nchw; }

static int md4(dnnl_memory_desc_t *md, int n, int c, int h, int w, int layout) {
    dnnl_dims_t dims = {n, c, h, w};
    return D(dnnl_memory_desc_init_by_tag)(md, 4, dims, dnnl_f32, tag4(layout)) == dnnl_success ? 0 : -1;
}

static jb_op *new_op(int kind, int nsrc) {
    jb_op *op = calloc(1, sizeof *op);
    if (!op) return NULL;
    op->kind = kind; op->nsrc = nsrc;
    op->src_md = calloc((size_t)(nsrc > 0 ? nsrc : 1), sizeof(dnnl_memory_desc_t));
    if (!op->src_md) { free(op); return NULL; }
    return op;
}

// Creates the primitive from `pd` (destroyed here), recording dst/scratchpad/impl.
static int finish(jb_op *op, dnnl_primitive_desc_t pd, char *err, size_t errlen) {
    const char *impl = NULL;
    D(dnnl_primitive_desc_query)(pd, dnnl_query_impl_info_str, 0, &impl);
    snprintf(op->impl, sizeof op->impl, "%s", impl ? impl : "?");
    const dnnl_memory_desc_t *dst = D(dnnl_primitive_desc_query_md)(pd, dnnl_query_dst_md, 0);
    if (dst) op->dst_md = *dst;
    const dnnl_memory_desc_t *sp = D(dnnl_primitive_desc_query_md)(pd, dnnl_query_scratchpad_md, 0);
    if (sp) { op->scratch_md = *sp; op->scratch_bytes = D(dnnl_memory_desc_get_size)(sp); }
    dnnl_status_t s = D(dnnl_primitive_create)(&op->prim, pd);
    D(dnnl_primitive_desc_destroy)(pd);
    if (s != dnnl_success) { fail(err, errlen, "oneDNN primitive creation failed: %s", status_name(s)); return -1; }
    return 0;
}

// Ends every create function: frees the attributes and post-ops; on success makes the
// primitive from `pd` (which `finish` consumes) and returns `op`, otherwise frees `pd` and
// `op` and returns NULL (the message is already in `err`).
static jb_op *conclude(jb_op *op, dnnl_primitive_desc_t pd, int ok, dnnl_primitive_attr_t attr, dnnl_post_ops_t post,
                       char *err, size_t errlen) {
    if (post) D(dnnl_post_ops_destroy)(post);
    if (attr) D(dnnl_primitive_attr_destroy)(attr);
    if (ok && pd && finish(op, pd, err, errlen) == 0) return op;
    if (pd && !ok) D(dnnl_primitive_desc_destroy)(pd);
    jb_op_destroy(op);
    return NULL;
}

static dnnl_primitive_attr_t user_scratchpad_attr(void) {
    dnnl_primitive_attr_t attr = NULL;
    if (D(dnnl_primitive_attr_create)(&attr) != dnnl_success) return NULL;
    // The caller allocates the scratchpad per execution: primitives stay reentrant.
    D(dnnl_primitive_attr_set_scratchpad_mode)(attr, dnnl_scratchpad_mode_user);
    return attr;
}

static int append_activation(dnnl_post_ops_t ops, int activation, float lo, float hi) {
    if (activation == JB_ACT_RELU) return D(dnnl_post_ops_append_eltwise)(ops, 1.0f, dnnl_eltwise_relu, 0.0f, 0.0f);
    if (activation == JB_ACT_CLIP) return D(dnnl_post_ops_append_eltwise)(ops, 1.0f, dnnl_eltwise_clip_v2, lo, hi);
    return dnnl_success;
}

// Copies `src` (plain) into a new memory object of `dst_md` owned by the library.
static dnnl_memory_t reordered_constant(const dnnl_memory_desc_t *plain_md, const float *src,
                                        const dnnl_memory_desc_t *dst_md, char *err, size_t errlen) {
    dnnl_memory_t from = NULL, to = NULL;
    dnnl_primitive_desc_t pd = NULL;
    dnnl_primitive_t reorder = NULL;
    dnnl_stream_t stream = NULL;
    CHECK(D(dnnl_memory_create)(&from, plain_md, engine, (void *)src), "constant source");
    CHECK(D(dnnl_memory_create)(&to, dst_md, engine, DNNL_MEMORY_ALLOCATE), "constant buffer");
    CHECK(D(dnnl_reorder_primitive_desc_create)(&pd, plain_md, engine, dst_md, engine, NULL), "constant reorder");
    CHECK(D(dnnl_primitive_create)(&reorder, pd), "constant reorder primitive");
    CHECK(D(dnnl_stream_create)(&stream, engine, dnnl_stream_default_flags), "stream");
    dnnl_exec_arg_t args[2] = {{DNNL_ARG_FROM, from}, {DNNL_ARG_TO, to}};
    CHECK(D(dnnl_primitive_execute)(reorder, stream, 2, args), "constant reorder execution");
    CHECK(D(dnnl_stream_wait)(stream), "stream wait");
    D(dnnl_stream_destroy)(stream); D(dnnl_primitive_destroy)(reorder); D(dnnl_primitive_desc_destroy)(pd);
    D(dnnl_memory_destroy)(from);
    return to;
failure:
    if (stream) D(dnnl_stream_destroy)(stream);
    if (reorder) D(dnnl_primitive_destroy)(reorder);
    if (pd) D(dnnl_primitive_desc_destroy)(pd);
    if (from) D(dnnl_memory_destroy)(from);
    if (to) D(dnnl_memory_destroy)(to);
    return NULL;
}

// Binds a convolution's or inner product's constants to `op`: the filter read in place
// from `in_place` (already in layout `chosen`; not owned, not counted in constant_bytes)
// or reordered from `plain` into `chosen`; then the bias, if any. 0, or -1 with `err` set.
static int bind_constants(jb_op *op, const dnnl_memory_desc_t *plain, const float *weights, const dnnl_memory_desc_t *chosen,
                          void *in_place, const dnnl_memory_desc_t *bias_md, const float *bias, char *err, size_t errlen) {
    if (in_place) {
        dnnl_status_t s = D(dnnl_memory_create)(&op->weights, chosen, engine, in_place);
        if (s != dnnl_success) { fail(err, errlen, "oneDNN weights in place failed: %s", status_name(s)); return -1; }
    } else {
        op->weights = reordered_constant(plain, weights, chosen, err, errlen);
        if (!op->weights) return -1;
        op->constant_bytes = D(dnnl_memory_desc_get_size)(chosen);
    }
    if (bias) {
        op->bias = reordered_constant(bias_md, bias, bias_md, err, errlen);
        if (!op->bias) return -1;
        op->constant_bytes += D(dnnl_memory_desc_get_size)(bias_md);
    }
    return 0;
}

// The owner's reordered filter, when it is in the layout `chosen` (then it is read in place:
// no second copy), else NULL.
static void *lendable_weights(const jb_op *owner, const dnnl_memory_desc_t *chosen) {
    const dnnl_memory_desc_t *owner_md = NULL;
    void *data = NULL;
    if (!owner || !owner->weights) return NULL;
    if (D(dnnl_memory_get_memory_desc)(owner->weights, &owner_md) != dnnl_success || !D(dnnl_memory_desc_equal)(owner_md, chosen)) return NULL;
    if (D(dnnl_memory_get_data_handle)(owner->weights, &data) != dnnl_success) return NULL;
    return data;
}

jb_op *jb_conv_create(const jb_conv_desc *d, const float *filter, const float *bias, char *err, size_t errlen) {
    if (ensure_engine(err, errlen)) return NULL;
    if (!d || !filter || d->groups < 1 || d->c % d->groups || d->oc % d->groups) {
        fail(err, errlen, "convolution: channels not divisible by groups"); return NULL;
    }
    jb_op *op = new_op(K_CONV, 1);
    dnnl_primitive_attr_t attr = user_scratchpad_attr();
    dnnl_post_ops_t post = NULL;
    dnnl_primitive_desc_t pd = NULL;
    if (!op || !attr) { fail(err, errlen, "convolution: out of memory"); goto failure; }
    dnnl_memory_desc_t src_md, dst_md, w_any, w_plain, b_md;
    if (md4(&src_md, d->n, d->c, d->h, d->w, d->src_layout) || md4(&dst_md, d->n, d->oc, d->out_h, d->out_w, d->dst_layout)) {
        fail(err, errlen, "convolution: bad tensor shape"); goto failure;
    }
    int g = d->groups;
    if (g == 1) {
        dnnl_dims_t wd = {d->oc, d->c, d->kh, d->kw};
        CHECK(D(dnnl_memory_desc_init_by_tag)(&w_any, 4, wd, dnnl_f32, dnnl_format_tag_any), "weights descriptor");
        CHECK(D(dnnl_memory_desc_init_by_tag)(&w_plain, 4, wd, dnnl_f32, dnnl_oihw), "weights descriptor");
    } else {
        dnnl_dims_t wd = {g, d->oc / g, d->c / g, d->kh, d->kw};
        CHECK(D(dnnl_memory_desc_init_by_tag)(&w_any, 5, wd, dnnl_f32, dnnl_format_tag_any), "weights descriptor");
        CHECK(D(dnnl_memory_desc_init_by_tag)(&w_plain, 5, wd, dnnl_f32, dnnl_goihw), "weights descriptor");
    }
    dnnl_dims_t bd = {d->oc};
    CHECK(D(dnnl_memory_desc_init_by_tag)(&b_md, 1, bd, dnnl_f32, dnnl_x), "bias descriptor");
    dnnl_dims_t strides = {d->stride_h, d->stride_w};
    dnnl_dims_t dil = {d->dilation_h - 1, d->dilation_w - 1};
    dnnl_dims_t pl = {d->pad_top, d->pad_left}, pr = {d->pad_bottom, d->pad_right};
    dnnl_convolution_desc_t cd;
    CHECK(D(dnnl_dilated_convolution_forward_desc_init)(&cd, dnnl_forward_inference,
                                                     d->algorithm == JB_CONV_WINOGRAD ? dnnl_convolution_winograd
                                                     : d->algorithm == JB_CONV_AUTO ? dnnl_convolution_auto : dnnl_convolution_direct,
                                                     &src_md, &w_any,
                                                     bias ? &b_md : NULL, &dst_md, strides, dil, pl, pr),
          "convolution descriptor");
    CHECK(D(dnnl_post_ops_create)(&post), "post-ops");
    if (d->accumulate) CHECK(D(dnnl_post_ops_append_sum)(post, 1.0f), "sum post-op");
    CHECK(append_activation(post, d->activation, d->clip_min, d->clip_max), "activation post-op");
    if (d->dw_stride) {
        if ((d->dw_stride != 1 && d->dw_stride != 2) || !d->dw_filter || !d->dw_bias) {
            fail(err, errlen, "convolution: a depthwise post-op needs stride 1 or 2, a filter and a bias"); goto failure;
        }
        CHECK(D(dnnl_post_ops_append_dw)(post, dnnl_f32, dnnl_f32, dnnl_f32, 3, d->dw_stride, 1, 0, 0, NULL), "depthwise post-op");
        CHECK(append_activation(post, d->dw_activation, d->dw_clip_min, d->dw_clip_max), "depthwise activation post-op");
    }
    CHECK(D(dnnl_primitive_attr_set_post_ops)(attr, post), "post-ops attribute");
    CHECK(D(dnnl_primitive_desc_create)(&pd, &cd, attr, engine, NULL), "convolution primitive descriptor");
    const dnnl_memory_desc_t *w_chosen = D(dnnl_primitive_desc_query_md)(pd, dnnl_query_weights_md, 0);
    if (bind_constants(op, &w_plain, filter, w_chosen, lendable_weights(d->weights_owner, w_chosen), &b_md, bias, err, errlen)) goto failure;
    if (d->dw_stride) {
        // The caller sizes and reads the output as the depthwise convolution's, in dst_layout:
        // refuse a fused primitive that would write anything else.
        dnnl_memory_desc_t expected;
        const dnnl_memory_desc_t *fused_dst = D(dnnl_primitive_desc_query_md)(pd, dnnl_query_dst_md, 0);
        if (md4(&expected, d->n, d->oc, (d->out_h + d->dw_stride - 1) / d->dw_stride, (d->out_w + d->dw_stride - 1) / d->dw_stride, d->dst_layout)
            || !fused_dst || !D(dnnl_memory_desc_equal)(fused_dst, &expected)) {
            fail(err, errlen, "convolution: the fused depthwise output is not the expected tensor"); goto failure;
        }
        dnnl_memory_desc_t dw_plain, dw_b_md;
        dnnl_dims_t dwd = {d->oc, 1, 1, 3, 3}, dwb = {d->oc};
        CHECK(D(dnnl_memory_desc_init_by_tag)(&dw_plain, 5, dwd, dnnl_f32, dnnl_goihw), "depthwise weights descriptor");
        CHECK(D(dnnl_memory_desc_init_by_tag)(&dw_b_md, 1, dwb, dnnl_f32, dnnl_x), "depthwise bias descriptor");
        const dnnl_memory_desc_t *dw_chosen = D(dnnl_primitive_desc_query_md)(pd, dnnl_query_exec_arg_md, DNNL_ARG_ATTR_POST_OP_DW | DNNL_ARG_WEIGHTS);
        if (!dw_chosen) { fail(err, errlen, "convolution: no depthwise weights descriptor"); goto failure; }
        if (!(op->dw_weights = reordered_constant(&dw_plain, d->dw_filter, dw_chosen, err, errlen))) goto failure;
        if (!(op->dw_bias = reordered_constant(&dw_b_md, d->dw_bias, &dw_b_md, err, errlen))) goto failure;
        op->constant_bytes += D(dnnl_memory_desc_get_size)(dw_chosen) + D(dnnl_memory_desc_get_size)(&dw_b_md);
    }
    op->src_md[0] = src_md;
    return conclude(op, pd, 1, attr, post, err, errlen);
failure:
    return conclude(op, pd, 0, attr, post, err, errlen);
}

// Batch-1 inner products (every classifier here at batch 1) run on this GEMV instead of
// oneDNN's: it streams the weights from memory, and with the caches cold (as in a network,
// where the other layers evicted them) oneDNN's x64:gemm:jit read them at 21-25 GB/s where
// this loop reads them at the 2-thread read bandwidth, 29-34 GB/s (probe: ResNet-50's
// 2048->1000 layer 0.33 vs 0.24 ms, MobileNetV2's 1280->1000 0.24 vs 0.18; docs/EXECUTOR.md,
// "Session 5"). Off with JOULEBENCH_ONEDNN_GEMV=0 (A/B runs).
struct jb_gemv {
    int k, m, m_by_k;             // weights [m][k] (ONNX Gemm transB = 1) or [k][m]
    const float *weights;         // borrowed: the caller keeps it alive (OneDNNPrimitive.borrowed)
    float *bias;                  // m values (zeros when the layer has none), owned
    int activation; float lo, hi; // JB_ACT_*
};

static int gemv_enabled(void) {
    const char *sw = getenv("JOULEBENCH_ONEDNN_GEMV");
    return !(sw && strcmp(sw, "0") == 0);
}

static inline float gemv_activate(const struct jb_gemv *g, float v) {
    if (g->activation == JB_ACT_RELU) return v <= 0 ? 0 : v;   // NaN stays NaN: ONNX Relu is max(0, x)
    if (g->activation == JB_ACT_CLIP) return v < g->lo ? g->lo : v > g->hi ? g->hi : v;
    return v;
}

// Rows [lo, hi) of y = W x for W [m][k]: four rows at a time, each a dot product over k
// (16 lanes per row, lanes summed at the end).
static void gemv_rows(const struct jb_gemv *g, const float *x, float *y, int lo, int hi) {
    const int k = g->k;
    int o = lo;
#if defined(__AVX512F__)
    for (; o + 4 <= hi; o += 4) {
        const float *w0 = g->weights + (size_t)o * (size_t)k, *w1 = w0 + k, *w2 = w1 + k, *w3 = w2 + k;
        __m512 a0 = _mm512_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;
        int i = 0;
        for (; i + 16 <= k; i += 16) {
            __m512 xv = _mm512_loadu_ps(x + i);
            a0 = _mm512_fmadd_ps(_mm512_loadu_ps(w0 + i), xv, a0);
            a1 = _mm512_fmadd_ps(_mm512_loadu_ps(w1 + i), xv, a1);
            a2 = _mm512_fmadd_ps(_mm512_loadu_ps(w2 + i), xv, a2);
            a3 = _mm512_fmadd_ps(_mm512_loadu_ps(w3 + i), xv, a3);
        }
        if (i < k) {
            __mmask16 tail = (__mmask16)((1u << (k - i)) - 1);
            __m512 xv = _mm512_maskz_loadu_ps(tail, x + i);
            a0 = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(tail, w0 + i), xv, a0);
            a1 = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(tail, w1 + i), xv, a1);
            a2 = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(tail, w2 + i), xv, a2);
            a3 = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(tail, w3 + i), xv, a3);
        }
        y[o] = gemv_activate(g, _mm512_reduce_add_ps(a0) + g->bias[o]);
        y[o + 1] = gemv_activate(g, _mm512_reduce_add_ps(a1) + g->bias[o + 1]);
        y[o + 2] = gemv_activate(g, _mm512_reduce_add_ps(a2) + g->bias[o + 2]);
        y[o + 3] = gemv_activate(g, _mm512_reduce_add_ps(a3) + g->bias[o + 3]);
    }
#endif
    for (; o < hi; o++) {
        const float *w = g->weights + (size_t)o * (size_t)k;
        float lanes[16] = {0};
        int i = 0;
        for (; i + 16 <= k; i += 16)
            for (int l = 0; l < 16; l++) lanes[l] += w[i + l] * x[i + l];
        for (; i < k; i++) lanes[i & 15] += w[i] * x[i];
        float sum = 0;
        for (int l = 0; l < 16; l++) sum += lanes[l];
        y[o] = gemv_activate(g, sum + g->bias[o]);
    }
}

// Columns [lo, hi) of y = xᵀ W for W [k][m]: row by row, each row's slice added into y.
static void gemv_columns(const struct jb_gemv *g, const float *x, float *y, int lo, int hi) {
    for (int j = lo; j < hi; j++) y[j] = g->bias[j];
    for (int i = 0; i < g->k; i++) {
        const float xi = x[i], *w = g->weights + (size_t)i * (size_t)g->m;
        for (int j = lo; j < hi; j++) y[j] += xi * w[j];
    }
    for (int j = lo; j < hi; j++) y[j] = gemv_activate(g, y[j]);
}

struct gemv_call { const struct jb_gemv *g; const float *x; float *y; int parts; };

// Part `part` of `parts` equal shares of the outputs, in whole 16-output blocks.
static void gemv_part(void *data, int part) {
    const struct gemv_call *c = data;
    int blocks = (c->g->m + 15) / 16;
    int lo = (int)((long)blocks * part / c->parts) * 16, hi = (int)((long)blocks * (part + 1) / c->parts) * 16;
    if (hi > c->g->m) hi = c->g->m;
    if (lo >= hi) return;
    if (c->g->m_by_k) gemv_rows(c->g, c->x, c->y, lo, hi);
    else gemv_columns(c->g, c->x, c->y, lo, hi);
}

// One part per team thread (jb_parallel_for), or all on the caller when small or before
// libdnnl's OpenMP team exists.
static void gemv_run(const struct jb_gemv *g, const float *x, float *y, int threads) {
    struct gemv_call call = {g, x, y, threads > 1 && g->m >= 32 ? threads : 1};
    if (call.parts > 1 && jb_parallel_for(call.parts, call.parts, gemv_part, &call) == 0) return;
    call.parts = 1;
    gemv_part(&call, 0);
}

static jb_op *gemv_create(int k, int m, int m_by_k, const float *weights, const float *bias, int activation, float lo, float hi,
                          char *err, size_t errlen) {
    jb_op *op = new_op(K_GEMV, 1);
    struct jb_gemv *g = calloc(1, sizeof *g);
    float *b = calloc((size_t)m, sizeof *b);
    if (!op || !g || !b) { fail(err, errlen, "inner product: out of memory"); free(g); free(b); jb_op_destroy(op); return NULL; }
    if (bias) memcpy(b, bias, (size_t)m * sizeof *b);
    *g = (struct jb_gemv){k, m, m_by_k, weights, b, activation, lo, hi};
    op->gemv = g;
    op->constant_bytes = (size_t)m * sizeof *b;
#if defined(__AVX512F__)
    snprintf(op->impl, sizeof op->impl, "jb_gemv:%s", m_by_k ? "avx512_rows" : "columns");
#else
    snprintf(op->impl, sizeof op->impl, "jb_gemv:%s", m_by_k ? "rows" : "columns");
#endif
    return op;
}

jb_op *jb_inner_product_create(int n, int k, int m, int weights_are_m_by_k, int borrow_weights, int shim_gemv, const float *weights,
                               const float *bias, int activation, float clip_min, float clip_max, char *err, size_t errlen) {
    if (ensure_engine(err, errlen)) return NULL;
    if (!weights || n < 1 || k < 1 || m < 1) { fail(err, errlen, "inner product: bad shape or no weights"); return NULL; }
    if (n == 1 && borrow_weights && shim_gemv && gemv_enabled()) return gemv_create(k, m, weights_are_m_by_k, weights, bias, activation, clip_min, clip_max, err, errlen);
    // Same kind as a convolution: one source, constant weights and bias bound at execution.
    jb_op *op = new_op(K_CONV, 1);
    dnnl_primitive_attr_t attr = user_scratchpad_attr();
    dnnl_post_ops_t post = NULL;
    dnnl_primitive_desc_t pd = NULL;
    if (!op || !attr) { fail(err, errlen, "inner product: out of memory"); goto failure; }
    dnnl_memory_desc_t src_md, dst_md, w_any, w_plain, b_md;
    dnnl_dims_t sd = {n, k}, dd = {n, m}, wd = {m, k}, bd = {m};
    CHECK(D(dnnl_memory_desc_init_by_tag)(&src_md, 2, sd, dnnl_f32, dnnl_nc), "source descriptor");
    CHECK(D(dnnl_memory_desc_init_by_tag)(&dst_md, 2, dd, dnnl_f32, dnnl_nc), "destination descriptor");
    CHECK(D(dnnl_memory_desc_init_by_tag)(&w_any, 2, wd, dnnl_f32, dnnl_format_tag_any), "weights descriptor");
    // ONNX Gemm with transB = 1 stores B as [M, K] (oneDNN's "oi"); otherwise [K, M] ("io").
    CHECK(D(dnnl_memory_desc_init_by_tag)(&w_plain, 2, wd, dnnl_f32, weights_are_m_by_k ? dnnl_oi : dnnl_io), "weights descriptor");
    CHECK(D(dnnl_memory_desc_init_by_tag)(&b_md, 1, bd, dnnl_f32, dnnl_x), "bias descriptor");
    dnnl_inner_product_desc_t desc;
    CHECK(D(dnnl_inner_product_forward_desc_init)(&desc, dnnl_forward_inference, &src_md, borrow_weights ? &w_plain : &w_any,
                                                  bias ? &b_md : NULL, &dst_md),
          "inner product descriptor");
    CHECK(D(dnnl_post_ops_create)(&post), "post-ops");
    CHECK(append_activation(post, activation, clip_min, clip_max), "activation post-op");
    CHECK(D(dnnl_primitive_attr_set_post_ops)(attr, post), "post-ops attribute");
    CHECK(D(dnnl_primitive_desc_create)(&pd, &desc, attr, engine, NULL), "inner product primitive descriptor");
    const dnnl_memory_desc_t *w_chosen = D(dnnl_primitive_desc_query_md)(pd, dnnl_query_weights_md, 0);
    // Borrowed: the caller's buffer in its own layout (the descriptor was made with it),
    // referenced, not copied, for the op's lifetime.
    if (bind_constants(op, &w_plain, weights, w_chosen, borrow_weights ? (void *)weights : NULL, &b_md, bias, err, errlen)) goto failure;
    op->src_md[0] = src_md;
    return conclude(op, pd, 1, attr, post, err, errlen);
failure:
    return conclude(op, pd, 0, attr, post, err, errlen);
}

jb_op *jb_pool_create(int kind, int n, int c, int h, int w, int out_h, int out_w, int kh, int kw,
                      int stride_h, int stride_w, int pad_top, int pad_left, int pad_bottom, int pad_right,
                      int layout, char *err, size_t errlen) {
    if (ensure_engine(err, errlen)) return NULL;
    jb_op *op = new_op(K_POOL, 1);
    dnnl_primitive_attr_t attr = user_scratchpad_attr();
    dnnl_primitive_desc_t pd = NULL;
    if (!op || !attr) { fail(err, errlen, "pooling: out of memory"); goto failure; }
    dnnl_memory_desc_t src_md, dst_md;
    if (md4(&src_md, n, c, h, w, layout) || md4(&dst_md, n, c, out_h, out_w, layout)) { fail(err, errlen, "pooling: bad shape"); goto failure; }
    // Ceil-mode outputs: extend the right/bottom padding so oneDNN's floor formula gives them.
    pad_bottom = (out_h - 1) * stride_h + kh - h - pad_top;
    pad_right = (out_w - 1) * stride_w + kw - w - pad_left;
    dnnl_dims_t strides = {stride_h, stride_w}, kernel = {kh, kw}, dil = {0, 0};
    dnnl_dims_t pl = {pad_top, pad_left}, pr = {pad_bottom, pad_right};
    dnnl_alg_kind_t alg = kind == JB_POOL_MAX ? dnnl_pooling_max
                        : kind == JB_POOL_AVG_INCLUDE_PAD ? dnnl_pooling_avg_include_padding : dnnl_pooling_avg_exclude_padding;
    dnnl_pooling_v2_desc_t desc;
    CHECK(D(dnnl_pooling_v2_forward_desc_init)(&desc, dnnl_forward_inference, alg, &src_md, &dst_md, strides, kernel, dil, pl, pr),
          "pooling descriptor");
    CHECK(D(dnnl_primitive_desc_create)(&pd, &desc, attr, engine, NULL), "pooling primitive descriptor");
    op->src_md[0] = src_md;
    return conclude(op, pd, 1, attr, NULL, err, errlen);
failure:
    return conclude(op, pd, 0, attr, NULL, err, errlen);
}

jb_op *jb_eltwise_create(int kind, float alpha, float beta, int n, int c, int h, int w, int layout, char *err, size_t errlen) {
    if (ensure_engine(err, errlen)) return NULL;
    jb_op *op = new_op(K_ELTWISE, 1);
    dnnl_primitive_attr_t attr = user_scratchpad_attr();
    dnnl_primitive_desc_t pd = NULL;
    if (!op || !attr) { fail(err, errlen, "eltwise: out of memory"); goto failure; }
    dnnl_memory_desc_t md;
    if (md4(&md, n, c, h, w, layout)) { fail(err, errlen, "eltwise: bad shape"); goto failure; }
    dnnl_alg_kind_t alg = kind == JB_ELTWISE_RELU ? dnnl_eltwise_relu : kind == JB_ELTWISE_CLIP ? dnnl_eltwise_clip_v2
                        : kind == JB_ELTWISE_LOGISTIC ? dnnl_eltwise_logistic : dnnl_eltwise_hardswish;
    dnnl_eltwise_desc_t desc;
    CHECK(D(dnnl_eltwise_forward_desc_init)(&desc, dnnl_forward_inference, alg, &md, alpha, beta), "eltwise descriptor");
    CHECK(D(dnnl_primitive_desc_create)(&pd, &desc, attr, engine, NULL), "eltwise primitive descriptor");
    op->src_md[0] = md;
    return conclude(op, pd, 1, attr, NULL, err, errlen);
failure:
    return conclude(op, pd, 0, attr, NULL, err, errlen);
}

jb_op *jb_lrn_create(int size, float alpha, float beta, float bias, int n, int c, int h, int w, int layout,
                     char *err, size_t errlen) {
    if (ensure_engine(err, errlen)) return NULL;
    if (size < 1 || size % 2 == 0) { fail(err, errlen, "LRN: size %d is not odd", size); return NULL; }
    jb_op *op = new_op(K_ELTWISE, 1);
    dnnl_primitive_attr_t attr = user_scratchpad_attr();
    dnnl_primitive_desc_t pd = NULL;
    if (!op || !attr) { fail(err, errlen, "LRN: out of memory"); goto failure; }
    dnnl_memory_desc_t md;
    if (md4(&md, n, c, h, w, layout)) { fail(err, errlen, "LRN: bad shape"); goto failure; }
    dnnl_lrn_desc_t desc;
    CHECK(D(dnnl_lrn_forward_desc_init)(&desc, dnnl_forward_inference, dnnl_lrn_across_channels, &md, size, alpha, beta, bias),
          "LRN descriptor");
    CHECK(D(dnnl_primitive_desc_create)(&pd, &desc, attr, engine, NULL), "LRN primitive descriptor");
    op->src_md[0] = md;
    return conclude(op, pd, 1, attr, NULL, err, errlen);
failure:
    return conclude(op, pd, 0, attr, NULL, err, errlen);
}

jb_op *jb_add_create(int n, int c, int h, int w, int layout, int activation, float clip_min, float clip_max, char *err, size_t errlen) {
    if (ensure_engine(err, errlen)) return NULL;
    jb_op *op = new_op(K_ADD, 2);
    dnnl_primitive_attr_t attr = user_scratchpad_attr();
    dnnl_post_ops_t post = NULL;
    dnnl_primitive_desc_t pd = NULL;
    if (!op || !attr) { fail(err, errlen, "add: out of memory"); goto failure; }
    dnnl_memory_desc_t md;
    if (md4(&md, n, c, h, w, layout)) { fail(err, errlen, "add: bad shape"); goto failure; }
    dnnl_binary_desc_t desc;
    CHECK(D(dnnl_binary_desc_init)(&desc, dnnl_binary_add, &md, &md, &md), "binary descriptor");
    CHECK(D(dnnl_post_ops_create)(&post), "post-ops");
    CHECK(append_activation(post, activation, clip_min, clip_max), "activation post-op");
    CHECK(D(dnnl_primitive_attr_set_post_ops)(attr, post), "post-ops attribute");
    CHECK(D(dnnl_primitive_desc_create)(&pd, &desc, attr, engine, NULL), "binary primitive descriptor");
    op->src_md[0] = md; op->src_md[1] = md;
    return conclude(op, pd, 1, attr, post, err, errlen);
failure:
    return conclude(op, pd, 0, attr, post, err, errlen);
}

jb_op *jb_concat_create(int count, const int *channels, int n, int h, int w, int layout, char *err, size_t errlen) {
    if (ensure_engine(err, errlen)) return NULL;
    if (count < 1 || !channels) { fail(err, errlen, "concat: no inputs"); return NULL; }
    jb_op *op = new_op(K_CONCAT, count);
    dnnl_primitive_attr_t attr = user_scratchpad_attr();
    dnnl_primitive_desc_t pd = NULL;
    if (!op || !attr) { fail(err, errlen, "concat: out of memory"); goto failure; }
    int total = 0;
    for (int i = 0; i < count; i++) {
        if (md4(&op->src_md[i], n, channels[i], h, w, layout)) { fail(err, errlen, "concat: bad shape"); goto failure; }
        total += channels[i];
    }
    dnnl_memory_desc_t dst_md;
    if (md4(&dst_md, n, total, h, w, layout)) { fail(err, errlen, "concat: bad shape"); goto failure; }
    CHECK(D(dnnl_concat_primitive_desc_create)(&pd, &dst_md, count, 1, op->src_md, attr, engine), "concat primitive descriptor");
    return conclude(op, pd, 1, attr, NULL, err, errlen);
failure:
    return conclude(op, pd, 0, attr, NULL, err, errlen);
}

jb_op *jb_reorder_create(int n, int c, int h, int w, int src_layout, int dst_layout, char *err, size_t errlen) {
    if (ensure_engine(err, errlen)) return NULL;
    jb_op *op = new_op(K_REORDER, 1);
    dnnl_primitive_attr_t attr = user_scratchpad_attr();
    dnnl_primitive_desc_t pd = NULL;
    if (!op || !attr) { fail(err, errlen, "reorder: out of memory"); goto failure; }
    dnnl_memory_desc_t src_md, dst_md;
    if (md4(&src_md, n, c, h, w, src_layout) || md4(&dst_md, n, c, h, w, dst_layout)) { fail(err, errlen, "reorder: bad shape"); goto failure; }
    CHECK(D(dnnl_reorder_primitive_desc_create)(&pd, &src_md, engine, &dst_md, engine, attr), "reorder primitive descriptor");
    op->src_md[0] = src_md;
    return conclude(op, pd, 1, attr, NULL, err, errlen);
failure:
    return conclude(op, pd, 0, attr, NULL, err, errlen);
}

static __thread dnnl_stream_t thread_stream;

int jb_op_execute(jb_op *op, int count, const float *const *srcs, float *dst, int threads, char *err, size_t errlen) {
    if (!op || count != op->nsrc || !dst) { fail(err, errlen, "execute: expected %d sources", op ? op->nsrc : -1); return -1; }
    if (op->kind == K_GEMV) { gemv_run(op->gemv, srcs[0], dst, threads); return 0; }
    if (threads > 0) p_omp_set_num_threads(threads);
    if (!thread_stream && D(dnnl_stream_create)(&thread_stream, engine, dnnl_stream_default_flags) != dnnl_success) {
        fail(err, errlen, "execute: no stream"); return -1;
    }
    int rc = -1;
    dnnl_memory_t mems[64] = {0};
    int nm = 0;
    dnnl_exec_arg_t args[64];
    int na = 0;
    void *scratch = NULL;
    if (op->nsrc + 6 > 64) { fail(err, errlen, "execute: too many sources"); return -1; }
    for (int i = 0; i < op->nsrc; i++) {
        CHECK(D(dnnl_memory_create)(&mems[nm], &op->src_md[i], engine, (void *)srcs[i]), "source memory");
        int arg = op->kind == K_CONCAT ? DNNL_ARG_MULTIPLE_SRC + i
                : op->kind == K_ADD ? (i == 0 ? DNNL_ARG_SRC_0 : DNNL_ARG_SRC_1)
                : op->kind == K_REORDER ? DNNL_ARG_FROM : DNNL_ARG_SRC;
        args[na++] = (dnnl_exec_arg_t){arg, mems[nm++]};
    }
    CHECK(D(dnnl_memory_create)(&mems[nm], &op->dst_md, engine, dst), "destination memory");
    args[na++] = (dnnl_exec_arg_t){op->kind == K_REORDER ? DNNL_ARG_TO : DNNL_ARG_DST, mems[nm++]};
    if (op->weights) args[na++] = (dnnl_exec_arg_t){DNNL_ARG_WEIGHTS, op->weights};
    if (op->bias) args[na++] = (dnnl_exec_arg_t){DNNL_ARG_BIAS, op->bias};
    if (op->dw_weights) args[na++] = (dnnl_exec_arg_t){DNNL_ARG_ATTR_POST_OP_DW | DNNL_ARG_WEIGHTS, op->dw_weights};
    if (op->dw_bias) args[na++] = (dnnl_exec_arg_t){DNNL_ARG_ATTR_POST_OP_DW | DNNL_ARG_BIAS, op->dw_bias};
    if (op->scratch_bytes > 0) {
        scratch = aligned_alloc(64, (op->scratch_bytes + 63) & ~(size_t)63);
        if (!scratch) { fail(err, errlen, "execute: scratchpad of %zu bytes", op->scratch_bytes); goto failure; }
        CHECK(D(dnnl_memory_create)(&mems[nm], &op->scratch_md, engine, scratch), "scratchpad memory");
        args[na++] = (dnnl_exec_arg_t){DNNL_ARG_SCRATCHPAD, mems[nm++]};
    }
    CHECK(D(dnnl_primitive_execute)(op->prim, thread_stream, na, args), "execution");
    CHECK(D(dnnl_stream_wait)(thread_stream), "stream wait");
    rc = 0;
failure:
    for (int i = 0; i < nm; i++) D(dnnl_memory_destroy)(mems[i]);
    free(scratch);
    return rc;
}

struct parallel_work { int count; void (*fn)(void *, int); void *context; };

static void parallel_body(void *data) {
    const struct parallel_work *work = data;
    int t = p_omp_get_thread_num(), n = p_omp_get_num_threads();
    for (int i = t; i < work->count; i += n) work->fn(work->context, i);
}

// Thread pinning (jb_team_pin_begin/end). Unpinned, the OpenMP worker woken for a primitive
// was sometimes placed on the CPU its master runs on (wake-affine, when the other vCPU had
// halted in an idle gap): two threads then time-share one core through every barrier, and a
// MobileNetV2 pass took 9-10 ms instead of 3.3 (docs/EXECUTOR.md, "Pinned team").
// Only for the length of a pass, and only one pass at a time in the process: the master on
// the CPU it is on, worker t on the t-th other CPU of the master's allowed set (recomputed
// every pass), everyone back to the master's previous set at the end. Concurrent passes are
// left to the scheduler, which spreads them better than per-caller choices would.
static int active_pins;                 // pinned passes running (0 or 1)

static void read_pin_switches(void) {
    // libgomp binds by itself under any of these (OMP_PLACES alone turns binding on).
    const char *sw = getenv("JOULEBENCH_PIN_THREADS");
    pin_disabled = getenv("OMP_PROC_BIND") || getenv("OMP_PLACES") || getenv("GOMP_CPU_AFFINITY") || (sw && strcmp(sw, "0") == 0);
}

struct jb_pinning { cpu_set_t previous; int threads; int cpus[1024]; };

static void pin_body(void *data) {
    const struct jb_pinning *p = data;
    int t = p_omp_get_thread_num();
    if (t == 0 || t >= p->threads) return;   // the master pins itself
    cpu_set_t one; CPU_ZERO(&one); CPU_SET(p->cpus[t], &one);
    sched_setaffinity(0, sizeof one, &one);
}

static void unpin_body(void *data) {
    const struct jb_pinning *p = data;
    if (p_omp_get_thread_num() != 0) sched_setaffinity(0, sizeof p->previous, &p->previous);
}

jb_pinning *jb_team_pin_begin(int threads) {
    if (!__atomic_load_n(&gomp_ready, __ATOMIC_ACQUIRE) || threads < 2 || threads > 1024) return NULL;
    pthread_once(&pin_switch_once, read_pin_switches);
    if (pin_disabled) return NULL;
    if (__atomic_fetch_add(&active_pins, 1, __ATOMIC_ACQ_REL) != 0) { __atomic_fetch_sub(&active_pins, 1, __ATOMIC_ACQ_REL); return NULL; }
    jb_pinning *p = malloc(sizeof *p);
    if (!p || sched_getaffinity(0, sizeof p->previous, &p->previous) != 0 || CPU_COUNT(&p->previous) < threads) goto refuse;
    p->threads = threads;
    int here = sched_getcpu(), n = 0;
    if (here >= 0 && CPU_ISSET(here, &p->previous)) p->cpus[n++] = here;
    for (int cpu = 0; cpu < CPU_SETSIZE && n < threads; cpu++)
        if (CPU_ISSET(cpu, &p->previous) && cpu != here) p->cpus[n++] = cpu;
    cpu_set_t one; CPU_ZERO(&one); CPU_SET(p->cpus[0], &one);
    if (sched_setaffinity(0, sizeof one, &one) != 0) goto refuse;
    p_GOMP_parallel(pin_body, p, (unsigned)threads, 0);
    return p;
refuse:
    free(p);
    __atomic_fetch_sub(&active_pins, 1, __ATOMIC_ACQ_REL);
    return NULL;
}

int jb_team_pinning_enabled(void) {
    if (!__atomic_load_n(&gomp_ready, __ATOMIC_ACQUIRE)) return 0;
    pthread_once(&pin_switch_once, read_pin_switches);
    return !pin_disabled;
}

int jb_team_pin_end(jb_pinning *p) {
    if (!p) return 0;
    p_GOMP_parallel(unpin_body, p, (unsigned)p->threads, 0);
    int rc = sched_setaffinity(0, sizeof p->previous, &p->previous);
    free(p);
    __atomic_fetch_sub(&active_pins, 1, __ATOMIC_ACQ_REL);
    return rc == 0 ? 0 : -1;
}

int jb_parallel_for(int count, int threads, void (*fn)(void *, int), void *context) {
    // Only once libdnnl is loaded (never loads it): a backend without oneDNN keeps its pool.
    if (!__atomic_load_n(&gomp_ready, __ATOMIC_ACQUIRE)) return -1;
    if (count <= 0) return 0;
    struct parallel_work work = {count, fn, context};
    unsigned team = (unsigned)(threads < 1 ? 1 : threads > count ? count : threads);
    p_GOMP_parallel(parallel_body, &work, team, 0);
    return 0;
}

const char *jb_op_implementation(const jb_op *op) { return op ? op->impl : ""; }
size_t jb_op_constant_bytes(const jb_op *op) { return op ? op->constant_bytes : 0; }

void jb_op_destroy(jb_op *op) {
    if (!op) return;
    if (op->prim) D(dnnl_primitive_destroy)(op->prim);
    if (op->weights) D(dnnl_memory_destroy)(op->weights);
    if (op->bias) D(dnnl_memory_destroy)(op->bias);
    if (op->dw_weights) D(dnnl_memory_destroy)(op->dw_weights);
    if (op->dw_bias) D(dnnl_memory_destroy)(op->dw_bias);
    if (op->gemv) free(op->gemv->bias);
    free(op->gemv);
    free(op->src_md);
    free(op);
}

size_t jb_tensor_floats(int n, int c, int h, int w, int layout) {
    size_t cp = layout == JB_LAYOUT_BLOCKED ? (size_t)((c + 15) / 16) * 16 : (size_t)c;
    return (size_t)n * cp * (size_t)h * (size_t)w;
}

const char *jb_dnnl_threading_note(void) {
    pthread_once(&engine_once, make_engine);
    return load_note;
}

const char *jb_dnnl_version(void) {
    static char text[32];
    if (ensure_engine(NULL, 0)) return "unavailable";
    const dnnl_version_t *v = D(dnnl_version)();
    snprintf(text, sizeof text, "%d.%d.%d", v->major, v->minor, v->patch);
    return text;
}
