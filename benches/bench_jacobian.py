"""mu and its Jacobian for a batch of parameters: neuromanifold against JAX, PyTorch and numpy.

Workload: nm.PolynomialNetwork((3, 4, 4, 2), activation=2), no bias: N = 36 parameters
(W1 4x3, W2 4x4, W3 2x4, each row-major), A = 30 coefficients (2 outputs x 15 quartic
monomials in 3 variables, output-major: mu[o*15 + m]), B random parameter vectors.

The peers evaluate the network x -> W3 (W2 (W1 x)^2)^2 at 15 fixed generic points and apply
the inverse Vandermonde matrix of the monomial basis, which gives the same 30 coefficients;
their Jacobians are forward mode:

  * JAX      jax.jit(jax.vmap(jax.jacfwd(f, has_aux=True)))   (mu returned as aux, one call)
  * PyTorch  torch.func.vmap(torch.func.jacfwd(f, has_aux=True))
  * numpy    forward mode vectorised over the batch (values and 36 tangents per point)

Before anything is timed, every peer's mu and Jacobian are compared with neuromanifold's and
with a central finite difference of a plain numpy mu; the script exits non-zero on any
disagreement. All arithmetic is float64. Each peer is then timed in a fresh process on the
same parameter vectors (neuromanifold twice: all threads, and RAYON_NUM_THREADS=1); each figure
is the best (and the median) of --repeat runs after a warm-up call (JIT compilation excluded).

    python benches/bench_jacobian.py [--batch 20000] [--repeat 5] [--peers-only]
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import platform
import subprocess
import sys
import time

import numpy as np

WIDTHS = (3, 4, 4, 2)
N_PARAMS = 36
N_OUT = 2
DEGREE = 4
N_MONO = 15
A = N_OUT * N_MONO
SLICES = ((0, 12, (4, 3)), (12, 28, (4, 4)), (28, 36, (2, 4)))


class Disagreement(SystemExit):
    pass


# ----------------------------------------------------------------------------- reference

def monomials(n_vars: int = 3, degree: int = DEGREE) -> np.ndarray:
    """Exponent vectors of the given total degree, lexicographically descending."""
    exps = [e for e in itertools.product(range(degree, -1, -1), repeat=n_vars) if sum(e) == degree]
    return np.array(sorted(exps, reverse=True), dtype=np.int64)


def points_and_inverse_vandermonde(seed: int = 2024) -> tuple[np.ndarray, np.ndarray, float]:
    """15 fixed generic points on the unit sphere (columns of P) and inv(V), V[p, m] = x_p^m.

    The network is homogeneous of degree 4 in x, so points on the sphere lose nothing; among a
    few fixed draws the best-conditioned Vandermonde matrix is kept.
    """
    mons = monomials()
    rng = np.random.default_rng(seed)
    best = None
    for _ in range(64):
        P = rng.standard_normal((3, N_MONO))
        P /= np.linalg.norm(P, axis=0)
        V = np.prod(P.T[:, None, :] ** mons[None, :, :], axis=2)
        c = np.linalg.cond(V)
        if best is None or c < best[2]:
            best = (P, V, c)
    P, V, c = best
    return P, np.linalg.inv(V), c


def split(theta):
    """Weights from a single parameter vector (works for numpy, jax and torch arrays)."""
    return tuple(theta[a:b].reshape(shape) for a, b, shape in SLICES)


def numpy_mu(thetas: np.ndarray) -> np.ndarray:
    """mu by direct expansion of the polynomial, no points involved: (B, 36) -> (B, 30).

    Expands each hidden unit as a quartic form: the coefficient tensor of (W1 x)^2 is the
    symmetric outer product, contracted further by W2, squared again and contracted by W3.
    """
    mons = monomials()
    B = thetas.shape[0]
    W1 = thetas[:, 0:12].reshape(B, 4, 3)
    W2 = thetas[:, 12:28].reshape(B, 4, 4)
    W3 = thetas[:, 28:36].reshape(B, 2, 4)
    q = np.einsum("bia,bic->biac", W1, W1)  # h1_i(x) = x^T q_i x
    Q = np.einsum("bki,biac->bkac", W2, q)  # z2_k(x) = x^T Q_k x
    T = np.einsum("bkac,bkde->bkacde", Q, Q)  # h2_k(x) = T_k[x, x, x, x]
    F = np.einsum("bok,bkacde->boacde", W3, T)  # output quartic forms, full tensors
    # coefficient of x^e = sum over index tuples whose multiset is e
    mu = np.zeros((B, N_OUT, N_MONO))
    index_of = {tuple(e): m for m, e in enumerate(mons)}
    for idx in itertools.product(range(3), repeat=4):
        e = tuple(np.bincount(idx, minlength=3))
        mu[:, :, index_of[e]] += F[(slice(None), slice(None)) + idx]
    return mu.reshape(B, A)


def finite_difference_jacobian(thetas: np.ndarray, h: float = 1e-2) -> np.ndarray:
    """Central five-point difference of numpy_mu: (B, 36) -> (B, 30, 36).

    mu has degree <= 4 in every single parameter, so the five-point stencil has no truncation
    error; only rounding remains.
    """
    cols = []
    for k in range(N_PARAMS):
        e = np.zeros(N_PARAMS)
        e[k] = h
        f = lambda s: numpy_mu(thetas + s * e)  # noqa: E731
        cols.append((f(-2) - 8 * f(-1) + 8 * f(1) - f(2)) / (12 * h))
    return np.stack(cols, axis=-1)


# ----------------------------------------------------------------------------- peers

def numpy_peer(P: np.ndarray, Vinv: np.ndarray, chunk: int = 250):
    """Forward mode in numpy: values (b, ., 15) and tangents (b, ., 15, 36), chunks of the batch."""
    E1 = np.eye(N_PARAMS)[0:12].reshape(4, 3, N_PARAMS)
    dz1 = np.einsum("ijk,jp->ipk", E1, P)  # tangent of W1 x: does not depend on theta
    idx2 = 12 + np.arange(16).reshape(4, 4)
    idx3 = 28 + np.arange(8).reshape(2, 4)

    def run(thetas: np.ndarray):
        B = thetas.shape[0]
        mus = np.empty((B, A))
        jacs = np.empty((B, A, N_PARAMS))
        for s in range(0, B, chunk):
            t = thetas[s : s + chunk]
            b = t.shape[0]
            W1, W2, W3 = t[:, 0:12].reshape(b, 4, 3), t[:, 12:28].reshape(b, 4, 4), t[:, 28:36].reshape(b, 2, 4)
            z1 = W1 @ P  # (b, 4, 15)
            h1 = z1 * z1
            dh1 = (2 * z1)[..., None] * dz1  # (b, 4, 15, 36)
            z2 = W2 @ h1
            dz2 = (W2 @ dh1.reshape(b, 4, -1)).reshape(b, 4, N_MONO, N_PARAMS)
            for i in range(4):  # seed of W2[i, j]: h1[j]
                dz2[:, i, :, idx2[i]] += h1.transpose(1, 0, 2)
            h2 = z2 * z2
            dh2 = (2 * z2)[..., None] * dz2
            out = W3 @ h2  # (b, 2, 15) values at the points
            dout = (W3 @ dh2.reshape(b, 4, -1)).reshape(b, N_OUT, N_MONO, N_PARAMS)
            for o in range(N_OUT):  # seed of W3[o, j]: h2[j]
                dout[:, o, :, idx3[o]] += h2.transpose(1, 0, 2)
            mus[s : s + b] = (out @ Vinv.T).reshape(b, A)
            jacs[s : s + b] = (Vinv @ dout).reshape(b, A, N_PARAMS)
        return mus, jacs

    return run, np.__version__


def jax_peer(P: np.ndarray, Vinv: np.ndarray):
    import jax

    jax.config.update("jax_enable_x64", True)
    import jax.numpy as jnp

    Pj, VinvT = jnp.asarray(P), jnp.asarray(Vinv.T)

    def f(theta):
        W1, W2, W3 = split(theta)
        out = W3 @ (W2 @ (W1 @ Pj) ** 2) ** 2  # (2, 15) values at the points
        mu = (out @ VinvT).reshape(A)
        return mu, mu

    jac_and_mu = jax.jit(jax.vmap(jax.jacfwd(f, has_aux=True)))

    def run(thetas: np.ndarray):
        jac, mu = jac_and_mu(jnp.asarray(thetas))
        return mu.block_until_ready(), jac.block_until_ready()

    return run, jax.__version__


def jax_chunked_peer(P: np.ndarray, Vinv: np.ndarray, chunk: int = 500):
    """Supplementary: the same jitted JAX function applied to fixed-size chunks of the batch."""
    run_full, version = jax_peer(P, Vinv)

    def run(thetas: np.ndarray):
        parts = [run_full(thetas[s : s + chunk]) for s in range(0, thetas.shape[0], chunk)]
        return np.concatenate([m for m, _ in parts]), np.concatenate([j for _, j in parts])

    return run, version


def torch_peer(P: np.ndarray, Vinv: np.ndarray):
    import torch
    from torch.func import jacfwd, vmap

    Pt, VinvT = torch.as_tensor(P, dtype=torch.float64), torch.as_tensor(Vinv.T.copy(), dtype=torch.float64)

    def f(theta):
        W1, W2, W3 = split(theta)
        out = W3 @ (W2 @ (W1 @ Pt) ** 2) ** 2
        mu = (out @ VinvT).reshape(A)
        return mu, mu

    jac_and_mu = vmap(jacfwd(f, has_aux=True))

    def run(thetas: np.ndarray):
        with torch.no_grad():
            jac, mu = jac_and_mu(torch.as_tensor(thetas, dtype=torch.float64))
        return mu, jac

    return run, torch.__version__


def neuromanifold_peer():
    import neuromanifold as nm

    net = nm.PolynomialNetwork(WIDTHS, activation=2)

    def run(thetas: np.ndarray):
        return net.mu(thetas), net.jacobian(thetas)

    return run, nm.__version__, net


# ----------------------------------------------------------------------------- timing

def timings(run, thetas: np.ndarray, repeat: int) -> list[float]:
    run(thetas)  # warm-up, and JIT compilation
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        run(thetas)
        times.append(time.perf_counter() - t0)
    return times


def make_thetas(batch: int, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).standard_normal((batch, N_PARAMS))


PEERS = {  # key: (label, factory of (run, version)); the order is the table's
    "neuromanifold": ("neuromanifold", None),
    "numpy": ("numpy forward mode", numpy_peer),
    "jax": ("JAX jit(vmap(jacfwd))", jax_peer),
    "torch": ("PyTorch vmap(jacfwd)", torch_peer),
    "jax-chunked": ("JAX, same function on chunks of 500 (supplementary)", jax_chunked_peer),
}


def make_peer(key: str, P: np.ndarray, Vinv: np.ndarray):
    if key == "neuromanifold":
        run, version, _ = neuromanifold_peer()
        return run, version
    return PEERS[key][1](P, Vinv)


def time_peer_here(key: str, batch: int, repeat: int) -> None:
    """Child process: time one peer on the benchmark's thetas and print a JSON line."""
    thetas = make_thetas(batch)
    P, Vinv, _ = points_and_inverse_vandermonde()
    run, version = make_peer(key, P, Vinv)
    threads = f"all ({os.cpu_count()})"
    if key == "neuromanifold":
        import neuromanifold as nm

        if os.environ.get("RAYON_NUM_THREADS") == "1" and hasattr(nm, "set_num_threads"):
            nm.set_num_threads(1)
        if hasattr(nm, "get_num_threads"):
            threads = nm.get_num_threads()
    times = timings(run, thetas, repeat)
    print(json.dumps({"seconds": min(times), "median": float(np.median(times)), "version": version, "threads": threads, "thetas": float(thetas.sum())}))


def time_peer(key: str, batch: int, repeat: int, single_thread: bool = False) -> dict:
    """Time one peer in a fresh process, so that no other peer's thread pool is around."""
    env = {k: v for k, v in os.environ.items() if k != "RAYON_NUM_THREADS"}
    if single_thread:
        env["RAYON_NUM_THREADS"] = "1"
    cmd = [sys.executable, os.path.abspath(__file__), "--batch", str(batch), "--repeat", str(repeat), "--time-peer", key]
    out = subprocess.run(cmd, env=env, capture_output=True, text=True)
    if out.returncode != 0:
        raise SystemExit(f"timing run of {key} failed:\n{out.stderr}")
    res = json.loads(out.stdout.strip().splitlines()[-1])
    if res["thetas"] != float(make_thetas(batch).sum()):
        raise SystemExit(f"timing run of {key} used different parameter vectors")
    return res


# ----------------------------------------------------------------------------- checks

def check(name: str, what: str, got, want, rtol: float = 1e-8) -> None:
    got = np.asarray(got)
    if got.shape != want.shape:
        raise Disagreement(f"ABORT: {name}: {what} has shape {got.shape}, expected {want.shape}")
    atol = rtol * np.abs(want).max()
    if not np.allclose(got, want, rtol=rtol, atol=atol):
        err = np.abs(got - want).max()
        raise Disagreement(f"ABORT: {name}: {what} disagrees (max abs error {err:.3e}, atol {atol:.3e})")
    print(f"  ok  {name}: {what} (max abs error {np.abs(got - want).max():.1e})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch", type=int, default=20000, help="number of parameter vectors (default 20000)")
    parser.add_argument("--repeat", type=int, default=5, help="timed runs per peer, best one reported (default 5)")
    parser.add_argument("--check", type=int, default=64, help="parameter vectors used for the agreement checks")
    parser.add_argument("--peers-only", action="store_true", help="skip neuromanifold (peers are checked against numpy)")
    parser.add_argument("--time-peer", choices=list(PEERS), help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.time_peer:
        time_peer_here(args.time_peer, args.batch, args.repeat)
        return

    thetas = make_thetas(args.batch)
    sub = thetas[: args.check]
    P, Vinv, cond = points_and_inverse_vandermonde()

    print(f"machine: {os.cpu_count()} cores, {platform.processor() or platform.machine()}, "
          f"{platform.system()}, Python {platform.python_version()}")
    print(f"workload: (3, 4, 4, 2), sigma(z) = z^2, no bias, N = {N_PARAMS}, A = {A}, B = {args.batch}, float64")
    print(f"peers use 15 points on the unit sphere, cond(Vandermonde) = {cond:.1f}")
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else 0.0
    print(f"load average (1 min) at start: {load:.2f}")
    if load > 0.5:
        print("WARNING: the machine is busy; timings will be pessimistic and noisy")
    print()

    # --- agreement checks, before any timing; the reference is independent of every peer
    print(f"agreement checks on {sub.shape[0]} parameter vectors:")
    ref_mu = numpy_mu(sub)
    fd_jac = finite_difference_jacobian(sub)

    keys = []
    if not args.peers_only:
        try:
            _, _, net = neuromanifold_peer()
        except (ImportError, AttributeError) as e:
            raise SystemExit(f"neuromanifold is not importable ({e}); build it first or pass --peers-only")
        if not np.array_equal(net.monomials, monomials()) or (net.n_params, net.ambient_dim) != (N_PARAMS, A):
            raise Disagreement("ABORT: neuromanifold's monomial basis or dimensions differ from the benchmark's")
        keys.append("neuromanifold")
    missing = []
    results = {}
    for key in [k for k in PEERS if k != "neuromanifold"]:
        try:
            make_peer(key, P, Vinv)
            keys.append(key)
        except ImportError as e:
            missing.append(key)
            print(f"  --  {PEERS[key][0]}: not installable/importable ({e})")
    for key in keys:
        name = PEERS[key][0]
        run, _ = make_peer(key, P, Vinv)
        m, j = run(sub)
        results[key] = (np.asarray(m), np.asarray(j))
        check(name, "mu vs direct expansion", results[key][0], ref_mu)
        check(name, "Jacobian vs finite differences", results[key][1], fd_jac, rtol=1e-7)
    if not args.peers_only:
        nm_mu, nm_jac = results["neuromanifold"]
        for key, (m, j) in results.items():
            if key != "neuromanifold":
                check(PEERS[key][0], "mu vs neuromanifold", m, nm_mu)
                check(PEERS[key][0], "Jacobian vs neuromanifold", j, nm_jac)
    print()

    # --- timing, each peer in a fresh process on the same parameter vectors
    rows = []
    runs = [(k, False) for k in keys]
    if "neuromanifold" in keys:
        runs.insert(1, ("neuromanifold", True))
    for key, single in runs:
        res = time_peer(key, args.batch, args.repeat, single_thread=single)
        rows.append((PEERS[key][0], res["version"], res["threads"], res["seconds"], res["median"]))
        print(f"  timed {PEERS[key][0]}{' (RAYON_NUM_THREADS=1)' if single else ''}: {res['seconds']:.4f} s", flush=True)
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else 0.0
    print(f"load average (1 min) at the end: {load:.2f}\n")

    jax_t = next((t for n, _, _, t, _ in rows if n == PEERS["jax"][0]), None)
    print(f"mu + Jacobian ({args.batch} x {A} x {N_PARAMS}) for B = {args.batch}; best of {args.repeat} after a warm-up\n")
    print("| peer | version | threads | seconds (B = %d, best) | thetas/s | ratio to JAX | median seconds |" % args.batch)
    print("|---|---|---|---:|---:|---:|---:|")
    for name, version, threads, t, med in rows:
        ratio = f"{jax_t / t:.2f}x" if jax_t else "n/a"
        print(f"| {name} | {version} | {threads} | {t:.4f} | {args.batch / t:,.0f} | {ratio} | {med:.4f} |")
    for key in missing:
        print(f"| {PEERS[key][0]} | not installable | | | | | |")
    print("\nratio to JAX = JAX best seconds / peer best seconds (higher is faster)")


if __name__ == "__main__":
    main()
