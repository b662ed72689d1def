//! Known dimensions and identities of neuromanifolds, checked through the public API.

use neuromanifold::*;
use proptest::prelude::*;

fn net(spec: &str) -> Network {
    match parse(spec).unwrap() {
        Spec::Algebraic(a) => Network::new(a).unwrap(),
        Spec::Relu(_) => panic!("not algebraic"),
    }
}

fn matmul(a: &[f64], b: &[f64], m: usize, k: usize, n: usize) -> Vec<f64> {
    let mut c = vec![0.0; m * n];
    for i in 0..m {
        for j in 0..n {
            c[i * n + j] = (0..k).map(|l| a[i * k + l] * b[l * n + j]).sum();
        }
    }
    c
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    /// mu of a linear network is the product matrix and its dimension is r (d0 + dL - r).
    #[test]
    fn linear_networks(widths in prop::collection::vec(1usize..5, 2..5), seed in 0u64..1000) {
        let spec = format!("linear:{}", widths.iter().map(|w| w.to_string()).collect::<Vec<_>>().join(","));
        let n = net(&spec);
        let theta = n.random_params(1, seed);
        let mut off = 0;
        let mut prod: Vec<f64> = vec![];
        for l in 0..widths.len() - 1 {
            let (din, dout) = (widths[l], widths[l + 1]);
            let w = &theta[off..off + din * dout];
            off += din * dout;
            prod = if l == 0 { w.to_vec() } else { matmul(w, &prod, dout, din, widths[0]) };
        }
        let mu = n.mu(&theta).unwrap();
        for (a, b) in mu.iter().zip(&prod) {
            prop_assert!((a - b).abs() < 1e-9 * (1.0 + b.abs()));
        }
        let r = *widths.iter().min().unwrap();
        let (d0, dl) = (widths[0], *widths.last().unwrap());
        let rep = dimension(&n, seed).unwrap();
        prop_assert_eq!(rep.dim, r * (d0 + dl - r));
        prop_assert_eq!(rep.exact_rank, rep.dim);
        prop_assert!(rep.certified);
        prop_assert_eq!(rep.filling, Some(r == d0.min(dl)));
    }

    /// The exact rank is a lower bound of the numerical rank, itself at most min(N, A).
    #[test]
    fn rank_bounds(w in prop::collection::vec(1usize..4, 2..4), r in 1usize..4, bias in any::<bool>()) {
        let spec = format!("poly:{}^{}{}", w.iter().map(|x| x.to_string()).collect::<Vec<_>>().join(","), r, if bias { "+bias" } else { "" });
        let n = net(&spec);
        let rep = dimension(&n, 3).unwrap();
        prop_assert!(rep.exact_rank <= rep.dim);
        prop_assert!(rep.dim <= rep.n_params.min(rep.ambient));
        prop_assert!(rep.dim <= rep.expected);
    }

    /// Jacobians agree with central differences.
    #[test]
    fn jacobian_is_the_derivative(seed in 0u64..1000) {
        for spec in ["poly:2,3,2^(0.5,1,1)+bias", "conv:2,3/2,1^2", "attention:2,2,1,2", "residual:2,2"] {
            let n = net(spec);
            let theta = n.random_params(1, seed);
            let j = n.jacobian(&theta).unwrap();
            let (a, p) = (n.ambient_dim(), n.n_params());
            let h = 1e-6;
            for k in 0..p {
                let mut tp = theta.clone();
                let mut tm = theta.clone();
                tp[k] += h;
                tm[k] -= h;
                let (fp, fm) = (n.mu(&tp).unwrap(), n.mu(&tm).unwrap());
                for i in 0..a {
                    let fd = (fp[i] - fm[i]) / (2.0 * h);
                    prop_assert!((fd - j[i * p + k]).abs() < 1e-5 * (1.0 + fd.abs()), "{spec}");
                }
            }
        }
    }
}

#[test]
fn sums_of_two_squares_are_defective() {
    let rep = dimension(&net("poly:3,2,1^2"), 0).unwrap();
    assert_eq!((rep.dim, rep.expected, rep.ambient, rep.defect), (5, 6, 6, 1));
    assert_eq!(rep.exact_rank, 5);
}

#[test]
fn lightning_attention_is_five_dimensional() {
    let rep = dimension(&net("attention:2,1,2,2"), 0).unwrap();
    assert_eq!(rep.dim, 5);
    assert!(rep.certified);
}

#[test]
fn linear_convolution_is_polynomial_multiplication() {
    // stride 1: end-to-end filter = w1(z) * w2(z)
    let n = net("conv:2,3");
    let theta = [1.0, 2.0, 3.0, 4.0, 5.0];
    assert_eq!(n.mu(&theta).unwrap(), vec![3.0, 10.0, 13.0, 10.0]);
    // stride 2 on the first layer: w1(z) * w2(z^2)
    let n = net("conv:2,2/2,1");
    assert_eq!(n.mu(&[1.0, 2.0, 3.0, 4.0]).unwrap(), vec![3.0, 6.0, 4.0, 8.0]);
}

#[test]
fn bad_inputs_are_errors() {
    let n = net("linear:2,2");
    assert!(matches!(n.mu(&[1.0, 2.0]), Err(Error::Shape(_))));
    assert!(matches!(n.mu(&[1.0, f64::NAN, 0.0, 0.0]), Err(Error::NonFinite(_))));
    let huge = PolynomialNetwork::new(&[50, 50, 50, 50, 1], Activation::power(5).unwrap(), false).unwrap();
    assert!(matches!(Network::new(huge), Err(Error::TooLarge(_))));
}

#[test]
fn jacobian_program_equals_dual_numbers() {
    for spec in ["poly:3,4,4,2^2", "poly:2,2,2^(1,0.5,0,2)+bias", "attention:2,1,2,2", "conv:3,2^3"] {
        let n = net(spec);
        let thetas = n.random_params(9, 5);
        let batch = n.jacobian_batch(&thetas).unwrap();
        let k = n.n_params() * n.ambient_dim();
        for b in 0..9 {
            let dual = n.program().jacobian(&thetas[b * n.n_params()..(b + 1) * n.n_params()]);
            for (x, y) in batch[b * k..(b + 1) * k].iter().zip(&dual) {
                assert!((x - y).abs() <= 1e-12 * (1.0 + y.abs()), "{spec}");
            }
        }
    }
}

/// One hidden layer with z^k: real binary forms of real rank <= h fill the space exactly when
/// h >= k (a form with k distinct real roots has real rank k); real quadratic forms of rank <= h
/// when h >= the number of variables; and the rules for several outputs and biases (monomials,
/// pencils, hyperplanes of powers), each constructed in the Python tests.
#[test]
fn real_filling_of_waring_decompositions() {
    for k in 2..=6usize {
        for h in 1..=7usize {
            let rep = dimension(&net(&format!("poly:2,{h},1^{k}")), 1).unwrap();
            let complex = rep.dim == rep.ambient;
            assert_eq!(complex, 2 * h >= k + 1, "poly:2,{h},1^{k}");
            assert_eq!(rep.filling, Some(complex && h >= k), "poly:2,{h},1^{k}");
        }
    }
    for d in 2..=4usize {
        for h in 1..=5usize {
            let rep = dimension(&net(&format!("poly:{d},{h},1^2")), 1).unwrap();
            assert_eq!(rep.filling, Some(h >= d), "poly:{d},{h},1^2");
        }
    }
    // not decided by these rules
    assert_eq!(dimension(&net("poly:2,3,1^3+bias"), 1).unwrap().filling, Some(false));
    // quadratic forms in three variables whose orthogonal conics form one pencil
    assert_eq!(dimension(&net("poly:3,4,4^2"), 1).unwrap().filling, Some(false));
    assert_eq!(dimension(&net("poly:2,3,3^2+bias"), 1).unwrap().filling, Some(false));
    // pencils of d0 neurons without biases, and k neurons on binary forms with k - 1 or k outputs:
    // the outputs with a non-real eigenvalue (normal root) are an open set
    for spec in
        ["poly:2,2,2^2", "poly:3,3,2^2", "poly:5,5,2^2", "poly:2,3,2^3", "poly:2,3,3^3", "poly:2,4,3^4", "poly:2,4,4^4"]
    {
        assert_eq!(dimension(&net(spec), 1).unwrap().filling, Some(false), "{spec}");
    }
    // even powers on three or more inputs with one neuron and one output fewer than the
    // monomials: the definite normal forms are outside M
    for spec in ["poly:3,5,5^2", "poly:4,9,9^2", "poly:3,14,14^4"] {
        assert_eq!(dimension(&net(spec), 1).unwrap().filling, Some(false), "{spec}");
    }
    // pencils with biases and d0 + 1 neurons: the shifts of the constant terms reach every pencil
    // on one or two inputs, not on three or more (the tangents' cofactors, direct sums)
    for d0 in 1..=6usize {
        let spec = format!("poly:{d0},{},2^2+bias", d0 + 1);
        assert_eq!(dimension(&net(&spec), 1).unwrap().filling, Some(d0 <= 2), "{spec}");
    }
    // quadratic forms in (x, 1) with a free constant term: h >= d0 squares of affine forms
    for d in 1..=3usize {
        for h in 1..=4usize {
            let rep = dimension(&net(&format!("poly:{d},{h},1^2+bias")), 1).unwrap();
            assert_eq!(rep.filling == Some(true), h >= d, "poly:{d},{h},1^2+bias");
        }
    }
    // polynomials of degree k in one variable: k - 1 neurons and the output bias, and no fewer
    for k in 2..=6usize {
        for h in 1..=k {
            let spec = format!("poly:1,{h},1^{k}+bias");
            assert_eq!(dimension(&net(&spec), 1).unwrap().filling, Some(h + 1 >= k), "{spec}");
        }
    }
    // decided to fill (true), or not decided to (false: undecided or not filling)
    for (spec, fills) in [
        // as many neurons as monomials span every form, with any outputs and biases; with
        // biases one fewer (the output bias is the constant's power)
        ("poly:2,3,2^2", true),
        ("poly:3,6,2^2", true),
        ("poly:2,4,3^3", true),
        ("poly:2,6,1^2+bias", true),
        ("poly:2,10,2^3+bias", true),
        ("poly:2,5,2^2+bias", true),
        ("poly:1,3,4^3+bias", true),
        ("poly:2,9,2^3+bias", true),
        ("poly:3,9,3^2+bias", true),
        // pencils of quadratic forms in d variables (d0 + 1 with biases): d + 1 neurons (and
        // floor(3d / 2), the same for d <= 3); with biases d0 + 1 on one or two inputs
        ("poly:3,4,2^2", true),
        ("poly:4,6,2^2", true),
        ("poly:5,7,2^2", true),
        ("poly:4,5,2^2", true),
        ("poly:6,7,2^2", true),
        ("poly:1,1,2^2", true),
        ("poly:2,4,2^2+bias", true),
        ("poly:3,6,2^2+bias", true),
        ("poly:3,5,2^2+bias", true),
        ("poly:2,3,2^2+bias", true),
        ("poly:3,3,2^2", false),
        ("poly:6,6,2^2", false),
        // quadrics with one neuron fewer than monomials and at most A1 - 2 outputs
        ("poly:3,5,3^2", true),
        ("poly:3,5,4^2", true),
        ("poly:4,9,8^2", true),
        ("poly:3,5,5^2", false),
        ("poly:3,4,3^2", true),
        ("poly:3,6,3^2", true),
        ("poly:3,3,3^2", false),
        // with biases, two neurons fewer than monomials and at most A1 - 2 outputs
        ("poly:2,4,3^2+bias", true),
        ("poly:2,4,4^2+bias", true),
        ("poly:3,8,8^2+bias", true),
        ("poly:2,4,5^2+bias", false),
        ("poly:2,3,3^2+bias", false),
        // hyperplanes of powers with real zeros: odd degree on three inputs, and with biases
        ("poly:3,9,9^3", true),
        ("poly:3,9,10^3", false),
        ("poly:3,14,14^4", false),
        ("poly:3,14,13^4", true),
        ("poly:3,27,26^6", true),
        ("poly:3,13,13^4", false),
        ("poly:2,8,8^3+bias", true),
        ("poly:2,8,9^3+bias", false),
        ("poly:2,13,13^4+bias", true),
        ("poly:1,3,2^4+bias", false),
        // ternary cubics: four real cubes (cubic polynomials in two variables with biases)
        ("poly:3,4,1^3", true),
        ("poly:3,6,1^3", true),
        ("poly:2,4,1^3+bias", true),
        ("poly:3,3,1^3", false),
        ("poly:4,4,1^3", false),
        ("poly:3,4,2^3", false),
        // deeper: every hidden layer as wide as the monomials of its powers reaches every tuple
        ("poly:2,3,5,2^2", true),
        ("poly:1,2,4,3^2+bias", true),
        ("poly:2,3,5,9,2^2", true),
        ("poly:2,3,4,2^2", false),
        // two hidden layers with z^2 and one output: signed squares of the second layer's inputs
        // (binary forms: two; ternary quartics: three; else as many as the monomials)
        ("poly:2,2,2,1^2", true),
        ("poly:2,5,2,1^2", true),
        ("poly:1,2,2,1^2+bias", true),
        ("poly:2,2,1,1^2", false),
        ("poly:3,6,3,1^2", true),
        ("poly:2,5,3,1^2+bias", true),
        ("poly:3,6,2,1^2", false),
        ("poly:3,5,3,1^2", true),
        ("poly:3,4,3,1^2", true),
        ("poly:2,4,3,1^2+bias", true),
        ("poly:3,3,3,1^2", false),
        ("poly:3,4,2,1^2", false),
        ("poly:4,10,10,1^2", true),
        ("poly:2,3,5,2,1^2", true),
        ("poly:2,2,2,2,1^2", false),
    ] {
        assert_eq!(dimension(&net(spec), 1).unwrap().filling == Some(true), fills, "{spec}");
    }
}
