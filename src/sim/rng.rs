//! A tiny deterministic generator (splitmix64). The emulator's data must be the same for the same seed on
//! every platform and every version of `rand`, so it does not use `rand` for generation.

const GOLDEN: u64 = 0x9E37_79B9_7F4A_7C15;

/// One splitmix64 finalisation step: a good 64-bit mixer.
pub fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(GOLDEN);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// Hashes a list of words into one.
pub fn hash(parts: &[u64]) -> u64 {
    parts.iter().fold(0x005E_ED0F_7E57_u64, |acc, p| mix(acc ^ p))
}

/// A small stream of pseudo-random numbers.
#[derive(Clone, Debug)]
pub struct Rng(u64);

impl Rng {
    pub fn new(parts: &[u64]) -> Rng {
        Rng(hash(parts))
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(GOLDEN);
        mix(self.0)
    }

    /// A number in `0..n` (0 when `n` is 0).
    pub fn below(&mut self, n: u64) -> u64 {
        if n == 0 { 0 } else { self.next_u64() % n }
    }

    /// A number in `lo..=hi`.
    pub fn range(&mut self, lo: u64, hi: u64) -> u64 {
        if hi <= lo { lo } else { lo + self.below(hi - lo + 1) }
    }

    /// True with probability `num/den`.
    pub fn chance(&mut self, num: u64, den: u64) -> bool {
        self.below(den) < num
    }

    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        // Callers only pass non-empty constant tables.
        &items[self.below(items.len() as u64) as usize]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_parts_same_stream() {
        let mut a = Rng::new(&[42, 1, 2]);
        let mut b = Rng::new(&[42, 1, 2]);
        let mut c = Rng::new(&[43, 1, 2]);
        let xa: Vec<u64> = (0..5).map(|_| a.next_u64()).collect();
        let xb: Vec<u64> = (0..5).map(|_| b.next_u64()).collect();
        let xc: Vec<u64> = (0..5).map(|_| c.next_u64()).collect();
        assert_eq!(xa, xb);
        assert_ne!(xa, xc);
        assert!(Rng::new(&[1]).range(3, 5) >= 3);
    }
}
