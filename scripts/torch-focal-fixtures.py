#!/usr/bin/env python3
"""
The focal loss as PyTorch autograd computes it, composed from torch ops independently of softxent
(docs/spec.md "focal"), in float64: test/fixtures/focal-torch.json, read by
test/parity/focal-torch.test.ts. Regenerate with `/usr/bin/python3 scripts/torch-focal-fixtures.py`
(PyTorch >= 1.13; fixed seeds). It then formats the file with biome, as `npm run lint` expects.

Softmax: L_i = sum_j alpha_j (1 - p_j)^gamma (-q_j log p_j), q the 'uniform'-smoothed label (or the
probability target), rows labelled -100 give 0; 'mean' divides by the number of non-ignored rows (N for
probability targets). FLSD-53: gamma = 5 where the true class's p < 0.2 else 3, a constant of the row.
Sigmoid: torchvision's sigmoid_focal_loss with t' = t (1 - eps) + eps / 2; 'mean' over all elements.
Logits, targets and alpha are rounded to float32 first (softxent's inputs), the arithmetic is float64.
"""
import json
import os
import subprocess

import numpy as np
import torch
import torch.nn.functional as F

IGNORE = -100
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "test", "fixtures", "focal-torch.json")


def f32(a):
    return np.asarray(a, dtype=np.float32).astype(np.float64)


def r9(xs):
    return [float("%.9g" % x) for x in np.asarray(xs).ravel()]


def r15(xs):
    return [float("%.15g" % x) for x in np.asarray(xs).ravel()]


def logits(rng, n, k, extreme=False, confident=False):
    z = rng.normal(0.0, 3.0, size=(n, k))
    if extreme:  # row 0: logits of +-30
        z[0] = np.where(rng.random(k) < 0.5, 30.0, -30.0)
        z[0, rng.integers(k)] = 30.0
    return f32(z)


def softmax_focal(z, y, probs, k, eps, alpha, gamma, reduction):
    zt = torch.tensor(z, dtype=torch.float64, requires_grad=True)
    logp = torch.log_softmax(zt, dim=1)
    u = -torch.expm1(logp)  # 1 - p without cancellation
    n = z.shape[0]
    if probs is not None:
        q = torch.tensor(probs, dtype=torch.float64)
        true = np.argmax(probs, axis=1)  # first on ties
        keep = torch.ones(n, dtype=torch.float64)
    else:
        yy = np.where(y == IGNORE, 0, y)
        q = (1 - eps) * F.one_hot(torch.tensor(yy), k).to(torch.float64) + eps / k
        true = yy
        keep = torch.tensor((y != IGNORE).astype(np.float64))
    if gamma == "flsd-53":
        pt = torch.exp(logp.detach())[torch.arange(n), torch.tensor(true)]
        g = torch.where(pt < 0.2, torch.tensor(5.0, dtype=torch.float64), torch.tensor(3.0, dtype=torch.float64))[:, None]
    else:
        g = torch.tensor(float(gamma), dtype=torch.float64)
    a = torch.ones(k, dtype=torch.float64) if alpha is None else torch.tensor(alpha, dtype=torch.float64)
    rows = (a * u.pow(g) * q * (-logp)).sum(dim=1) * keep
    if reduction == "none":
        loss = rows
        rows.backward(torch.ones(n, dtype=torch.float64))
    else:
        loss = rows.sum() if reduction == "sum" else rows.sum() / max(1.0, float(keep.sum()))
        loss.backward()
    return loss.detach().numpy(), zt.grad.numpy()


def sigmoid_focal(x, t, eps, alpha, gamma, reduction):
    xt = torch.tensor(x, dtype=torch.float64, requires_grad=True)
    ts = torch.tensor(t, dtype=torch.float64) * (1 - eps) + eps / 2
    ce = F.binary_cross_entropy_with_logits(xt, ts, reduction="none")
    one_minus_pt = ts * torch.sigmoid(-xt) + (1 - ts) * torch.sigmoid(xt)
    loss = ce * one_minus_pt.pow(gamma)
    if alpha is not None:
        loss = (alpha * ts + (1 - alpha) * (1 - ts)) * loss
    if reduction == "none":
        out = loss
        loss.backward(torch.ones_like(loss))
    else:
        out = loss.sum() if reduction == "sum" else loss.sum() / max(1, loss.numel())
        out.backward()
    return out.detach().numpy(), xt.grad.numpy()


def main():
    cases = []
    # (n, k, gamma, alpha kind, eps, reduction, prob targets, ignored rows, extreme row, confident row)
    softmax_specs = [
        (7, 13, 2, None, 0.0, "mean", False, 0, False, False),
        (7, 13, 0, 0.25, 0.1, "sum", False, 0, False, False),
        (5, 37, 1, "vector", 0.1, "mean", False, 2, False, False),
        (5, 37, 3, "vector", 0.0, "none", False, 1, True, False),
        (9, 6, 1.5, None, 0.2, "mean", False, 0, True, True),
        (3, 1001, 2, "vector", 0.1, "mean", False, 0, False, False),
        (6, 11, "flsd-53", None, 0.0, "mean", False, 1, False, True),
        (8, 5, "flsd-53", 0.5, 0.1, "none", False, 0, True, True),
        (6, 17, 2, "vector", 0.0, "mean", True, 0, False, False),
        (4, 9, "flsd-53", None, 0.0, "sum", True, 0, True, False),
        (10, 4, 3, None, 0.0, "none", False, 0, False, True),
    ]
    for ci, (n, k, gamma, alpha, eps, red, prob, nign, extreme, confident) in enumerate(softmax_specs):
        rng = np.random.default_rng(1000 + ci)
        z = logits(rng, n, k, extreme)
        y = rng.integers(0, k, size=n)
        if confident:  # last row: the label's logit 12 above the rest
            z[n - 1] = f32(rng.normal(0.0, 1.0, size=k))
            z[n - 1, y[n - 1]] = np.float32(z[n - 1].max() + 12.0)
        if nign:
            y[rng.choice(np.arange(n - 1 if confident else n), size=nign, replace=False)] = IGNORE
        probs = None
        if prob:
            probs = f32(np.where(rng.random((n, k)) < 0.3, rng.random((n, k)), 0.0))
            probs[np.arange(n), rng.integers(0, k, size=n)] += np.float32(0.5)
            probs = f32(probs)
        if alpha == "vector":
            alpha_v = f32(0.05 + 0.95 * rng.random(k))
        else:
            alpha_v = None if alpha is None else np.full(k, float(alpha))
        loss, grad = softmax_focal(z, y, probs, k, eps, alpha_v, gamma, red)
        focal = {"gamma": gamma}
        if alpha == "vector":
            focal["alpha"] = r9(alpha_v)
        elif alpha is not None:
            focal["alpha"] = alpha
        options = {"classes": k, "smoothing": eps, "reduction": red, "focal": focal}
        if not prob:
            options["smoothingMode"] = "uniform"
        cases.append(
            {
                "kind": "softmax",
                "n": n,
                "k": k,
                "logits": r9(z),
                "target": r9(probs) if prob else [int(v) for v in y],
                "targetKind": "probability" if prob else "index",
                "options": options,
                "confidentRow": n - 1 if confident else None,
                "loss": r15(loss) if red == "none" else float("%.15g" % loss),
                "grad": r15(grad),
            }
        )
    sigmoid_specs = [
        (7, 13, 2, 0.25, 0.0, "mean"),
        (5, 37, 1.5, None, 0.1, "sum"),
        (4, 9, 0, 0.75, 0.0, "none"),
        (6, 7, 3, 0.25, 0.2, "mean"),
    ]
    for ci, (n, k, gamma, alpha, eps, red) in enumerate(sigmoid_specs):
        rng = np.random.default_rng(2000 + ci)
        x = logits(rng, n, k, extreme=True)
        t = f32(np.where(rng.random((n, k)) < 0.3, 1.0, np.where(rng.random((n, k)) < 0.7, 0.0, rng.random((n, k)))))
        loss, grad = sigmoid_focal(x, t, eps, alpha, gamma, red)
        focal = {"gamma": gamma}
        if alpha is not None:
            focal["alpha"] = alpha
        cases.append(
            {
                "kind": "sigmoid",
                "n": n,
                "k": k,
                "logits": r9(x),
                "target": r9(t),
                "options": {"classes": k, "smoothing": eps, "reduction": red, "focal": focal},
                "loss": r15(loss) if red == "none" else float("%.15g" % loss),
                "grad": r15(grad),
            }
        )
    doc = {
        "generator": "scripts/torch-focal-fixtures.py",
        "torch": torch.__version__,
        "cases": cases,
    }
    with open(OUT, "w") as f:
        json.dump(doc, f, separators=(",", ":"))
        f.write("\n")
    root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
    subprocess.run(["npx", "biome", "format", "--write", os.path.relpath(OUT, root)], cwd=root, check=True)
    print(OUT, os.path.getsize(OUT), "bytes,", len(cases), "cases")


if __name__ == "__main__":
    main()
