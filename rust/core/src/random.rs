//! Random number streams: one independent stream per (seed, index), so that results depend on
//! the seed alone, never on the thread or machine count that consumed the streams.

use rand_pcg::Pcg64;

/// SplitMix64 finaliser: spreads nearby seeds over the state space.
fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// The generator of stream `index` for `seed` (PCG streams are independent sequences).
pub fn rng_stream(seed: u64, index: u64) -> Pcg64 {
    let state = ((mix(seed) as u128) << 64) | mix(seed ^ 0xD1B5_4A32_D192_ED03) as u128;
    let stream = ((mix(index) as u128) << 64) | index as u128;
    Pcg64::new(state, stream)
}
