"""Null cells of a stratum whose bound at every point only equals its dimension, from exact
ranks at one integer point.

Let S be the image of the stratum's n parameters (the others zero), h its hidden neurons, and
suppose dim S = n - h: up to the neurons' rescalings the parametrization is generically finite.
At parameters theta of the stratum, W_p holds V(theta), the span of D mu at theta with the
incoming weights (and biases) of the switched-off neurons filled in any way: their outgoing
weights stay zero, so mu stays the same for every theta. The set B of theta with dim V(theta) <=
dim S is Zariski closed (minors of D mu at every filling) and invariant under the rescalings
(they map fillings to fillings and keep the image of D mu), so where V has more than dim S
dimensions at one point, B is a proper subset, of dimension <= n - 1; off the smaller
subnetworks every neuron has nonzero incoming weights and the rescalings act with orbits of
dimension h, so the points of S all of whose preimages lie in B make up at most n - 1 - h =
dim S - 1 dimensions. There the bound at every point (>= dim S) leaves cells of at most A - 1
dimensions; at every other point W_p has more than dim S dimensions. So the stratum is null.

Both ranks are computed exactly at one integer point modulo a prime: the rank over a prime
field never exceeds the rank over Q, which never exceeds the generic rank, so each is a proof
of a lower bound (an unlucky point only fails to certify). mu comes as explicit polynomials with
integer coefficients (activations c z^k with integer c); that the fillings keep mu is checked
exactly too."""

from __future__ import annotations

from typing import Any

import numpy as np

from ._everywhere_bounds import PRIME, _rank_modulo

MAX_TERMS = 20_000  # terms of mu as explicit polynomials, in all (beyond: no certificate)
LARGEST = 2**53  # coefficients of mu must be integers held exactly in a float
FILLINGS = 12  # integer fillings of the switched-off parameters
DRAWS = 3  # integer points of the stratum tried


def _parameters(widths: tuple[int, ...], bias: bool) -> list[tuple[int, int, int | None]]:
    """(layer, neuron, input; None for the bias) of every parameter, in the order of theta:
    blocks W_l, then b_l with biases, layer by layer."""
    out: list[tuple[int, int, int | None]] = []
    for layer in range(1, len(widths)):
        out += [(layer, r, c) for r in range(widths[layer]) for c in range(widths[layer - 1])]
        if bias:
            out += [(layer, r, None) for r in range(widths[layer])]
    return out


def stratum_support(widths: tuple[int, ...], bias: bool, hidden: tuple[int, ...]) -> list[int]:
    """The parameters of the subnetwork keeping the first ``hidden[l]`` neurons of each hidden
    layer of a network of ``widths``."""
    kept = [widths[0], *hidden, widths[-1]]
    return [i for i, (layer, r, c) in enumerate(_parameters(widths, bias)) if r < kept[layer] and (c is None or c < kept[layer - 1])]


def _integer_polynomials(net: Any) -> list[tuple[np.ndarray, list[int]]] | None:
    """mu as explicit polynomials with integer coefficients, or None."""
    try:
        polys = net._core.mu_polynomials(MAX_TERMS)
    except Exception:  # too many terms: no certificate
        return None
    if sum(len(coeffs) for _, coeffs in polys) > MAX_TERMS:
        return None  # exact evaluation term by term would be slow
    out = []
    for exps, coeffs in polys:
        if np.any(coeffs != np.round(coeffs)) or np.any(np.abs(coeffs) >= LARGEST):
            return None
        out.append((np.asarray(exps, dtype=np.int64), [int(c) for c in coeffs]))
    return out


def _value(polys: list[tuple[np.ndarray, list[int]]], theta: list[int]) -> list[int]:
    """mu(theta) exactly."""
    out = []
    for exps, coeffs in polys:
        total = 0
        for e, c in zip(exps, coeffs):
            term = c
            for j in np.flatnonzero(e):
                term *= theta[j] ** int(e[j])
            total += term
        out.append(total)
    return out


def _directions(polys: list[tuple[np.ndarray, list[int]]], theta: list[int]) -> list[dict[tuple[int, ...], int]]:
    """The columns of D mu at theta modulo PRIME, as sparse rows keyed by the coordinate."""
    columns: list[dict[tuple[int, ...], int]] = [{} for _ in theta]
    for a, (exps, coeffs) in enumerate(polys):
        for e, c in zip(exps, coeffs):
            support = np.flatnonzero(e)
            for j in support:
                term = c * int(e[j])
                for i in support:
                    power = int(e[i]) - (1 if i == j else 0)
                    if power:
                        term = term * pow(theta[i], power, PRIME) % PRIME
                columns[j][(a,)] = (columns[j].get((a,), 0) + term) % PRIME
    return columns


def switched_off_rows(widths: tuple[int, ...], bias: bool, hidden: tuple[int, ...]) -> list[int]:
    """The incoming weights (and biases) of the neurons that the subnetwork keeping the first
    ``hidden[l]`` neurons of each hidden layer switches off."""
    kept = [widths[0], *hidden, widths[-1]]
    return [i for i, (layer, r, _) in enumerate(_parameters(widths, bias)) if r >= kept[layer]]


def _filling(theta: list[int], rows: list[int], rng: np.random.Generator) -> list[int]:
    """theta with the switched-off neurons' incoming weights (and biases) at random integers."""
    out = list(theta)
    for j in rows:
        out[j] = int(rng.integers(1, 20)) * int(rng.choice([-1, 1]))
    return out


def finite_fiber_bound(net: Any, hidden: tuple[int, ...], bound: int, seed: int) -> int | None:
    """dim S + 1 where the stratum of the network keeping ``hidden`` neurons has dimension n - h
    (exactly), its bound at every point is ``bound`` >= dim S, and D mu over the fillings at one
    integer point spans more than dim S: the stratum is null at every point. Else None."""
    polys = _integer_polynomials(net)
    if polys is None:
        return None
    on = stratum_support(tuple(net.widths), bool(net.bias), hidden)
    rows = switched_off_rows(tuple(net.widths), bool(net.bias), hidden)
    n, h = len(on), sum(hidden)
    if bound < n - h:
        return None
    rng = np.random.default_rng([seed, 0xF1B5])
    for _ in range(DRAWS):
        theta = [0] * net.n_params
        for j in on:
            theta[j] = int(rng.integers(1, 30)) * int(rng.choice([-1, 1]))
        columns = _directions(polys, theta)
        if _rank_modulo([columns[j] for j in on]) != n - h:
            continue  # dim S >= this rank, <= n - h (the rescalings): equal only when it is n - h
        spanned, target = list(columns), _value(polys, theta)
        for _ in range(FILLINGS):
            filled = _filling(theta, rows, rng)
            if _value(polys, filled) != target:
                return None  # never: switched-off neurons reach no output
            spanned += _directions(polys, filled)
        if _rank_modulo(spanned) > n - h:
            return n - h + 1
    return None
