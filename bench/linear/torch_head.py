# The native anchor of `npm run bench:linear` (bench/linear/native.ts): PyTorch's F.linear +
# F.cross_entropy(label_smoothing) forward and backward (gradients of hidden, weight and bias) on one
# shape, in the thread count given. Prints one JSON line: times (ms per step), torch's version, the BLAS
# library actually loaded (from /proc/self/maps), and the CPU's vector ISA (from /proc/cpuinfo).
#
#   python3 bench/linear/torch_head.py N D V THREADS SECONDS
import json
import sys
import time


def loaded_blas():
    try:
        with open("/proc/self/maps") as f:
            libs = {line.split()[-1] for line in f if ".so" in line}
    except OSError:
        return "unknown (no /proc/self/maps)"
    names = sorted({p.rsplit("/", 1)[-1] for p in libs if any(k in p for k in ("blas", "mkl", "lapack"))})
    return ", ".join(names) or "none found"


def vector_isa():
    try:
        with open("/proc/cpuinfo") as f:
            flags = next((line.split(":", 1)[1].split() for line in f if line.startswith("flags")), [])
    except OSError:
        return "unknown"
    if "avx512f" in flags:
        return "AVX-512"
    if "avx2" in flags:
        return "AVX2"
    return "SSE/other"


def main():
    n, d, v, threads = (int(x) for x in sys.argv[1:5])
    seconds = float(sys.argv[5]) if len(sys.argv) > 5 else 5.0
    import torch
    import torch.nn.functional as F

    torch.set_num_threads(threads)
    g = torch.Generator().manual_seed(1)
    hidden = (torch.rand(n, d, generator=g) - 0.5).requires_grad_()
    weight = ((torch.rand(v, d, generator=g) - 0.5) * (4 / d**0.5)).requires_grad_()
    bias = ((torch.rand(v, generator=g) - 0.5) * 0.2).requires_grad_()
    labels = torch.randint(0, v, (n,), generator=g)

    def step():
        for t in (hidden, weight, bias):
            t.grad = None
        loss = F.cross_entropy(F.linear(hidden, weight, bias), labels, label_smoothing=0.1)
        loss.backward()
        return loss.item()

    step()
    step()
    times = []
    end = time.perf_counter() + seconds
    while time.perf_counter() < end or len(times) < 3:
        t0 = time.perf_counter()
        step()
        times.append((time.perf_counter() - t0) * 1000)
    s = sorted(times)
    print(json.dumps({
        "shape": [n, d, v],
        "threads": threads,
        "torchThreads": torch.get_num_threads(),
        "meanMs": sum(times) / len(times),
        "p50Ms": s[len(s) // 2],
        "p99Ms": s[min(len(s) - 1, int(len(s) * 0.99))],
        "calls": len(times),
        "torch": torch.__version__,
        "blas": loaded_blas(),
        "isa": vector_isa(),
    }))


main()
