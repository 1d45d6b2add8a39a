//! Synthetic registries for benchmarks and tests, generated, never stored.
//!
//! The real registry clusters: numbers are assigned in exchanges (NPA-NXX)
//! of 10,000 lines, and about 80,000 live exchanges hold ~32% registered
//! lines each. [`clustered`] draws such a set; [`uniform`] spreads the same
//! count over every valid exchange (the layout's worst case).

/// splitmix64: small, fast, good enough to scatter test data.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    /// A generator from a seed.
    ///
    /// # Example
    ///
    /// ```
    /// let mut r = dialgate_registry::synth::Rng::new(1);
    /// assert_ne!(r.next_u64(), r.next_u64());
    /// ```
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    /// The next 64 random bits.
    ///
    /// # Example
    ///
    /// ```
    /// let mut r = dialgate_registry::synth::Rng::new(1);
    /// let _ = r.next_u64();
    /// ```
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number below `n` (`n` > 0).
    ///
    /// # Example
    ///
    /// ```
    /// let mut r = dialgate_registry::synth::Rng::new(1);
    /// assert!(r.below(10) < 10);
    /// ```
    pub fn below(&mut self, n: u64) -> u64 {
        ((u128::from(self.next_u64()) * u128::from(n.max(1))) >> 64) as u64
    }
}

/// Valid NANP exchanges: NPA and NXX each 200-999 (640,000 of them).
pub const VALID_EXCHANGES: u64 = 800 * 800;

/// The `i`-th valid exchange (NPA-NXX as 6 digits), `i` < [`VALID_EXCHANGES`].
fn exchange(i: u64) -> u64 {
    (200 + i / 800) * 1000 + 200 + i % 800
}

/// About `count` numbers, sorted, in exchanges each holding about `density`
/// of its 10,000 lines (each exchange's share drawn within +-25% of it),
/// the exchanges scattered over the valid ones.
///
/// # Example
///
/// ```
/// let v = dialgate_registry::synth::clustered(100_000, 0.32, 7);
/// assert!(v.windows(2).all(|w| w[0] < w[1]));
/// assert!((90_000..110_000).contains(&v.len()));
/// ```
pub fn clustered(count: u64, density: f64, seed: u64) -> Vec<u64> {
    let per = (density.clamp(0.0001, 1.0) * 10_000.0).max(1.0);
    let exchanges = ((count as f64 / per).ceil() as u64).clamp(1, VALID_EXCHANGES);
    let mut rng = Rng::new(seed);
    // Pick `exchanges` of the valid ones, in order (selection sampling).
    let mut out = Vec::with_capacity(count as usize + count as usize / 8);
    let mut need = exchanges;
    let mut bits = [0u64; 157];
    for i in 0..VALID_EXCHANGES {
        if need == 0 {
            break;
        }
        if rng.below(VALID_EXCHANGES - i) >= need {
            continue;
        }
        need -= 1;
        let k = (per * (0.75 + 0.5 * (rng.below(1 << 20) as f64 / f64::from(1 << 20)))) as u64;
        fill_exchange(&mut rng, &mut bits, exchange(i), k.min(10_000), &mut out);
    }
    out
}

/// About `count` numbers spread evenly over every valid exchange: about
/// `count / 640,000` lines each (the layout's worst case: arrays, 16 bits a number).
///
/// # Example
///
/// ```
/// let v = dialgate_registry::synth::uniform(1_000_000, 3);
/// assert!(v.windows(2).all(|w| w[0] < w[1]));
/// ```
pub fn uniform(count: u64, seed: u64) -> Vec<u64> {
    let mut rng = Rng::new(seed);
    let mut out = Vec::with_capacity(count as usize + count as usize / 8);
    let mut bits = [0u64; 157];
    let per = count as f64 / VALID_EXCHANGES as f64;
    let mut owed = 0.0;
    for i in 0..VALID_EXCHANGES {
        owed += per;
        let k = owed.floor() as u64;
        owed -= k as f64;
        fill_exchange(&mut rng, &mut bits, exchange(i), k.min(10_000), &mut out);
    }
    out
}

/// Appends `k` distinct random lines of exchange `ex`, ascending.
fn fill_exchange(rng: &mut Rng, bits: &mut [u64; 157], ex: u64, k: u64, out: &mut Vec<u64>) {
    bits.fill(0);
    let mut set = 0;
    while set < k {
        let l = rng.below(10_000);
        if let Some(w) = bits.get_mut((l / 64) as usize) {
            if *w & (1 << (l % 64)) == 0 {
                *w |= 1 << (l % 64);
                set += 1;
            }
        }
    }
    for (wi, w) in bits.iter().enumerate() {
        let mut w = *w;
        while w != 0 {
            let b = u64::from(w.trailing_zeros());
            out.push(ex * 10_000 + wi as u64 * 64 + b);
            w &= w - 1;
        }
    }
}
