"""Real versus complex for linear 1D convolutions of stride 1.

mu multiplies the filter polynomials w_1(z) ... w_L(z), of degrees k_i - 1. Over C every
polynomial of degree sum(k_i - 1) factors, so the complex neuromanifold fills its ambient space.
Over R a factor of odd degree (a filter of even width) needs a real root: the real neuromanifold
fills iff at most one filter has even width; with two or more, the polynomials with too few real
roots form a set of positive measure outside it.
"""

import numpy as np
import pytest
from conftest import seeds, small_seeds
from hypothesis import given, settings
from hypothesis import strategies as st

import neuromanifold as nm

FILTERS = [(2,), (3,), (3, 3), (2, 3), (3, 2, 3), (2, 2), (3, 3, 3), (2, 2, 3), (3, 2, 2, 2), (4, 2), (2, 4, 3), (4, 4)]
filter_lists = st.lists(st.integers(1, 4), min_size=1, max_size=4).map(tuple)


def even_count(filters) -> int:
    return sum(k % 2 == 0 for k in filters)


def real_root_count(f: np.ndarray) -> int | None:
    """Real roots of sum f[m] z^m with multiplicity, roots at infinity (degree drop) included;
    None if the numerics cannot tell a near-double real root from a complex pair."""
    nz = np.nonzero(f)[0]
    deg = int(nz[-1])
    at_infinity = len(f) - 1 - deg
    roots = np.roots(f[: deg + 1][::-1])
    im = np.abs(roots.imag) / np.maximum(1.0, np.abs(roots))
    if ((im > 1e-10) & (im < 1e-4)).any():
        return None
    return int((im <= 1e-10).sum()) + at_infinity


@pytest.mark.parametrize("filters", FILTERS, ids=str)
def test_full_complex_dimension_and_real_filling(filters) -> None:
    net = nm.ConvNetwork(filters)
    r = nm.dimension(net)
    assert r.ambient == net.ambient_dim == sum(k - 1 for k in filters) + 1
    assert r.dim == r.ambient and r.complex_filling
    assert r.filling is (even_count(filters) <= 1)


@settings(max_examples=30, deadline=None)
@given(filter_lists, small_seeds)
def test_real_filling_iff_at_most_one_even_width(filters, seed: int) -> None:
    r = nm.dimension(nm.ConvNetwork(filters), seed=seed)
    assert r.ambient == sum(k - 1 for k in filters) + 1
    assert r.dim == r.ambient and r.complex_filling
    assert r.filling is (even_count(filters) <= 1)


@pytest.mark.parametrize("filters", FILTERS, ids=str)
def test_theorem_by_sampling(filters) -> None:
    net = nm.ConvNetwork(filters)
    rng = np.random.default_rng(sum(filters) * 31 + len(filters))
    samples = rng.standard_normal((400, net.ambient_dim))
    inside = np.array([net.contains(f) for f in samples])
    if even_count(filters) <= 1:
        assert inside.all()
    else:
        # a set of positive measure (e.g. filters without enough real roots) is missed
        assert (~inside).mean() > 0.02
        assert inside.any()


@pytest.mark.parametrize("filters", FILTERS, ids=str)
def test_membership_counts_real_roots(filters) -> None:
    net = nm.ConvNetwork(filters)
    e = even_count(filters)
    rng = np.random.default_rng(len(filters) * 1000 + sum(filters))
    checked = 0
    for f in rng.standard_normal((200, net.ambient_dim)):
        count = real_root_count(f)
        if count is None:
            continue
        checked += 1
        assert net.contains(f) == (count >= e), (f, count)
    assert checked >= 190


@settings(max_examples=30, deadline=None)
@given(filter_lists, seeds)
def test_image_points_are_contained(filters, seed: int) -> None:
    net = nm.ConvNetwork(filters)
    thetas = net.random_params(5, seed=seed)
    for f in net.mu(thetas):
        assert net.contains(f)


def test_definite_and_indefinite_quadratics() -> None:
    net = nm.ConvNetwork((2, 2))
    assert not net.contains([1.0, 0.0, 1.0])  # 1 + z^2: no real roots
    assert not net.contains([2.0, -1.0, 1.0])  # discriminant 1 - 8 < 0
    assert net.contains([1.0, 3.0, 1.0])  # discriminant 9 - 4 > 0
    assert net.contains([1.0, 0.0, -1.0])  # (1 - z)(1 + z)
    assert net.contains([1.0, 2.0, 1.0])  # (1 + z)^2
    assert net.contains([1.0, 1.0, 0.0])  # degree drop: a root at infinity is real
    assert net.contains([1.0, 0.0, 0.0])  # constant: two roots at infinity
    assert net.contains([0.0, 0.0, 0.0])
    # a single even-width filter: every real polynomial is a product
    assert nm.ConvNetwork((2, 3)).contains([1.0, 0.0, 0.0, 1.0])  # 1 + z^3 = (1 + z)(1 - z + z^2)
    assert nm.ConvNetwork((3, 3)).contains([1.0, 0.0, 0.0, 0.0, 1.0])  # 1 + z^4: two real quadratics
    assert not nm.ConvNetwork((4, 2)).contains([1.0, 0.0, 0.0, 0.0, 1.0])  # 1 + z^4 has no real root
    assert not nm.ConvNetwork((2, 2, 3)).contains([1.0, 0.0, 2.0, 0.0, 1.0])  # (1 + z^2)^2
    assert nm.ConvNetwork((2, 2, 3)).contains([-1.0, 0.0, 0.0, 0.0, 1.0])  # z^4 - 1: roots +-1


def test_contained_points_are_reached_by_real_filters() -> None:
    # (1 + 3z + z^2) = (z - a)(z - b) with real a, b: exhibit real filters
    net = nm.ConvNetwork((2, 2))
    a, b = np.roots([1.0, 3.0, 1.0])
    theta = np.array([-a, 1.0, -b, 1.0])
    assert np.allclose(net.mu(theta), [1.0, 3.0, 1.0])


def test_contains_is_not_implemented_where_undecided() -> None:
    with pytest.raises(NotImplementedError):
        nm.ConvNetwork((2, 2), strides=2).contains([1.0, 0.0, 0.0, 1.0])
    with pytest.raises(NotImplementedError):
        nm.PolynomialNetwork((2, 2, 2, 1)).contains(np.zeros(5))  # (two hidden layers)
    with pytest.raises(NotImplementedError):
        nm.LightningAttention(1, 1, 1, 1).contains(np.zeros(1))
