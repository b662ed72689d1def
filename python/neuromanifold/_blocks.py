"""Networks whose mu is linear (or homogeneous) in each block of parameters on a slice of
parameter space: the filters of linear convolutions (homogeneous of degree k^(L - 1 - l) in
filter l with the activation z^k), and lightning self-attention X -> V X X^T K^T Q X, which depends
on V and M = K^T Q only: with one key/query dimension (a = 1) it is linear in V, k and q; with
a >= d, M is any real d x d matrix and (V, M) -> V X X^T M X is bilinear, realized on the slice
K = [I_d; 0], Q = [M; 0] of parameter space. With one token (t = 1) the function x -> (V x)
(x^T M x) sees only the symmetric part of M, which an upper triangular M gives once: the slice
then holds the entries of Q below the diagonal at 0. The exhaustive Voronoi method needs such a form on
every stratum (``_voronoi_networks._exhaustive_available`` says why that suffices)."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from ._charts import BlockForm
from .architectures import ConvNetwork, LightningAttention, Network


def filter_blocks(net: ConvNetwork) -> npt.NDArray[np.int64]:
    """The filter of each parameter (parameters are laid out filter by filter)."""
    return np.repeat(np.arange(len(net.filters)), net.filters)


def multilinear_form(net: Network, support: tuple[int, ...] | None = None) -> BlockForm | str:
    """The blocks of the stratum with parameters ``support`` (None: all), or why there are none."""
    if isinstance(net, ConvNetwork):
        if net.activation is None:
            return BlockForm(filter_blocks(net))
        k = len(net.activation) - 1
        if any(net.activation[:-1]):
            return (
                f"{net.spec} has an activation that is not a power z^k, so mu is not homogeneous in each filter and "
                "its real image need not be closed: critical points alone need not give the nearest point; use method='multistart'"
            )
        # z^k after every layer but the last: degree k^(L - 1 - l) in filter l
        L = len(net.filters)
        return BlockForm(filter_blocks(net), degrees=tuple(k ** (L - 1 - l) for l in range(L)))
    if isinstance(net, LightningAttention):
        return _attention_form(net, support)
    return f"mu of {net.spec} is not linear in blocks of parameters"


def is_multilinear(net: Network) -> bool:
    return not isinstance(multilinear_form(net), str)


def chart_dim(form: BlockForm, support: tuple[int, ...] | None) -> int:
    """Coordinates of the cone chart: the parameters in blocks, less one per block, plus the scale.
    The stratum has this dimension exactly when its generic fibers are the rescalings of the
    blocks (up to finitely many points)."""
    labels = form.labels if support is None else form.labels[np.asarray(support, dtype=np.int64)]
    labels = labels[labels >= 0]
    return len(labels) - len(np.unique(labels)) + 1


def balanced_blocks(thetas: np.ndarray, labels: npt.NDArray[np.int64], degrees: tuple[int, ...] | None = None) -> np.ndarray:
    """The rescaling of each row of thetas (B, N) with blocks of equal norm that keeps mu (factors
    l_i with prod l_i^d_i = 1 for mu of degree d_i in block i; parameters off the blocks
    unchanged): singular values of D mu are compared there, since such a rescaling keeps mu but
    moves the singular values of D mu apart."""
    out = np.array(thetas, dtype=np.float64)
    present = np.unique(labels[labels >= 0])
    d = np.array([1 if degrees is None else degrees[b] for b in present], dtype=np.float64)
    norms = np.stack([np.linalg.norm(out[:, labels == b], axis=1) for b in present], axis=1)
    if (norms == 0).any():
        return out  # mu = 0 there: nothing to balance
    factors = np.exp((np.log(norms) * d).sum(axis=1, keepdims=True) / d.sum()) / norms
    for k, b in enumerate(present):
        out[:, labels == b] *= factors[:, k : k + 1]
    return out


def _attention_form(net: LightningAttention, support: tuple[int, ...] | None) -> BlockForm | str:
    """Parameters are Q (a x d), K (a x d), V (d_out x d), each row-major; a stratum keeps the
    first rows of Q and K (its key/query dimensions). Both forms fix a random functional of each
    block (``mixed``): a real representative with a zero entry lies on no stratum, unlike a
    filter with a zero end tap."""
    d, a, n = net.d, net.a, net.n_params
    inside = np.arange(n) if support is None else np.asarray(support, dtype=np.int64)
    q_row = [np.arange(r * d, (r + 1) * d) for r in range(a)]
    k_row = [a * d + rows for rows in q_row]
    v = np.arange(2 * a * d, n)
    heads = [r for r in range(a) if np.isin(q_row[r], inside).all()]
    labels = np.full(n, -1, dtype=np.int64)
    labels[v] = 0
    if len(heads) >= d:
        # M = K^T Q is any d x d matrix: K = [I_d; 0] held, Q = [M; 0] free (upper triangular
        # with one token: x^T M x is x^T (M + M^T)/2 x)
        symmetric = net.t == 1
        base = np.zeros(n)
        for i, r in enumerate(heads[:d]):
            labels[q_row[r][i if symmetric else 0 :]] = 1
            base[k_row[r]] = np.eye(d)[i]

        def reduce(theta: np.ndarray) -> np.ndarray:
            theta = np.asarray(theta, dtype=np.float64)
            Q = theta[..., : a * d].reshape(theta.shape[:-1] + (a, d))
            K = theta[..., a * d : 2 * a * d].reshape(theta.shape[:-1] + (a, d))
            M = np.swapaxes(K, -1, -2) @ Q
            if symmetric:
                M = np.triu(M + np.swapaxes(M, -1, -2)) - np.tril(np.triu(M))  # same quadratic form
            out = np.array(np.broadcast_to(base, theta.shape))
            out[..., v] = theta[..., v]
            for i, r in enumerate(heads[:d]):
                out[..., q_row[r]] = M[..., i, :]
            return out

        return BlockForm(labels, base, mixed=True, reduce=reduce)
    if len(heads) == 1:
        labels[q_row[heads[0]]], labels[k_row[heads[0]]] = 1, 2
        return BlockForm(labels, mixed=True)
    return (
        f"{net.spec}: a stratum has {len(heads)} key/query dimensions, 1 < {len(heads)} < d = {d}: there GL({len(heads)}) "
        f"acts on K and Q and K^T Q is a matrix of rank <= {len(heads)}, not a free block, so mu is not linear in blocks "
        "with rescalings as fibers and the exhaustive charts do not apply; use method='multistart'"
    )
