"""Specifications round-trip; bad input gets a clear ValueError/TypeError, never a crash."""

import numpy as np
import pytest

import neuromanifold as nm

SPECS = {
    "linear:4,2,3": (nm.LinearNetwork, 14, 12),
    "poly:3,2,1^2": (nm.PolynomialNetwork, 8, 6),
    "poly:3,2,1^2+bias": (nm.PolynomialNetwork, 11, 10),
    "poly:2,2,1^(0,1,1)": (nm.PolynomialNetwork, 6, 5),
    "conv:2,3": (nm.ConvNetwork, 5, 4),
    "conv:2,3/2,1^2": (nm.ConvNetwork, 5, 9),
    "attention:2,1,2,2": (nm.LightningAttention, 10, 40),
    "residual:3,2": (nm.ResidualLinearNetwork, 18, 9),
}


@pytest.mark.parametrize("spec", SPECS)
def test_specs(spec: str) -> None:
    cls, n, a = SPECS[spec]
    net = nm.parse(spec)
    assert isinstance(net, cls) and net.n_params == n and net.ambient_dim == a
    assert net.spec == spec and nm.parse(net.spec) == net


def test_relu_spec() -> None:
    net = nm.parse("relu:1,3,1")
    assert isinstance(net, nm.ReLUNetwork) and net.n_params == 10 and net.bias
    assert not nm.parse("relu:1,3,1+nobias").bias


@pytest.mark.parametrize(
    "spec, words",
    [
        ("", "FAMILY"),
        ("linear", "FAMILY"),
        ("linear:", "missing"),
        ("linear:3,0", "zero"),
        ("linear:3,-1", "integer"),
        ("linear:3,a", "integer"),
        ("foo:1,2", "unknown family"),
        ("attention:1,2", "4 sizes"),
        ("poly:2,1^0", "degree"),
        ("poly:2,1^(1,x)", "not a number"),
    ],
)
def test_bad_specs(spec: str, words: str) -> None:
    with pytest.raises(ValueError, match=words):
        nm.parse(spec)
    with pytest.raises(TypeError):
        nm.parse(3)  # type: ignore[arg-type]


def test_bad_architectures() -> None:
    with pytest.raises(ValueError, match="positive"):
        nm.LinearNetwork((3, 0, 2))
    with pytest.raises(ValueError, match="at least 2"):
        nm.LinearNetwork((3,))
    with pytest.raises(TypeError):
        nm.LinearNetwork((3, 2.5))  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        nm.LinearNetwork("3,2")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        nm.PolynomialNetwork((2, 2), activation="relu")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="degree"):
        nm.PolynomialNetwork((2, 2), activation=(1.0, 0.0))
    with pytest.raises(ValueError, match="finite"):
        nm.PolynomialNetwork((2, 2), activation=(0.0, float("nan")))
    with pytest.raises(ValueError, match="strides"):
        nm.ConvNetwork((2, 2), strides=(1, 1, 1))
    with pytest.raises(ValueError):
        nm.LightningAttention(0, 1, 1, 1)
    with pytest.raises(ValueError):
        nm.ResidualLinearNetwork(2, 0)


def test_a_basis_too_large_for_memory_is_refused_quickly() -> None:
    with pytest.raises(ValueError, match="memory|too large"):
        nm.PolynomialNetwork((50, 50, 50, 50, 1), activation=5)
    with pytest.raises(ValueError, match="memory|too large"):
        nm.ConvNetwork((40, 40, 40), activation=9)


def test_bad_parameters() -> None:
    net = nm.PolynomialNetwork((2, 2, 1))
    with pytest.raises(ValueError, match="length"):
        net.mu(np.zeros(5))
    with pytest.raises(ValueError, match="shape"):
        net.jacobian(np.zeros((2, 2, 6)))
    with pytest.raises(ValueError, match="NaN|infinity"):
        net.mu(np.array([0, 1, 2, np.nan, 1, 1]))
    with pytest.raises(ValueError, match="NaN|infinity"):
        net.jacobian(np.array([[0, 1, 2, np.inf, 1, 1]]))
    with pytest.raises(ValueError, match="NaN|infinity"):
        net.mu(np.array([0, 1, 2, 1j * np.nan, 1, 1]))
    with pytest.raises(TypeError):
        net.mu(["a"] * 6)
    with pytest.raises(ValueError, match="X"):
        net.evaluate(np.zeros(6), np.zeros((3, 4)))
    with pytest.raises(ValueError, match="X"):
        net.evaluate(np.zeros(6), np.full((2, 4), np.nan))
    with pytest.raises(ValueError):
        net.random_params(-1)
    with pytest.raises(ValueError, match="shape"):
        net.contains(np.zeros(4))
    relu = nm.ReLUNetwork((1, 2, 1))
    with pytest.raises(ValueError, match="NaN|infinity"):
        relu.evaluate(np.full(7, np.nan), np.zeros((1, 3)))
    with pytest.raises(TypeError):
        nm.dimension(relu)  # type: ignore[arg-type]


def test_errors_are_value_errors_of_our_own_kind() -> None:
    assert issubclass(nm.NeuromanifoldError, ValueError)
    with pytest.raises(nm.NeuromanifoldError):
        nm.PolynomialNetwork((2, 2, 1)).mu(np.full(6, np.inf))
