"""Pencils of quadratic forms: one hidden layer with z^2 and two outputs.

The network (d0, h, 2) with the activation c z^2 gives the pairs of quadratic forms
(Q1, Q2) = sum_j (a_j, b_j) w_j w_j^T (the output weights, divided by c, carry the signs). With
biases, (w.x + beta)^2 is the square of the linear form (w, beta) in (x, 1): pencils in
d = d0 + 1 variables, whose constant terms the output biases may also move; without, d = d0.

Filling. A pencil with a nonsingular member C of inertia (p, q), q <= d / 2 (else take -C, also
a member): q neurons along the negative eigenvectors of C make that member definite, and a
pencil with a definite member is diagonalized by one congruence (d neurons). So floor(3d / 2)
neurons reach every real pencil outside the null set of pencils with no nonsingular member, and
M fills the space (the core's filling rule; ``pencil_preimage`` builds the parameters). So do
d + 1 neurons (fewer for d >= 4): for (C, B) with C nonsingular and distinct eigenvalues, one
neuron (0, a) w w^T turns det(B - mu C) = p into p - a q, q = w^T adj(B - mu C) w (the matrix
determinant lemma). With the eigenvectors, B v_k = mu_k C v_k and gamma_k = v_k^T C v_k,
q / p = w^T (B - mu C)^-1 w = sum_k (v_k^T w)^2 / (gamma_k (mu_k - mu)), so any real q of degree d - 1 vanishing at the real eigenvalues is reached by a real w: v_k^T w = 0
at real mu_k and the square roots of the residues of q / p at the conjugate pairs (partial
fractions). Take q with d - 1 distinct real roots: for a large |a|, p - a q has d - 1 real roots
near q's and one near infinity, and (C, B - a w w^T) is diagonalized by one congruence
(``_rank_one_update_terms``). With biases d0 + 1 neurons suffice on one or two inputs: the
output biases shift the constant terms until the pencil has d distinct real eigenvalues; on
three or more inputs an open set of pencils admits no such shift (``_shifted_pencils``).

Membership with h = d0 neurons and no biases (M fills the space of pencils, of dimension
d0 (d0 + 1), with finite fibers). If (Q1, Q2) = W^T (D1, D2) W has a nonsingular member C,
then W is invertible and C^-1 B = W^-1 D_C^-1 D_B W is diagonalizable with real eigenvalues
(B another member). Conversely, with d distinct real eigenvalues the eigenvectors diagonalize
both forms at once. So u is in M exactly when the pencil's eigenvalues are all real, read off
one eigenvalue problem per sample: where M fills, data outside M have their nearest point on the
edge (``_voronoi_membership``), so the boundary target is hit exactly by the pencils with a
non-real eigenvalue. Repeated eigenvalues are a null set; samples too close to one, or to a
singular pencil, are undecided.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

from ._quadratic_forms import polished, quadratic_forms, quadratic_shape, real_congruence, reference_members
from ._voronoi_membership import decided_membership
from ._shifted_pencils import MAX_INPUTS, ShiftedPencil, shifted_pencil_available, shifted_terms
from ._voronoi_real_rank import COMPLEX_ROOT, DISTINCT, REAL_ROOT
from .architectures import PolynomialNetwork

SINGULAR = 1e-8  # smallest over largest |eigenvalue| of the best member below this: no clear inverse


def _quadratic_network(net: object) -> tuple[int, int, int] | None:
    """(d0, h, outputs) of one hidden layer with c z^2 and one or two outputs, else None."""
    shape = quadratic_shape(net)
    return shape[:3] if shape is not None and shape[2] <= 2 else None


def pencil_available(net: object, dim: int) -> str | None:
    """Why the pencil's eigenvalues do not decide the edge of ``net`` (of dimension ``dim``), or None."""
    shape = _quadratic_network(net)
    if shape is None or shape[2] != 2 or net.bias:  # type: ignore[attr-defined]
        return "the pencil's eigenvalues decide the edge of one hidden layer with z^2 and two outputs, no biases, only"
    d0, h, _ = shape
    if h != d0 or dim != net.ambient_dim:  # type: ignore[attr-defined]
        return f"{net.spec}: not d0 neurons on d0 inputs (the pencils simultaneously diagonalizable)"  # type: ignore[attr-defined]
    return None


class PencilMembership:
    """Is u outside M (a pencil with a non-real eigenvalue)? 1: yes (the nearest point is on
    the edge), 0: no, -1: undecided (near a repeated eigenvalue or a singular pencil)."""

    def __init__(self, net: PolynomialNetwork) -> None:
        self.net = net

    def decide(self, U: npt.NDArray[np.float64], salt: int = 0) -> npt.NDArray[np.int8]:
        out = np.full(len(U), -1, dtype=np.int8)
        if not len(U):
            return out
        Q = quadratic_forms(self.net, U)
        # scaling an output is a change of basis of the pencil: the same membership
        Q = Q / np.maximum(np.linalg.norm(Q, axis=(2, 3), keepdims=True), 1e-300)
        phi, C, ratio = reference_members(Q)
        B = -np.sin(phi)[:, None, None] * Q[:, 0] + np.cos(phi)[:, None, None] * Q[:, 1]
        clear = ratio > SINGULAR
        lam = np.linalg.eigvals(np.linalg.solve(C[clear], B[clear]))
        # distances on the circle of members: d(angle) = d(lambda) / (1 + lambda^2)
        imaginary = np.abs(lam.imag) / (1 + np.abs(lam) ** 2)
        angles = np.sort(np.arctan(lam.real), axis=1)
        gaps = np.diff(np.concatenate([angles, angles[:, :1] + np.pi], axis=1), axis=1)
        outside = (imaginary > COMPLEX_ROOT).any(axis=1)
        inside = (imaginary < REAL_ROOT).all(axis=1) & ((gaps > DISTINCT).all(axis=1) | (lam.shape[1] == 1))
        out[clear] = np.where(outside, 1, np.where(inside, 0, -1))
        return out


def _rank_one_update_terms(C: npt.NDArray[np.float64], B: npt.NDArray[np.float64]) -> list[Any] | None:
    """d + 1 terms ((a, b), w) of a pencil (C, B) with C nonsingular and distinct eigenvalues
    (the module's docstring): one term (0, a) w w^T leaves (C, B - a w w^T) with d distinct
    real eigenvalues, then one congruence. None if no clear update is found."""
    d = len(C)
    mu, V = np.linalg.eig(np.linalg.solve(C, B))
    gamma = np.einsum("ik,ij,jk->k", V, C, V)  # v_k^T C v_k (the transpose, not the adjoint)
    real = np.abs(mu.imag) <= 1e-9 * (1.0 + np.abs(mu))
    if real.all():  # one congruence does it, repeated eigenvalues too
        W = real_congruence(C, B)
        if W is None:
            return None
        D1, D2, rows = W.T @ C @ W, W.T @ B @ W, np.linalg.inv(W)
        return [((D1[j, j], D2[j, j]), rows[j]) for j in range(d)]
    upper = np.flatnonzero(mu.imag > 0)
    centre = mu.real[~real]
    spread = (np.ptp(centre) if len(centre) else 0.0) + np.abs(mu.imag).max() + 1e-300
    best: tuple[float, list[Any]] | None = None
    # q's roots: the real eigenvalues (v_k^T w = 0 there) and 2s - 1 fresh real points: at the
    # real parts of the pairs and between them, or spread evenly at a few widths
    parts = np.sort(mu.real[upper])
    natural = np.sort(np.concatenate([parts, (parts[1:] + parts[:-1]) / 2]))
    candidates = [natural] + [np.linspace(-width, width, len(natural)) * spread + centre.mean() for width in (0.5, 1.0, 2.0, 4.0) if len(natural)]
    for fresh in candidates:
        roots = np.concatenate([mu.real[real], fresh])
        if len(roots) > 1 and np.diff(np.sort(roots)).min() <= 1e-6 * spread:
            continue
        q = np.poly(roots) if len(roots) else np.ones(1)
        t = np.zeros(d, dtype=complex)
        for k in upper:
            others = np.delete(mu, k)
            rho = np.polyval(q, mu[k]) / (np.linalg.det(C) * np.prod(others - mu[k]))
            t[k] = np.sqrt(gamma[k] * rho)
            partner = np.argmin(np.abs(mu - mu[k].conj()))
            t[partner] = t[k].conj()
        w = np.linalg.solve(V.T, t).real
        for a in np.concatenate([np.logspace(-2, 6, 25), -np.logspace(-2, 6, 25)]) * np.abs(B).max() / max(float(w @ w), 1e-300):
            B1 = B - a * np.outer(w, w)
            W = real_congruence(C, B1)
            if W is None:
                continue
            D1, D2 = W.T @ C @ W, W.T @ B1 @ W  # diagonal
            rows = np.linalg.inv(W)
            terms = [((D1[j, j], D2[j, j]), rows[j]) for j in range(d)] + [((0.0, a), w)]
            # the best conditioned: the least residual of the rebuilt pencil (a large a cancels)
            rebuilt = sum(np.multiply.outer(np.asarray(coefficients), np.outer(r, r)) for coefficients, r in terms)
            residual = float(np.abs(rebuilt - np.stack([C, B])).max())
            if best is None or residual < best[0]:
                best = (residual, terms)
    if best is None:
        return None
    residual, terms = polished(best[1], np.stack([C, B]))
    if residual > 1e-8 * np.abs(np.stack([C, B])).max():
        return None
    return terms


def pencil_preimage(net: PolynomialNetwork, f: npt.NDArray[np.float64]) -> npt.NDArray[np.float64] | None:
    """Real parameters of ``net`` (one hidden layer, c z^2, two outputs) with mu = f, built as in
    the module's proof with at most floor(3d / 2) neurons, or d + 1 by a rank-one update (with
    biases on up to sixteen inputs, d0 + 1: by shifting the constant terms); None when the pencil has
    no clearly nonsingular member, no shift serves, or the construction needs more neurons than
    ``net`` has."""
    shape = _quadratic_network(net)
    if shape is None or shape[2] != 2:
        return None
    d0, h, _ = shape
    Q = quadratic_forms(net, np.asarray(f, dtype=np.float64)[None, :])
    phi_, C_, ratio = reference_members(Q)
    if ratio[0] <= SINGULAR:
        return None
    phi = float(phi_[0])
    B = -np.sin(phi) * Q[0, 0] + np.cos(phi) * Q[0, 1]
    c, V = np.linalg.eigh(C_[0])
    sign = 1.0 if (c < 0).sum() <= len(c) / 2 else -1.0  # the member -C has fewer negative eigenvalues
    c, B = sign * c, sign * B
    # (C, B) = (C', B) - sum_i (-2 c_i, 0) v_i v_i^T over c_i < 0, with C' = V |c| V^T definite
    R = V * np.sqrt(np.abs(c))
    beta, P = np.linalg.eigh(np.linalg.solve(R, np.linalg.solve(R, B).T))
    G = R @ P  # C' = G G^T and B = G diag(beta) G^T
    terms = [((1.0, b), g) for b, g in zip(beta, G.T)] + [((2.0 * c[i], 0.0), V[:, i]) for i in np.flatnonzero(c < 0)]
    shift = (0.0, 0.0)
    if len(terms) > h and h >= len(c) + 1:
        update = _rank_one_update_terms(sign * C_[0], B)
        if update is not None:
            terms = update
    if len(terms) > h and net.bias and d0 <= MAX_INPUTS and h >= d0 + 1:
        shifted = shifted_terms(sign * C_[0], B)
        if shifted is None:
            return None
        terms, shift = shifted
    if len(terms) > h:
        return None
    # back from the members (C, B) = sign (rotation by phi) (Q1, Q2) to the outputs
    back = sign * np.array([[np.cos(phi), -np.sin(phi)], [np.sin(phi), np.cos(phi)]])
    scale = float(np.asarray(net.activation)[2])
    theta = np.zeros(net.n_params)
    W1 = theta[: h * d0].reshape(h, d0)
    offset = h * d0 + (h if net.bias else 0)
    W2 = theta[offset : offset + 2 * h].reshape(2, h)
    for j, (coefficients, w) in enumerate(terms):
        W1[j] = w[:d0]
        if net.bias:
            theta[h * d0 + j] = w[d0]  # the neuron's bias: the coefficient of the constant 1
        W2[:, j] = back @ np.asarray(coefficients) / scale
    if net.bias:
        theta[-2:] = back @ np.asarray(shift)  # the output biases carry the shifts of the constant terms
    return theta


def pencil_membership(net: PolynomialNetwork, f: npt.NDArray[np.float64], tol: float) -> bool | None:
    """Is f in the real neuromanifold of one hidden layer with c z^2 and two outputs? With d0
    neurons and no biases by the pencil's eigenvalues (ValueError near a repeated eigenvalue or a
    singular pencil); with biases and d0 + 1 neurons on three to sixteen inputs by the tangents'
    cofactors (``_shifted_pencils``); with d + 1 neurons or more by building a preimage; dependent
    outputs with h >= d0 neurons as one form. Else None."""
    shape = _quadratic_network(net)
    if shape is None or shape[2] != 2:
        return None
    if not np.any(f):
        return True  # the zero function: all output weights 0
    sv = np.linalg.svd(np.asarray(f, dtype=np.float64).reshape(2, -1), compute_uv=False)
    if len(sv) > 1 and sv[1] <= tol * sv[0] and shape[1] >= shape[0]:
        # dependent outputs (a q, b q): one quadratic form q, a sum of d0 signed squares (with
        # biases after the constant term drops the rank of q in (x, 1)), times (a, b)
        return True
    if shifted_pencil_available(net, net.ambient_dim) is None:
        return decided_membership(ShiftedPencil(net), net, f, "a pencil whose best shift has a repeated eigenvalue")
    if pencil_available(net, net.ambient_dim) is None:
        decision = PencilMembership(net).decide(np.asarray(f, dtype=np.float64)[None, :])[0]
        if decision < 0:
            raise ValueError(f"{net.spec}: f is too close to a pencil with a repeated eigenvalue, or a singular pencil, to decide")
        return bool(decision == 0)
    theta = pencil_preimage(net, f)
    # the construction's rounding (eigenvectors, inverses) allows a residual well above tol
    if theta is not None and np.linalg.norm(net.mu(theta) - f) <= 1e3 * tol * max(np.linalg.norm(f), 1.0):
        return True
    return None


def pencil_edge(net: Any, seed: int, cache: dict[str, Any]) -> PencilMembership:
    if "pencil" not in cache:
        cache["pencil"] = PencilMembership(net)
    return cache["pencil"]
