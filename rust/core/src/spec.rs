//! Compact text specifications of architectures, for the command line:
//!
//! | spec | architecture |
//! |---|---|
//! | `linear:4,2,3` | linear network with widths (4, 2, 3) |
//! | `poly:3,2,1^2`, `poly:3,2,1^2+bias`, `poly:2,2,1^(0,1,1)` | polynomial MLP, sigma = z^2 or 0 + z + z^2 |
//! | `conv:2,3`, `conv:2,3/2,1`, `conv:2,3^2` | 1D convolutions: filter widths, `/` strides, `^` activation |
//! | `attention:2,1,2,2` | lightning self-attention with d, d_out, a, t |
//! | `residual:3,2` | linear residual network of width 3 with 2 layers |
//! | `relu:1,3,1`, `relu:1,3,1+nobias` | ReLU network |

use crate::error::{Error, Result};
use crate::network::{
    Activation, Architecture, ConvNetwork, LightningAttention, LinearNetwork, PolynomialNetwork, ReLUNetwork,
    ResidualLinearNetwork,
};

/// A parsed specification.
#[derive(Clone, Debug, PartialEq)]
pub enum Spec {
    Algebraic(Architecture),
    Relu(ReLUNetwork),
}

impl std::fmt::Display for Spec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Spec::Algebraic(a) => write!(f, "{a}"),
            Spec::Relu(r) => write!(f, "{r}"),
        }
    }
}

pub const FAMILIES: &[&str] = &["linear", "poly", "conv", "attention", "residual", "relu"];

fn err(spec: &str, reason: impl Into<String>) -> Error {
    Error::Parse { spec: spec.to_string(), reason: reason.into() }
}

fn ints(spec: &str, s: &str, what: &str) -> Result<Vec<usize>> {
    if s.trim().is_empty() {
        return Err(err(spec, format!("{what} are missing")));
    }
    s.split(',')
        .map(|t| {
            let t = t.trim();
            t.parse::<usize>().map_err(|e| match e.kind() {
                std::num::IntErrorKind::PosOverflow => err(spec, format!("{what}: {t} is too large")),
                _ => err(spec, format!("{what}: {t:?} is not a non-negative integer")),
            })
        })
        .collect()
}

fn activation(spec: &str, s: &str) -> Result<Activation> {
    let s = s.trim();
    if let Some(inner) = s.strip_prefix('(').and_then(|x| x.strip_suffix(')')) {
        let coeffs: Vec<f64> = inner
            .split(',')
            .map(|t| {
                t.trim().parse::<f64>().map_err(|_| err(spec, format!("activation coefficient {t:?} is not a number")))
            })
            .collect::<Result<_>>()?;
        Activation::from_coefficients(&coeffs)
    } else {
        let r = s
            .parse::<usize>()
            .map_err(|_| err(spec, format!("activation {s:?} is neither a degree nor (a0,a1,...)")))?;
        Activation::power(r)
    }
}

fn split_flag<'a>(body: &'a str, flag: &str) -> (&'a str, bool) {
    match body.strip_suffix(flag) {
        Some(b) => (b, true),
        None => (body, false),
    }
}

/// Parse a specification such as `poly:3,2,1^2`.
pub fn parse(spec: &str) -> Result<Spec> {
    let trimmed = spec.trim();
    let Some((family, body)) = trimmed.split_once(':') else {
        return Err(err(spec, format!("expected FAMILY:SIZES with FAMILY one of {}", FAMILIES.join(", "))));
    };
    let family = family.trim().to_ascii_lowercase();
    match family.as_str() {
        "linear" => Ok(Spec::Algebraic(LinearNetwork::new(&ints(spec, body, "widths")?)?.into())),
        "poly" | "polynomial" => {
            let (body, bias) = split_flag(body, "+bias");
            let (w, act) = match body.split_once('^') {
                Some((w, a)) => (w, activation(spec, a)?),
                None => (body, Activation::power(2)?),
            };
            Ok(Spec::Algebraic(PolynomialNetwork::new(&ints(spec, w, "widths")?, act, bias)?.into()))
        }
        "conv" => {
            let (body, act) = match body.split_once('^') {
                Some((b, a)) => (b, Some(activation(spec, a)?)),
                None => (body, None),
            };
            let (f, s) = match body.split_once('/') {
                Some((f, s)) => (f, Some(s)),
                None => (body, None),
            };
            let filters = ints(spec, f, "filter widths")?;
            let strides = match s {
                None => vec![1; filters.len()],
                Some(s) => {
                    let s = ints(spec, s, "strides")?;
                    if s.len() == 1 {
                        vec![s[0]; filters.len()]
                    } else {
                        s
                    }
                }
            };
            Ok(Spec::Algebraic(ConvNetwork::new(&filters, &strides, act)?.into()))
        }
        "attention" => {
            let v = ints(spec, body, "sizes")?;
            let [d, d_out, a, t] = v[..] else {
                return Err(err(spec, format!("attention takes 4 sizes d,d_out,a,t, got {}", v.len())));
            };
            Ok(Spec::Algebraic(LightningAttention::new(d, d_out, a, t)?.into()))
        }
        "residual" => {
            let v = ints(spec, body, "sizes")?;
            let [width, layers] = v[..] else {
                return Err(err(spec, format!("residual takes 2 sizes width,layers, got {}", v.len())));
            };
            Ok(Spec::Algebraic(ResidualLinearNetwork::new(width, layers)?.into()))
        }
        "relu" => {
            let (body, nobias) = split_flag(body, "+nobias");
            Ok(Spec::Relu(ReLUNetwork::new(&ints(spec, body, "widths")?, !nobias)?))
        }
        other => Err(err(spec, format!("unknown family {other:?}; expected one of {}", FAMILIES.join(", ")))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips() {
        for s in [
            "linear:4,2,3",
            "poly:3,2,1^2",
            "poly:3,2,1^3+bias",
            "poly:2,2,1^(0,1,0.5)",
            "conv:2,3",
            "conv:2,3/2,1^2",
            "attention:2,1,2,2",
            "residual:3,2",
            "relu:1,3,1",
            "relu:1,3,1+nobias",
        ] {
            assert_eq!(parse(s).unwrap().to_string(), s);
        }
    }

    #[test]
    fn rejects_bad_specs() {
        for s in
            ["", "linear", "linear:", "linear:3,0", "foo:1,2", "poly:3,x", "attention:1,2", "conv:2^0", "poly:2,1^(0)"]
        {
            assert!(parse(s).is_err(), "{s}");
        }
    }
}
