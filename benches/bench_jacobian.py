"""mu and its Jacobian for a batch of parameters: neuromanifold against JAX, PyTorch and numpy.

Workload: PolynomialNetwork((3, 4, 4, 2), activation=2), N = 36 parameters, A = 30 coefficients
(2 outputs x 15 quartic monomials in 3 variables), B = 20000 random parameter vectors.
Peers evaluate the network at 15 fixed generic points and apply the inverse Vandermonde matrix
of the monomial basis, which yields the same coefficients; their Jacobians are forward mode.

    python benches/bench_jacobian.py [--batch 20000] [--repeat 5]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time

import numpy as np

import neuromanifold as nm

WIDTHS = (3, 4, 4, 2)


def best_of(fn, repeat: int) -> float:
    fn()  # warm-up (and compilation for the JIT peers)
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def vandermonde(net: nm.Network) -> tuple[np.ndarray, np.ndarray]:
    """15 fixed points and the inverse of their monomial evaluation matrix."""
    rng = np.random.default_rng(12345)
    P = rng.standard_normal((3, net.monomials.shape[0]))
    V = np.prod(P.T[:, None, :] ** net.monomials[None, :, :], axis=2)  # V[p, m]
    return P, np.linalg.inv(V)


def split(theta, xp):
    W1 = theta[0:12].reshape(4, 3)
    W2 = theta[12:28].reshape(4, 4)
    W3 = theta[28:36].reshape(2, 4)
    return W1, W2, W3


def numpy_mu_jacobian(thetas: np.ndarray, P: np.ndarray, Vinv: np.ndarray, chunk: int = 2000):
    """Forward mode in numpy, vectorised over the batch: values and 36 tangents."""
    B = thetas.shape[0]
    mus = np.empty((B, 30))
    jacs = np.empty((B, 30, 36))
    for s in range(0, B, chunk):
        th = thetas[s : s + chunk]
        b = th.shape[0]
        W1, W2, W3 = th[:, 0:12].reshape(b, 4, 3), th[:, 12:28].reshape(b, 4, 4), th[:, 28:36].reshape(b, 2, 4)
        eye = np.eye(36)
        dW1, dW2, dW3 = eye[:, 0:12].reshape(36, 4, 3), eye[:, 12:28].reshape(36, 4, 4), eye[:, 28:36].reshape(36, 2, 4)
        z1 = np.einsum("bij,jp->bip", W1, P)  # (b, 4, 15)
        dz1 = np.einsum("kij,jp->kip", dW1, P)  # (36, 4, 15), independent of theta
        h1 = z1**2
        dh1 = 2 * z1[:, None] * dz1[None]  # (b, 36, 4, 15)
        z2 = np.einsum("bij,bjp->bip", W2, h1)
        dz2 = np.einsum("bij,bkjp->bkip", W2, dh1) + np.einsum("kij,bjp->bkip", dW2, h1)
        h2 = z2**2
        dh2 = 2 * z2[:, None] * dz2
        out = np.einsum("bij,bjp->bip", W3, h2)  # (b, 2, 15)
        dout = np.einsum("bij,bkjp->bkip", W3, dh2) + np.einsum("kij,bjp->bkip", dW3, h2)
        mus[s : s + b] = np.einsum("mp,bop->bom", Vinv, out).reshape(b, 30)
        jacs[s : s + b] = np.einsum("mp,bkop->bomk", Vinv, dout).reshape(b, 30, 36)
    return mus, jacs


def jax_peer(P: np.ndarray, Vinv: np.ndarray):
    import jax
    import jax.numpy as jnp

    jax.config.update("jax_enable_x64", True)
    Pj, Vj = jnp.asarray(P), jnp.asarray(Vinv)

    def f(theta):
        W1, W2, W3 = split(theta, jnp)
        out = W3 @ (W2 @ (W1 @ Pj) ** 2) ** 2  # (2, 15) values at the points
        return (out @ Vj.T).reshape(30)  # coefficients

    mu = jax.jit(jax.vmap(f))
    jac = jax.jit(jax.vmap(jax.jacfwd(f)))

    def run(thetas):
        t = jnp.asarray(thetas)
        return mu(t).block_until_ready(), jac(t).block_until_ready()

    return run, jax.__version__


def torch_peer(P: np.ndarray, Vinv: np.ndarray):
    import torch
    from torch.func import jacfwd, vmap

    torch.set_default_dtype(torch.float64)
    Pt, Vt = torch.as_tensor(P), torch.as_tensor(Vinv)

    def f(theta):
        W1, W2, W3 = split(theta, torch)
        out = W3 @ (W2 @ (W1 @ Pt) ** 2) ** 2
        return (out @ Vt.T).reshape(30)

    mu, jac = vmap(f), vmap(jacfwd(f))

    def run(thetas):
        t = torch.as_tensor(thetas)
        with torch.no_grad():
            return mu(t), jac(t)

    return run, torch.__version__


def ours(net: nm.Network):
    def run(thetas):
        return net.mu(thetas), net.jacobian(thetas)

    return run


def single_thread_figure(batch: int, repeat: int) -> float:
    """neuromanifold with one thread, in a fresh process."""
    env = dict(os.environ, RAYON_NUM_THREADS="1")
    code = (
        "import sys, json; sys.path.insert(0, %r); import bench_jacobian as b; "
        "print(json.dumps(b.time_ours(%d, %d)))" % (os.path.dirname(os.path.abspath(__file__)), batch, repeat)
    )
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def time_ours(batch: int, repeat: int) -> float:
    net = nm.PolynomialNetwork(WIDTHS, activation=2)
    thetas = net.random_params(batch, seed=0)
    run = ours(net)
    return best_of(lambda: run(thetas), repeat)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch", type=int, default=20000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()

    net = nm.PolynomialNetwork(WIDTHS, activation=2)
    assert (net.n_params, net.ambient_dim) == (36, 30)
    thetas = net.random_params(args.batch, seed=0)
    P, Vinv = vandermonde(net)

    # every peer must compute the same mu and Jacobian
    ref_mu, ref_jac = ours(net)(thetas[:200])
    h = 1e-6
    fd = np.stack(
        [(net.mu(thetas[:3] + h * e) - net.mu(thetas[:3] - h * e)) / (2 * h) for e in np.eye(36)], axis=-1
    )
    assert np.allclose(ref_jac[:3], fd, rtol=1e-6, atol=1e-6 * np.abs(fd).max()), "neuromanifold Jacobian vs finite differences"

    peers: list[tuple[str, str, object]] = [("numpy forward mode", np.__version__, lambda t: numpy_mu_jacobian(t, P, Vinv))]
    for name, make in [("JAX jit(vmap(jacfwd))", jax_peer), ("PyTorch vmap(jacfwd)", torch_peer)]:
        try:
            run, version = make(P, Vinv)
            peers.append((name, version, run))
        except ImportError as e:
            print(f"{name}: not installed ({e})", file=sys.stderr)

    for name, _, run in peers:
        m, j = run(thetas[:200])
        scale = np.abs(ref_jac).max()
        assert np.allclose(np.asarray(m), ref_mu, atol=1e-8 * np.abs(ref_mu).max()), f"{name}: mu disagrees"
        assert np.allclose(np.asarray(j), ref_jac, atol=1e-8 * scale), f"{name}: Jacobian disagrees"

    rows = []
    ours_t = best_of(lambda: ours(net)(thetas), args.repeat)
    rows.append(("neuromanifold", nm.__version__, nm.get_num_threads(), ours_t))
    rows.append(("neuromanifold", nm.__version__, 1, single_thread_figure(args.batch, args.repeat)))
    for name, version, run in peers:
        rows.append((name, version, "all (2)", best_of(lambda: run(thetas), args.repeat)))

    jax_t = next((t for n, _, _, t in rows if n.startswith("JAX")), None)
    print(f"B = {args.batch}, mu and Jacobian of {net.spec} (N = 36, A = 30); best of {args.repeat}\n")
    print("| implementation | version | threads | seconds | thetas/s | speed-up vs JAX |")
    print("|---|---|---|---|---|---|")
    for name, version, threads, t in rows:
        ratio = f"{jax_t / t:.1f}x" if jax_t else "n/a"
        print(f"| {name} | {version} | {threads} | {t:.4f} | {args.batch / t:,.0f} | {ratio} |")


if __name__ == "__main__":
    main()
