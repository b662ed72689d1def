"""Real versus complex: linear 1D convolutions of stride 1 always have full dimension, but
their real points fill the ambient space iff at most one filter has even width."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import neuromanifold as nm

FILTERS = [(2,), (3, 3), (2, 3), (3, 2, 3), (2, 2), (2, 2, 3), (3, 2, 2, 2), (4, 2), (2, 4, 3)]


def even_count(filters: tuple[int, ...]) -> int:
    return sum(k % 2 == 0 for k in filters)


@pytest.mark.parametrize("filters", FILTERS)
def test_full_dimension_and_real_filling(filters: tuple[int, ...]) -> None:
    net = nm.ConvNetwork(filters)
    r = nm.dimension(net)
    assert r.ambient == sum(k - 1 for k in filters) + 1
    assert r.dim == r.ambient and r.complex_filling
    assert r.filling == (even_count(filters) <= 1)


@pytest.mark.parametrize("filters", FILTERS)
def test_theorem_by_sampling(filters: tuple[int, ...]) -> None:
    net = nm.ConvNetwork(filters)
    rng = np.random.default_rng(sum(filters))
    samples = rng.standard_normal((300, net.ambient_dim))
    inside = np.array([net.contains(f) for f in samples])
    if even_count(filters) <= 1:
        assert inside.all()
    else:
        # a set of positive measure (e.g. filters without real roots) is missed
        assert not inside.all()
        assert (~inside).mean() > 0.02


@given(st.lists(st.integers(1, 4), min_size=1, max_size=4), st.integers(0, 2**32 - 1))
def test_image_points_are_contained(filters: list[int], seed: int) -> None:
    net = nm.ConvNetwork(filters)
    assert net.contains(net.mu(net.random_params(seed=seed)))


def test_a_definite_quadratic_is_not_a_product_of_two_real_linear_filters() -> None:
    net = nm.ConvNetwork((2, 2))
    assert not net.contains([1.0, 0.0, 1.0])  # 1 + z^2
    assert net.contains([1.0, 0.0, -1.0])  # (1 - z)(1 + z)
    assert net.contains([1.0, 1.0, 0.0])  # degree drop: a root at infinity is real


def test_contains_is_not_implemented_where_undecided() -> None:
    with pytest.raises(NotImplementedError):
        nm.ConvNetwork((2, 2), strides=2).contains([1.0, 0.0, 0.0, 1.0])
    with pytest.raises(NotImplementedError):
        nm.PolynomialNetwork((2, 2, 1)).contains(np.zeros(3))
