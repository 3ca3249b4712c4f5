# Fits the polynomial of assembly/math/exp.ts: exp(r) ≈ 1 + r + r²·P(r) on |r| ≤ ln2/2, minimising the
# relative error (iteratively reweighted least squares), then measures the max relative error of the
# whole f32 evaluation (range reduction included) over x ∈ [−87, 88]. Run: python3 scripts/fit-exp.py
import numpy as np
ln2=np.log(2.0)
a=ln2/2*1.0001
def fit(deg):
    # exp(r) ~ 1 + r + r^2 * P(r), P degree deg-2; minimise relative error via iterative reweighted LS (approx minimax)
    r=np.cos(np.linspace(0,np.pi,4000))*a
    r=r[np.abs(r)>1e-6]
    w=np.ones_like(r)
    for it in range(60):
        A=np.stack([r**(k+2) for k in range(deg-1)],1)/np.exp(r)[:,None]
        b=(np.exp(r)-1-r)/np.exp(r)
        c,*_=np.linalg.lstsq(A*w[:,None],b*w,rcond=None)
        err=np.abs(A@c-b)
        w=w*(err/err.max())**0.3+1e-3*0  # lawson-ish
        w/=w.max()
    return c
for deg in (5,6):
    c=fit(deg).astype(np.float32)
    # simulate f32 evaluation
    f=np.float32
    x=np.linspace(-87,88,2_000_001).astype(np.float32)
    n=np.floor(x*f(1/ln2)+f(0.5)).astype(np.float32)
    hi=f(0.693359375); lo=f(-2.12194440e-4)
    r=(x-n*hi).astype(np.float32); r=(r-n*lo).astype(np.float32)
    p=c[-1]
    for k in range(len(c)-2,-1,-1): p=(p*r+c[k]).astype(np.float32)
    y=(f(1)+r+(r*r).astype(np.float32)*p).astype(np.float32)
    y=np.ldexp(y.astype(np.float64),n.astype(int))
    rel=np.abs(y/np.exp(x.astype(np.float64))-1)
    print(deg,[float(v) for v in c],rel.max())
