// Fused top-k affinity search on the CPU: the scores of a strip of 16 query cells (one grid row)
// against the memory cells they may see are accumulated in registers, and every score is checked
// against each query's running k-th value as it is made: no score matrix is written, and a
// restricted frame is visited only inside the rows and columns its radius reaches.
//
// Specification (unibench.cuda_ops.propagation.topk_reference): for every query cell, the k
// largest dot products over the eligible memory cells, ordered by value descending, ties to the
// lower memory index (frame-major, then row-major cell); slots with no eligible cell hold -inf and
// index -1. A memory cell of a restricted frame is eligible when its grid offset (dy, dx) to the
// query satisfies dy*dy + dx*dx < radius*radius (circle) or |dy|, |dx| <= radius (square),
// evaluated in float32 as the reference does. Memory cells are visited in ascending index and a
// score enters a query's list only when strictly above its k-th value, so ties keep the lower
// index. Each dot product sums the channels in order with fused multiply-adds.
//
// Two register kernels, chosen at run time from the CPU: AVX-512 (the strip in one register, 12
// memory cells per block) and AVX2 + FMA (two registers, 6 memory cells per block). The module
// itself is compiled for the baseline x86-64, so it loads on any x86-64 CPU; `isa()` says which
// kernel the CPU allows ("" when neither: the caller keeps its own path).
#include <torch/extension.h>
#include <ATen/Parallel.h>
#include <immintrin.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <string>
#include <vector>

namespace {

constexpr int LANES = 16;  // query cells per strip

struct Lists {
  int k;
  std::vector<float> val;    // LANES × k, descending
  std::vector<int64_t> idx;  // LANES × k
  alignas(64) float thr[LANES];  // each lane's k-th value
  explicit Lists(int k_)
      : k(k_), val(LANES * k_, -std::numeric_limits<float>::infinity()), idx(LANES * k_, -1) {
    for (float& t : thr) t = -std::numeric_limits<float>::infinity();
  }
  // v > the lane's k-th value: shift the smaller entries down, after any equal ones
  inline void insert(int lane, float v, int64_t i) {
    float* V = &val[lane * k];
    int64_t* I = &idx[lane * k];
    int p = k - 1;
    while (p > 0 && V[p - 1] < v) {
      V[p] = V[p - 1];
      I[p] = I[p - 1];
      --p;
    }
    V[p] = v;
    I[p] = i;
    thr[lane] = V[k - 1];
  }
  // the lanes of `mask` whose score beats their k-th value, in lane order
  inline void offer(unsigned mask, const float* s, int64_t index) {
    while (mask) {
      const int l = __builtin_ctz(mask);
      mask &= mask - 1;
      if (s[l] > thr[l]) insert(l, s[l], index);
    }
  }
};

// the widest |dx| a row at offset dy admits; -1 when no cell of the row is eligible
inline int64_t row_extent(int64_t dy, float radius, bool circle, int64_t reach) {
  if (circle) {
    const float r2 = radius * radius;
    if (!(static_cast<float>(dy * dy) < r2)) return -1;
    int64_t e = 0;
    while (static_cast<float>((e + 1) * (e + 1) + dy * dy) < r2) ++e;
    return e;
  }
  return std::fabs(static_cast<float>(dy)) <= radius ? reach : -1;
}

// lanes lo..hi (clipped to the strip) as a bit mask
inline unsigned lanes(int64_t lo, int64_t hi) {
  lo = std::max<int64_t>(lo, 0);
  hi = std::min<int64_t>(hi, LANES - 1);
  if (lo > hi) return 0;
  return ((1u << (hi + 1)) - 1) & ~((1u << lo) - 1);
}

// One memory row's cells x_lo..x_hi against the strip (queries at x0 + lane, lane < nvalid); a
// cell at column x is eligible for the lanes with |x - (x0 + lane)| <= ext (every valid lane when
// ext < 0 marks an unrestricted frame). qs: C × 16 (the strip, transposed); mrow: the row's cells,
// C floats each; base: the memory index of the row's column 0.
struct Row {
  const float* qs;
  const float* mrow;
  int64_t C, base, x_lo, x_hi, x0, ext, nvalid;
  unsigned eligible(int64_t x) const {
    return ext < 0 ? lanes(0, nvalid - 1)
                   : lanes(x - ext - x0, std::min<int64_t>(x + ext - x0, nvalid - 1));
  }
};

constexpr int KEYS512 = 12;

__attribute__((target("avx512f"))) void row512(Lists& L, const Row& R) {
  alignas(64) float s[LANES];
  int64_t x = R.x_lo;
  for (; x + KEYS512 - 1 <= R.x_hi; x += KEYS512) {
    __m512 a[KEYS512];
#pragma GCC unroll 16
    for (int j = 0; j < KEYS512; ++j) a[j] = _mm512_setzero_ps();
    const float* m0 = R.mrow + x * R.C;
    for (int64_t c = 0; c < R.C; ++c) {
      const __m512 qv = _mm512_load_ps(R.qs + c * LANES);
#pragma GCC unroll 16
      for (int j = 0; j < KEYS512; ++j)
        a[j] = _mm512_fmadd_ps(qv, _mm512_set1_ps(m0[j * R.C + c]), a[j]);
    }
#pragma GCC unroll 16
    for (int j = 0; j < KEYS512; ++j) {
      const __mmask16 elig = static_cast<__mmask16>(R.eligible(x + j));
      const __mmask16 m = _mm512_mask_cmp_ps_mask(elig, a[j], _mm512_load_ps(L.thr), _CMP_GT_OQ);
      if (m) {
        _mm512_store_ps(s, a[j]);
        L.offer(m, s, R.base + x + j);
      }
    }
  }
  for (; x <= R.x_hi; ++x) {
    __m512 a = _mm512_setzero_ps();
    const float* m0 = R.mrow + x * R.C;
    for (int64_t c = 0; c < R.C; ++c)
      a = _mm512_fmadd_ps(_mm512_load_ps(R.qs + c * LANES), _mm512_set1_ps(m0[c]), a);
    const __mmask16 elig = static_cast<__mmask16>(R.eligible(x));
    const __mmask16 m = _mm512_mask_cmp_ps_mask(elig, a, _mm512_load_ps(L.thr), _CMP_GT_OQ);
    if (m) {
      _mm512_store_ps(s, a);
      L.offer(m, s, R.base + x);
    }
  }
}

constexpr int KEYS256 = 6;

__attribute__((target("avx2,fma"))) inline unsigned beats256(const Lists& L, __m256 s0, __m256 s1) {
  return static_cast<unsigned>(
      _mm256_movemask_ps(_mm256_cmp_ps(s0, _mm256_load_ps(L.thr), _CMP_GT_OQ)) |
      (_mm256_movemask_ps(_mm256_cmp_ps(s1, _mm256_load_ps(L.thr + 8), _CMP_GT_OQ)) << 8));
}

__attribute__((target("avx2,fma"))) void row256(Lists& L, const Row& R) {
  alignas(32) float s[LANES];
  int64_t x = R.x_lo;
  for (; x + KEYS256 - 1 <= R.x_hi; x += KEYS256) {
    __m256 a0[KEYS256], a1[KEYS256];
#pragma GCC unroll 8
    for (int j = 0; j < KEYS256; ++j) a0[j] = a1[j] = _mm256_setzero_ps();
    const float* m0 = R.mrow + x * R.C;
    for (int64_t c = 0; c < R.C; ++c) {
      const __m256 qa = _mm256_load_ps(R.qs + c * LANES);
      const __m256 qb = _mm256_load_ps(R.qs + c * LANES + 8);
#pragma GCC unroll 8
      for (int j = 0; j < KEYS256; ++j) {
        const __m256 mv = _mm256_broadcast_ss(m0 + j * R.C + c);
        a0[j] = _mm256_fmadd_ps(qa, mv, a0[j]);
        a1[j] = _mm256_fmadd_ps(qb, mv, a1[j]);
      }
    }
#pragma GCC unroll 8
    for (int j = 0; j < KEYS256; ++j) {
      const unsigned m = beats256(L, a0[j], a1[j]) & R.eligible(x + j);
      if (m) {
        _mm256_store_ps(s, a0[j]);
        _mm256_store_ps(s + 8, a1[j]);
        L.offer(m, s, R.base + x + j);
      }
    }
  }
  for (; x <= R.x_hi; ++x) {
    __m256 a0 = _mm256_setzero_ps(), a1 = _mm256_setzero_ps();
    const float* m0 = R.mrow + x * R.C;
    for (int64_t c = 0; c < R.C; ++c) {
      const __m256 mv = _mm256_broadcast_ss(m0 + c);
      a0 = _mm256_fmadd_ps(_mm256_load_ps(R.qs + c * LANES), mv, a0);
      a1 = _mm256_fmadd_ps(_mm256_load_ps(R.qs + c * LANES + 8), mv, a1);
    }
    const unsigned m = beats256(L, a0, a1) & R.eligible(x);
    if (m) {
      _mm256_store_ps(s, a0);
      _mm256_store_ps(s + 8, a1);
      L.offer(m, s, R.base + x);
    }
  }
}

std::string isa() {
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx512f")) return "avx512";
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return "avx2";
  return "";
}

}  // namespace

// q: (h·w) × C, mem: F × (h·w) × C (both cell-major, contiguous float32); restricted: F flags.
// kernel: "avx512" or "avx2" (at most what isa() allows). Returns values and indices, (h·w) × k.
std::vector<torch::Tensor> topk_strips(torch::Tensor q, torch::Tensor mem,
                                       std::vector<bool> restricted, int64_t h, int64_t w,
                                       int64_t k, double radius_d, bool circle, int64_t reach,
                                       const std::string& kernel) {
  TORCH_CHECK(q.device().is_cpu() && mem.device().is_cpu(), "CPU tensors expected");
  TORCH_CHECK(q.scalar_type() == torch::kFloat && mem.scalar_type() == torch::kFloat,
              "float32 tensors expected");
  TORCH_CHECK(q.is_contiguous() && mem.is_contiguous(), "contiguous tensors expected");
  const int64_t hw = h * w, C = q.size(1), F = mem.size(0);
  TORCH_CHECK(q.dim() == 2 && q.size(0) == hw && mem.dim() == 3 && mem.size(1) == hw &&
                  mem.size(2) == C && static_cast<int64_t>(restricted.size()) == F && k >= 1,
              "shape mismatch");
  const std::string allowed = isa();
  TORCH_CHECK(kernel == "avx2" || kernel == "avx512", "kernel must be avx2 or avx512");
  TORCH_CHECK(!allowed.empty() && (kernel == "avx2" || allowed == "avx512"),
              "this CPU does not support the ", kernel, " kernel");
  const bool wide = kernel == "avx512";
  const float radius = static_cast<float>(radius_d);
  auto vals = torch::empty({hw, k}, torch::kFloat);
  auto idx = torch::empty({hw, k}, torch::kLong);
  const float* Q = q.data_ptr<float>();
  const float* M = mem.data_ptr<float>();
  float* VO = vals.data_ptr<float>();
  int64_t* IO = idx.data_ptr<int64_t>();
  const int64_t per_row = (w + LANES - 1) / LANES;
  at::parallel_for(0, h * per_row, 1, [&](int64_t b, int64_t e) {
    std::vector<float, std::allocator<float>> buf(C * LANES + 16);
    // 64-byte aligned C × 16 strip
    float* qs = reinterpret_cast<float*>(
        (reinterpret_cast<uintptr_t>(buf.data()) + 63) & ~static_cast<uintptr_t>(63));
    for (int64_t s = b; s < e; ++s) {
      const int64_t y = s / per_row, x0 = (s % per_row) * LANES;
      const int64_t nvalid = std::min<int64_t>(LANES, w - x0);
      for (int64_t c = 0; c < C; ++c)
        for (int64_t l = 0; l < LANES; ++l)
          qs[c * LANES + l] = l < nvalid ? Q[(y * w + x0 + l) * C + c] : 0.0f;
      Lists L(static_cast<int>(k));
      for (int64_t f = 0; f < F; ++f) {
        const bool r = restricted[f];
        const int64_t y_lo = r ? std::max<int64_t>(0, y - reach) : 0;
        const int64_t y_hi = r ? std::min<int64_t>(h - 1, y + reach) : h - 1;
        for (int64_t yk = y_lo; yk <= y_hi; ++yk) {
          int64_t ext = -1;  // unrestricted: every column, every valid lane
          int64_t x_lo = 0, x_hi = w - 1;
          if (r) {
            ext = row_extent(yk - y, radius, circle, reach);
            if (ext < 0) continue;
            x_lo = std::max<int64_t>(0, x0 - ext);
            x_hi = std::min<int64_t>(w - 1, x0 + nvalid - 1 + ext);
          }
          const Row R{qs, M + (f * hw + yk * w) * C, C, f * hw + yk * w,
                      x_lo, x_hi, x0, ext, nvalid};
          if (wide)
            row512(L, R);
          else
            row256(L, R);
        }
      }
      for (int64_t l = 0; l < nvalid; ++l) {
        const int64_t cell = y * w + x0 + l;
        std::copy_n(&L.val[l * k], k, VO + cell * k);
        std::copy_n(&L.idx[l * k], k, IO + cell * k);
      }
    }
  });
  return {vals, idx};
}

PYBIND11_MODULE(TORCH_EXTENSION_NAME, m) {
  m.def("topk_strips", &topk_strips, "fused top-k affinity search on the CPU");
  m.def("isa", &isa, "the register kernel this CPU allows: avx512, avx2 or empty");
}
