"""Specifications round-trip; bad input gets a clear ValueError/TypeError, never a crash."""

import subprocess
import sys
import textwrap

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import neuromanifold as nm

# spec -> (directly built equivalent, n_params, ambient_dim)
SPECS = {
    "linear:4,2,3": (nm.LinearNetwork((4, 2, 3)), 14, 12),
    "poly:3,2,1^2": (nm.PolynomialNetwork((3, 2, 1), activation=2), 8, 6),
    "poly:3,2,1^2+bias": (nm.PolynomialNetwork((3, 2, 1), activation=2, bias=True), 11, 10),
    "poly:2,2,1^(0,1,1)": (nm.PolynomialNetwork((2, 2, 1), activation=(0.0, 1.0, 1.0)), 6, 5),
    "conv:2,3": (nm.ConvNetwork((2, 3)), 5, 4),
    "conv:2,3/2,1^2": (nm.ConvNetwork((2, 3), strides=(2, 1), activation=2), 5, None),
    "attention:2,1,2,2": (nm.LightningAttention(2, 1, 2, 2), 10, 40),
    "residual:3,2": (nm.ResidualLinearNetwork(3, 2), 18, 9),
}


@pytest.mark.parametrize("spec", SPECS)
def test_specs(spec: str) -> None:
    direct, n, a = SPECS[spec]
    net = nm.parse(spec)
    assert type(net) is type(direct)
    assert net.n_params == direct.n_params == n
    assert net.ambient_dim == direct.ambient_dim
    if a is not None:
        assert net.ambient_dim == a
    assert (net.n_inputs, net.n_outputs) == (direct.n_inputs, direct.n_outputs)
    assert np.array_equal(net.monomials, direct.monomials)
    thetas = net.random_params(3, seed=1)
    assert np.allclose(net.mu(thetas), direct.mu(thetas))
    assert nm.parse(net.spec).n_params == net.n_params
    assert np.allclose(nm.parse(net.spec).mu(thetas), net.mu(thetas))


def test_strided_conv_spec_sizes() -> None:
    net = nm.parse("conv:2,3/2,1^2")
    assert net.n_inputs == 1 + 1 * 1 + 2 * 2  # receptive field
    X = np.random.default_rng(0).standard_normal((net.n_inputs, 4))
    theta = net.random_params(seed=0)
    w1, w2 = theta[:2], theta[2:]
    h = np.stack([w1[0] * X[2 * j] + w1[1] * X[2 * j + 1] for j in range(3)]) ** 2
    assert np.allclose(net.evaluate(theta, X), (w2 @ h)[None, :])


def test_relu_specs() -> None:
    net = nm.parse("relu:1,3,1")
    assert isinstance(net, nm.ReLUNetwork) and net.n_params == 10
    nobias = nm.parse("relu:1,3,1+nobias")
    assert isinstance(nobias, nm.ReLUNetwork) and nobias.n_params == 6
    X = np.linspace(-1, 1, 5).reshape(1, -1)
    theta = net.random_params(seed=0)
    assert np.allclose(net.evaluate(theta, X), nm.ReLUNetwork((1, 3, 1)).evaluate(theta, X))


@pytest.mark.parametrize(
    "spec, words",
    [
        ("", "empty|FAMILY"),
        ("linear", "FAMILY|SIZES|missing"),
        ("linear:", "missing|empty|widths"),
        ("linear:3,0", "zero|positive"),
        ("linear:3,-1", "negative|positive|-1"),
        ("linear:3,a", '"a"|\'a\'|integer'),
        ("linear:3,2.5", "2.5|integer"),
        ("foo:1,2", "unknown family|foo"),
        ("attention:1,2", "4 sizes|four"),
        ("residual:3", "2 sizes|two"),
        ("poly:2,1^0", "degree"),
        ("poly:2,1^(1,x)", "not a number|x"),
        ("conv:2,3/0", "stride"),
        ("conv:2,3/1,1,1", "stride"),
        ("relu:1,0,1", "zero|positive"),
    ],
)
def test_bad_specs(spec: str, words: str) -> None:
    with pytest.raises(ValueError, match=words):
        nm.parse(spec)


@pytest.mark.parametrize("bad", [3, None, b"linear:2,2", ["linear:2,2"]])
def test_spec_must_be_a_string(bad) -> None:
    with pytest.raises(TypeError):
        nm.parse(bad)


def test_bad_architectures() -> None:
    with pytest.raises(ValueError, match="positive|zero"):
        nm.LinearNetwork((3, 0, 2))
    with pytest.raises(ValueError, match="positive|negative"):
        nm.LinearNetwork((3, -2))
    with pytest.raises(ValueError, match="at least 2"):
        nm.LinearNetwork((3,))
    with pytest.raises(ValueError):
        nm.ConvNetwork(())
    with pytest.raises((TypeError, ValueError)):
        nm.LinearNetwork((3, 2.5))
    with pytest.raises((TypeError, ValueError)):
        nm.LinearNetwork((3, "2"))
    with pytest.raises((TypeError, ValueError)):
        nm.LinearNetwork("3,2")
    with pytest.raises((TypeError, ValueError)):
        nm.LinearNetwork(5)
    with pytest.raises((TypeError, ValueError)):
        nm.PolynomialNetwork((2, 2), activation="relu")
    with pytest.raises((TypeError, ValueError)):
        nm.PolynomialNetwork((2, 2), activation=("a", 1.0))
    with pytest.raises((TypeError, ValueError)):
        nm.PolynomialNetwork((2, 2), bias="yes")
    with pytest.raises(ValueError, match="degree"):
        nm.PolynomialNetwork((2, 2), activation=(1.0, 0.0))
    with pytest.raises(ValueError, match="degree|positive"):
        nm.PolynomialNetwork((2, 2), activation=0)
    with pytest.raises(ValueError, match="positive|negative|degree"):
        nm.PolynomialNetwork((2, 2), activation=-1)
    with pytest.raises(ValueError, match="finite|NaN|nan"):
        nm.PolynomialNetwork((2, 2), activation=(0.0, float("nan")))
    with pytest.raises(ValueError, match="finite|inf"):
        nm.PolynomialNetwork((2, 2), activation=(0.0, 1.0, float("inf")))
    with pytest.raises(ValueError, match="stride"):
        nm.ConvNetwork((2, 2), strides=(1, 1, 1))
    with pytest.raises(ValueError, match="stride|positive"):
        nm.ConvNetwork((2, 2), strides=0)
    with pytest.raises(ValueError):
        nm.ConvNetwork((2, 0))
    for sizes in [(0, 1, 1, 1), (1, 0, 1, 1), (1, 1, 0, 1), (1, 1, 1, 0), (1, 1, -1, 1)]:
        with pytest.raises(ValueError):
            nm.LightningAttention(*sizes)
    with pytest.raises((TypeError, ValueError)):
        nm.LightningAttention(2, 1, "2", 2)
    with pytest.raises(ValueError):
        nm.ResidualLinearNetwork(2, 0)
    with pytest.raises(ValueError):
        nm.ResidualLinearNetwork(0, 2)
    with pytest.raises(ValueError):
        nm.ReLUNetwork((1, 0, 1))


TOO_LARGE = [
    "nm.PolynomialNetwork((50, 50, 50, 50, 1), activation=5)",
    "nm.ConvNetwork((40, 40, 40), activation=9)",
    "nm.LightningAttention(50, 50, 50, 50)",
    "nm.PolynomialNetwork((30, 30, 1), activation=(1.0,) * 12, bias=True)",
]


@pytest.mark.parametrize("expr", TOO_LARGE)
def test_a_basis_too_large_for_memory_is_refused_before_allocating(expr: str) -> None:
    # in a child process with address space capped at 3 GiB: a ValueError, not an allocation
    # failure, an abort or a hang
    code = textwrap.dedent(
        f"""
        import resource
        cap = 3 * 1024**3
        resource.setrlimit(resource.RLIMIT_AS, (cap, cap))
        import neuromanifold as nm
        try:
            {expr}
        except ValueError as e:
            print("ValueError:", e)
        else:
            print("accepted")
        """
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith("ValueError:"), out.stdout + out.stderr
    assert "memory" in out.stdout or "large" in out.stdout


def test_bad_parameters() -> None:
    net = nm.PolynomialNetwork((2, 2, 1))  # N = 6
    with pytest.raises(ValueError, match="length|shape|6"):
        net.mu(np.zeros(5))
    with pytest.raises(ValueError, match="length|shape|6"):
        net.jacobian(np.zeros(7))
    with pytest.raises(ValueError, match="shape|6"):
        net.mu(np.zeros((3, 5)))
    with pytest.raises(ValueError, match="shape"):
        net.jacobian(np.zeros((2, 2, 6)))
    with pytest.raises(ValueError, match="shape"):
        net.mu(np.zeros((1, 1, 6)))
    with pytest.raises(ValueError):
        net.mu(np.float64(1.0))
    with pytest.raises(ValueError, match="NaN|nan|infinit|finite"):
        net.mu(np.array([0, 1, 2, np.nan, 1, 1]))
    with pytest.raises(ValueError, match="NaN|nan|infinit|finite"):
        net.jacobian(np.array([[0, 1, 2, np.inf, 1, 1]]))
    with pytest.raises(ValueError, match="NaN|nan|infinit|finite"):
        net.mu(np.array([0, 1, 2, -np.inf, 1, 1]))
    with pytest.raises(ValueError, match="NaN|nan|infinit|finite"):
        net.mu(np.array([0, 1, 2, 1j * np.nan, 1, 1]))
    with pytest.raises(ValueError, match="NaN|nan|infinit|finite"):
        net.jacobian(np.array([0, 1, 2, 1 + 1j * np.inf, 1, 1]))
    with pytest.raises(ValueError, match="NaN|nan|infinit|finite"):
        net.evaluate(np.array([0, 1, 2, np.nan, 1, 1]), np.zeros((2, 3)))
    with pytest.raises(ValueError, match="NaN|nan|infinit|finite"):
        net.jacobian_rank(np.array([0, 1, 2, np.nan, 1, 1]))
    with pytest.raises((TypeError, ValueError)):
        net.mu(["a"] * 6)
    with pytest.raises((TypeError, ValueError)):
        net.jacobian("abcdef")
    with pytest.raises((TypeError, ValueError)):
        net.mu(None)
    with pytest.raises((TypeError, ValueError)):
        net.mu([object()] * 6)


def test_bad_points_and_functions() -> None:
    net = nm.PolynomialNetwork((2, 2, 1))
    theta = net.random_params(seed=0)
    with pytest.raises(ValueError, match="X"):
        net.evaluate(theta, np.zeros((3, 4)))
    with pytest.raises(ValueError, match="X"):
        net.evaluate(theta, np.zeros((2, 4, 1)))
    with pytest.raises(ValueError, match="X"):
        net.evaluate(theta, np.full((2, 4), np.nan))
    with pytest.raises(ValueError, match="X"):
        net.evaluate(theta, np.full((2, 4), np.inf))
    with pytest.raises((TypeError, ValueError)):
        net.evaluate(theta, [["a", "b"], ["c", "d"]])
    with pytest.raises(ValueError, match="shape|length"):
        net.contains(np.zeros(4))
    with pytest.raises((TypeError, ValueError)):
        nm.ConvNetwork((2, 2)).contains(["x", "y", "z"])
    with pytest.raises(ValueError):
        net.random_params(-1)
    with pytest.raises((TypeError, ValueError)):
        net.random_params(2.5)
    with pytest.raises((TypeError, ValueError)):
        net.random_params(2, seed="a")
    with pytest.raises(ValueError):
        net.random_params(2, seed=-1)
    att = nm.LightningAttention(2, 1, 2, 2)
    with pytest.raises(ValueError):
        att.evaluate(att.random_params(seed=0), np.zeros((3, 2)))
    with pytest.raises(ValueError):
        att.evaluate(att.random_params(seed=0), np.zeros((5, 1)))


def test_bad_relu_input() -> None:
    relu = nm.ReLUNetwork((1, 2, 1))  # N = 7
    X = np.zeros((1, 3))
    with pytest.raises(ValueError, match="NaN|nan|infinit|finite"):
        relu.evaluate(np.full(7, np.nan), X)
    with pytest.raises(ValueError, match="NaN|nan|infinit|finite"):
        relu.jacobian(np.full(7, np.inf), X)
    with pytest.raises(ValueError):
        relu.evaluate(np.zeros(6), X)
    with pytest.raises(ValueError):
        relu.jacobian(np.zeros((2, 2, 7)), X)
    with pytest.raises(ValueError, match="X"):
        relu.evaluate(np.zeros(7), np.zeros((2, 3)))
    with pytest.raises(ValueError, match="X"):
        relu.jacobian(np.zeros(7), np.full((1, 3), np.nan))
    with pytest.raises((TypeError, ValueError)):
        nm.dimension(relu)
    with pytest.raises((TypeError, ValueError)):
        nm.functional_dimension(relu, np.zeros((2, 3)))
    with pytest.raises((TypeError, ValueError)):
        nm.dimension("linear:2,2")
    with pytest.raises((TypeError, ValueError)):
        nm.dimension(nm.LinearNetwork((2, 2)), seed="a")


def test_errors_are_value_errors_of_our_own_kind() -> None:
    assert issubclass(nm.NeuromanifoldError, ValueError)
    with pytest.raises(nm.NeuromanifoldError):
        nm.PolynomialNetwork((2, 2, 1)).mu(np.full(6, np.inf))
    with pytest.raises(nm.NeuromanifoldError):
        nm.parse("foo:1")


NET = nm.PolynomialNetwork((2, 2, 1), activation=2, bias=True)  # N = 9, A = 6, 2 inputs
weird_floats = st.one_of(st.floats(allow_nan=True, allow_infinity=True), st.floats(-1e3, 1e3))


@settings(max_examples=30, deadline=None)
@given(hnp.arrays(np.float64, hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=10), elements=weird_floats))
def test_arbitrary_parameter_arrays_never_crash(arr: np.ndarray) -> None:
    N, A = NET.n_params, NET.ambient_dim
    good = arr.ndim in (1, 2) and arr.shape[-1] == N and np.isfinite(arr).all()
    for fn, tail in ((NET.mu, (A,)), (NET.jacobian, (A, N))):
        try:
            out = fn(arr)
        except (ValueError, TypeError):
            assert not good or arr.size == 0
            continue
        assert good
        assert out.shape == arr.shape[:-1] + tail


@settings(max_examples=30, deadline=None)
@given(hnp.arrays(np.float64, hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=6), elements=weird_floats))
def test_arbitrary_point_arrays_never_crash(X: np.ndarray) -> None:
    theta = NET.random_params(seed=0)
    good = X.ndim == 2 and X.shape[0] == NET.n_inputs and np.isfinite(X).all()
    try:
        out = NET.evaluate(theta, X)
    except (ValueError, TypeError):
        assert not good or X.size == 0
        return
    assert good
    assert out.shape == (NET.n_outputs, X.shape[1])


@pytest.mark.parametrize("spec", ["linear:2,2,2", "poly:3,2,1^2", "poly:2,3,1^5", "poly:3,3,2^2", "poly:3,4,2^2"])
def test_membership_refuses_non_finite_functions(spec: str) -> None:
    net = nm.parse(spec)
    f = np.zeros(net.ambient_dim)
    assert net.contains(f)  # the zero function: every weight 0
    f[0] = np.nan
    with pytest.raises(ValueError, match="finite"):
        net.contains(f)
